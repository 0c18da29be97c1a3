package codegen

import (
	"slices"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// sliceGeom splits a shape around the sliced or concatenated axis: outer
// blocks of d·inner elements.
type sliceGeom struct {
	outer       dim
	d, inner    int
	start, step int
	n           int // elements selected along the axis
}

func newSliceGeom(a ir.Attrs, s ir.Shape) sliceGeom {
	axis := a.Int("axis", 0)
	ds := dims(s)
	start, end, step := a.Int("start", 0), a.Int("end", 0), a.Int("step", 1)
	return sliceGeom{outer: prod(ds[:axis]), d: s[axis], inner: prod(ds[axis+1:]).k,
		start: start, step: step, n: ir.SliceLen(start, end, step)}
}

// copies renders, per outer block, the copies between the full block
// (window "full") and the selected block (window "part"); toFull copies
// the selection back into the full block (slice_grad).
func (sg sliceGeom) copies(k *kernel, full, part string, toFull bool) jen.Code {
	in := sg.inner
	body := []jen.Code{
		define("fb", window(full, L(0).plus("o", sg.d*in), lit(sg.d*in))),
		define("pb", window(part, L(0).plus("o", sg.n*in), lit(sg.n*in))),
	}
	pair := func(p, f jen.Code) jen.Code {
		if toFull {
			return jen.Copy(f, p)
		}
		return jen.Copy(p, f)
	}
	switch {
	case sg.step == 1:
		body = append(body, pair(id("pb"), window("fb", L(sg.start*in), lit(sg.n*in))))
	case in == 1:
		f, p := id("fb").Index(L(sg.start).plus("i", sg.step).code()), id("pb").Index(id("i"))
		if toFull {
			body = append(body, rangeOver("i", id("pb"), jen.Add(f).Op("=").Add(p)))
		} else {
			body = append(body, rangeOver("i", id("pb"), jen.Add(p).Op("=").Add(f)))
		}
	default:
		body = append(body, loop("i", lit(sg.n), pair(window("pb", L(0).plus("i", in), lit(in)),
			window("fb", L(sg.start*in).plus("i", sg.step*in), lit(in)))))
	}
	return loop("o", k.size(sg.outer), body...)
}

// emitSlice selects start, start+step, ... before end along the axis.
func emitSlice(k *kernel) error {
	sg := newSliceGeom(k.v.Attrs, k.v.Args[0].Type.Shape)
	k.add(sg.copies(k, k.arg(0), "dst", false))
	return nil
}

// emitSliceGrad writes dy into zeros at the positions the slice reads.
func emitSliceGrad(k *kernel) error {
	sg := newSliceGeom(k.v.Attrs, k.v.Type.Shape)
	k.add(jen.Clear(id("dst")))
	k.add(sg.copies(k, "dst", k.arg(0), true))
	return nil
}

// emitConcat joins the arguments along the axis, block by block.
func emitConcat(k *kernel) error {
	v := k.v
	axis := v.Attrs.Int("axis", 0)
	ds := dims(v.Type.Shape)
	outer, inner, total := prod(ds[:axis]), prod(ds[axis+1:]).k, v.Type.Shape[axis]
	var body []jen.Code
	off := 0
	for i, a := range v.Args {
		d := a.Type.Shape[axis]
		body = append(body, jen.Copy(window("dst", L(off*inner).plus("o", total*inner), lit(d*inner)),
			window(k.arg(i), L(0).plus("o", d*inner), lit(d*inner))))
		off += d
	}
	k.add(loop("o", k.size(outer), body...))
	return nil
}

// emitDropoutMask draws a mask of 1/(1-p) with probability 1-p, else 0:
// element i is kept when runtime.DropoutUniform(seed, step, i) >= p, the
// stream the reference interpreter draws from too.
// In the train func a mask fixed by SetDropoutMask (parameter keep,
// checked to match dst by TrainStep) replaces the draw.
func emitDropoutMask(k *kernel) error {
	v := k.v
	p := v.Attrs.Float("p", 0)
	k.usesStep = true
	draw := rangeOver("i", id("dst"),
		jen.If(jen.Add(jen.Qual(runtimePath, "DropoutUniform").Call(jen.Uint64().Call(lit(v.Attrs.Int("seed", 0))), id("step"), jen.Uint64().Call(id("i")))).Op(">=").Add(flit(p))).Block(
			id("dst").Index(id("i")).Op("=").Add(flit(1/(1-p)))).Else().Block(
			id("dst").Index(id("i")).Op("=").Lit(0)))
	if k.g.p.Lookup("train") != nil && slices.Contains(k.g.p.Lookup("train").Values, v) {
		k.keep = k.g.dropIndex(v.Attrs.Str("layer")) + 1
	}
	if k.keep == 0 {
		k.add(draw)
		return nil
	}
	k.add(jen.If(id("keep").Op("!=").Nil()).Block(
		define("kp", id("keep").Index(jen.Empty(), jen.Len(id("dst")))),
		rangeOver("i", id("dst"), id("dst").Index(id("i")).Op("=").Id("kp").Index(id("i")).Op("*").Add(flit(1/(1-p))))).
		Else().Block(draw))
	return nil
}
