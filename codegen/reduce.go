package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// rgroup is a run of neighbouring input axes that a reduction treats alike:
// all kept or all reduced. stride is the input stride of its innermost axis.
type rgroup struct {
	d       dim
	reduced bool
	stride  int
}

// reduceGroups splits an input shape into groups, dropping size-1 axes.
func reduceGroups(x ir.Shape, axes []int) []rgroup {
	ds := dims(x)
	st := contiguous(ds)
	var gs []rgroup
	for i, d := range ds {
		if d == (dim{k: 1}) {
			continue
		}
		red := false
		for _, a := range axes {
			red = red || a == i
		}
		if n := len(gs); n > 0 && gs[n-1].reduced == red && gs[n-1].stride == st[i]*d.k {
			gs[n-1].d = dim{k: gs[n-1].d.k * d.k, b: gs[n-1].d.b || d.b}
			gs[n-1].stride = st[i]
			continue
		}
		gs = append(gs, rgroup{d: d, reduced: red, stride: st[i]})
	}
	return gs
}

// reduction is the loop structure of a reduction kernel.
type reduction struct {
	k      *kernel
	x      string // input slice
	kept   []rgroup
	red    []rgroup
	outOff lin // offset of the result element in the output
	inBase lin // input offset of the group's first element
}

func newReduction(k *kernel, x string, shape ir.Shape, axes []int) *reduction {
	r := &reduction{k: k, x: x}
	for _, gr := range reduceGroups(shape, axes) {
		if gr.reduced {
			r.red = append(r.red, gr)
		} else {
			r.kept = append(r.kept, gr)
		}
	}
	outSt := make([]int, len(r.kept))
	step := 1
	for i := len(r.kept) - 1; i >= 0; i-- {
		outSt[i] = step
		step *= r.kept[i].d.k
	}
	for i, gr := range r.kept {
		v := fmt.Sprintf("o%d", i)
		r.outOff = r.outOff.plus(v, outSt[i])
		r.inBase = r.inBase.plus(v, gr.stride)
	}
	return r
}

// count renders the number of elements reduced into each result.
func (r *reduction) count() jen.Code {
	c := dim{k: 1}
	for _, gr := range r.red {
		c = dim{k: c.k * gr.d.k, b: c.b || gr.d.b}
	}
	return r.k.size(c)
}

// each renders loops over the reduced elements of one group, calling
// visit with the element's value expression and its input offset.
func (r *reduction) each(needOff bool, visit func(elem jen.Code, off lin) []jen.Code) []jen.Code {
	n := len(r.red)
	off := r.inBase
	for i, gr := range r.red[:n-1] {
		off = off.plus(fmt.Sprintf("r%d", i), gr.stride)
	}
	last := r.red[n-1]
	lv := fmt.Sprintf("r%d", n-1)
	var body []jen.Code
	if last.stride == 1 {
		iv := "_"
		if needOff {
			iv = lv
		}
		body = []jen.Code{jen.For(jen.List(id(iv), id("v")).Op(":=").Range().Add(window(r.x, off, r.k.size(last.d)))).
			Block(visit(id("v"), off.plus(lv, 1))...)}
	} else {
		full := off.plus(lv, last.stride)
		body = []jen.Code{loop(lv, r.k.size(last.d), visit(id(r.x).Index(full.code()), full)...)}
	}
	for i := n - 2; i >= 0; i-- {
		body = []jen.Code{loop(fmt.Sprintf("r%d", i), r.k.size(r.red[i].d), body...)}
	}
	return body
}

// perResult wraps body, run once per result element, in the kept loops.
func (r *reduction) perResult(body []jen.Code) []jen.Code {
	for i := len(r.kept) - 1; i >= 0; i-- {
		body = []jen.Code{loop(fmt.Sprintf("o%d", i), r.k.size(r.kept[i].d), body...)}
	}
	return body
}

// emitReduce emits sum, mean (accumulating in float64; a reduced batch
// axis counts n elements) and max (the first maximum; NaN wins, as in
// PyTorch).
func emitReduce(k *kernel) error {
	v := k.v
	x := v.Args[0].Type.Shape
	axes, err := ir.NormAxes(v.Attrs.Ints("axes"), x.Rank())
	if err != nil {
		return err
	}
	k.reduceInto(v.Op, newReduction(k, k.arg(0), x, axes), "dst")
	return nil
}

// reduceInto renders reduction r with op (sum, mean or max) into the slice out.
func (k *kernel) reduceInto(op ir.Op, r *reduction, out string) {
	if len(r.red) == 0 {
		k.add(jen.Copy(id(out), id(r.x)))
		return
	}
	ft := k.g.ft()
	dst := id(out).Index(r.outOff.code())
	var body []jen.Code
	if op == ir.OpMax {
		body = append(body, define("best", id(r.x).Index(r.inBase.code())))
		body = append(body, r.each(false, func(e jen.Code, _ lin) []jen.Code {
			return []jen.Code{jen.If(jen.Add(e).Op(">").Id("best").Op("||").Add(k.g.isNaN(e)).Op("&&").Op("!").Add(k.g.isNaN(id("best")))).
				Block(id("best").Op("=").Add(e))}
		})...)
		body = append(body, dst.Op("=").Id("best"))
	} else {
		body = append(body, define("s", jen.Lit(0.0)))
		body = append(body, r.each(false, func(e jen.Code, _ lin) []jen.Code {
			return []jen.Code{id("s").Op("+=").Float64().Call(e)}
		})...)
		if op == ir.OpMean {
			body = append(body, id("s").Op("/=").Float64().Call(r.count()))
		}
		body = append(body, dst.Op("=").Add(ft).Call(id("s")))
	}
	k.add(r.perResult(body)...)
}

// isNaN renders math.IsNaN(e) for an expression of the float type.
func (g *gen) isNaN(e jen.Code) jen.Code {
	if g.float == ir.F32 {
		return jen.Qual("math", "IsNaN").Call(jen.Float64().Call(e))
	}
	return jen.Qual("math", "IsNaN").Call(e)
}

// emitMaxGrad (x, y, dy) routes dy to the first maximum of each group of x,
// found as max finds it; every other element gets zero.
func emitMaxGrad(k *kernel) error {
	v := k.v
	x := v.Args[0].Type.Shape
	axes, err := ir.NormAxes(v.Attrs.Ints("axes"), x.Rank())
	if err != nil {
		return err
	}
	r := newReduction(k, k.arg(0), x, axes)
	dy := k.arg(2)
	if len(r.red) == 0 {
		k.add(jen.Copy(id("dst"), id(dy)))
		return nil
	}
	body := []jen.Code{
		define("arg", r.inBase.code()),
		define("best", id(r.x).Index(id("arg"))),
	}
	body = append(body, r.each(true, func(e jen.Code, off lin) []jen.Code {
		return []jen.Code{jen.If(jen.Add(e).Op(">").Id("best").Op("||").Add(k.g.isNaN(e)).Op("&&").Op("!").Add(k.g.isNaN(id("best")))).
			Block(id("best").Op("=").Add(e), id("arg").Op("=").Add(off.code()))}
	})...)
	body = append(body, id("dst").Index(id("arg")).Op("=").Id(dy).Index(r.outOff.code()))
	k.add(jen.Clear(id("dst")))
	k.add(r.perResult(body)...)
	return nil
}
