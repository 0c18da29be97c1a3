package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// companionsOf maps each producer of f to its companions (ir.IsCompanion)
// in schedule order: the kernel of the producer writes them too, each
// into a parameter dst1, dst2, ... after dst.
func companionsOf(f *ir.Func) map[*ir.Value][]*ir.Value {
	m := map[*ir.Value][]*ir.Value{}
	for _, v := range f.Values {
		if ir.IsCompanion(v) {
			m[v.Args[0]] = append(m[v.Args[0]], v)
		}
	}
	return m
}

// companionDst is the parameter name of the kernel's companion with op op,
// or "" when it has none.
func (k *kernel) companionDst(op ir.Op) string {
	for i, c := range k.companions {
		if c.Op == op {
			return fmt.Sprintf("dst%d", i+1)
		}
	}
	return ""
}

// emitCompanionSums reduces dst, the finished value, into each sum
// companion: one more loop inside the same kernel, over memory just written.
// A sum that keeps one unbatched group of axes (a bias gradient: the
// channels of [N,C,H,W], the columns of [N,F]) is split over the pool's
// threads by result element, each summed in the serial order.
func (k *kernel) emitCompanionSums() error {
	for i, c := range k.companions {
		if c.Op != ir.OpSum {
			continue
		}
		x := k.v.Type.Shape
		axes, err := ir.NormAxes(c.Attrs.Ints("axes"), x.Rank())
		if err != nil {
			return err
		}
		r := newReduction(k, "dst", x, axes)
		if y, ok := k.scatteredSum(axes); ok {
			r = newReduction(k, k.arg(1), y, axes)
		}
		out := fmt.Sprintf("dst%d", i+1)
		if code, ok := r.rowSums(out); ok {
			k.add(code...)
			continue
		}
		if len(r.kept) == 1 && !r.kept[0].d.b && len(r.red) > 0 {
			kept := r.kept[0].d.k
			work := x.Elems(k.batch()) / max(kept, 1)
			if code, ok := k.parallel(lit(kept), work, 0, []jen.Code{loopFrom("o0", id("lo"), id("hi"), r.sumBody(out)...)}); ok {
				k.add(code)
				continue
			}
		}
		k.reduceInto(c.Op, r, out)
	}
	return nil
}

// scatteredSum reports whether a sum of a maxpool2d_grad_idx kernel's
// result over axes may read its dy instead: without an epilogue the
// result holds each dy once, added into zeros, so a sum over both plane
// axes (and any others) is the sum of dy over the same axes, with a
// quarter of the reads for 2×2 windows. It returns dy's shape.
func (k *kernel) scatteredSum(axes []int) (ir.Shape, bool) {
	if k.v.Op != ir.OpMaxPool2dGradIdx {
		return nil, false
	}
	if e, _ := ir.Epilogue(k.v); e != nil {
		return nil, false
	}
	plane := 0
	for _, a := range axes {
		if a >= 2 {
			plane++
		}
	}
	if plane != 2 {
		return nil, false
	}
	return k.v.Args[1].Type.Shape, true
}

// maxRowSum bounds the result of rowSums, an array on the kernel's stack.
const maxRowSum = 4096

// rowSums renders a sum over the leading axes of a row-major input whose
// kept axis is innermost (a bias gradient: [rows, kept] summed over rows)
// row by row into float64 accumulators, one per result element: the same
// additions in the same order as a column-by-column sum, but reading
// memory in order instead of with a stride of a whole row.
func (r *reduction) rowSums(out string) ([]jen.Code, bool) {
	if len(r.kept) != 1 || len(r.red) != 1 {
		return nil, false
	}
	kept, red := r.kept[0], r.red[0]
	if kept.d.b || kept.stride != 1 || kept.d.k > maxRowSum || red.stride != kept.d.k {
		return nil, false
	}
	K := kept.d.k
	return []jen.Code{
		jen.Var().Id("acc").Index(lit(K)).Float64(),
		loop("r0", r.k.size(red.d),
			define("row", window(r.x, L(0).plus("r0", K), lit(K))),
			jen.For(jen.List(id("o0"), id("v")).Op(":=").Range().Id("row")).Block(
				id("acc").Index(id("o0")).Op("+=").Float64().Call(id("v")))),
		jen.For(jen.List(id("o0"), id("s")).Op(":=").Range().Id("acc")).Block(
			id(out).Index(id("o0")).Op("=").Add(r.k.g.ft()).Call(id("s"))),
	}, true
}

// sumBody renders the sum of one result element o0 of r into out. When
// the innermost reduced group is contiguous, of constant length divisible
// by 4, four float64 accumulators take every fourth element (the serial
// chain of float64 adds, not the loads, bounds the plain loop) and are
// added pairwise at the end: the same order for every thread count.
func (r *reduction) sumBody(out string) []jen.Code {
	last := r.red[len(r.red)-1]
	if last.stride != 1 || last.d.b || last.d.k%4 != 0 || last.d.k < 8 {
		body := []jen.Code{define("s", jen.Lit(0.0))}
		body = append(body, r.each(false, func(e jen.Code, _ lin) []jen.Code {
			return []jen.Code{id("s").Op("+=").Float64().Call(e)}
		})...)
		return append(body, id(out).Index(r.outOff.code()).Op("=").Add(r.k.g.ft()).Call(id("s")))
	}
	off := r.inBase
	for i, gr := range r.red[:len(r.red)-1] {
		off = off.plus(fmt.Sprintf("r%d", i), gr.stride)
	}
	var adds []jen.Code
	for i := range 4 {
		adds = append(adds, id(fmt.Sprintf("s%d", i)).Op("+=").Float64().Call(id("row").Index(lit(i))))
	}
	body := []jen.Code{
		define("row", window(r.x, off, lit(last.d.k))),
		jen.For(jen.Len(id("row")).Op(">=").Lit(4)).Block(append(adds, id("row").Op("=").Id("row").Index(lit(4), jen.Empty()))...),
	}
	for i := len(r.red) - 2; i >= 0; i-- {
		body = []jen.Code{loop(fmt.Sprintf("r%d", i), r.k.size(r.red[i].d), body...)}
	}
	body = append([]jen.Code{jen.List(id("s0"), id("s1"), id("s2"), id("s3")).Op(":=").List(jen.Lit(0.0), jen.Lit(0.0), jen.Lit(0.0), jen.Lit(0.0))}, body...)
	return append(body, id(out).Index(r.outOff.code()).Op("=").Add(r.k.g.ft()).Call(
		jen.Parens(id("s0").Op("+").Id("s1")).Op("+").Parens(id("s2").Op("+").Id("s3"))))
}

// poolIndexT is the Go type of the kernel's argmax companion.
func (k *kernel) poolIndexT() *jen.Statement {
	for _, c := range k.companions {
		if c.Op == ir.OpMaxPool2dArgmax {
			return k.g.T(c.Type.DType)
		}
	}
	return k.g.T(ir.U8)
}

// poolArgmaxStore stores the offset inside its window (ir.PoolTap) of the
// maximum argmaxWindow found at plane offset arg into the argmax
// companion, when the maxpool2d kernel has one.
func (k *kernel) poolArgmaxStore(g poolGeom) []jen.Code {
	d := k.companionDst(ir.OpMaxPool2dArgmax)
	if d == "" {
		return nil
	}
	tap := jen.Parens(id("arg").Op("/").Lit(g.w).Op("-").Id("wy")).Op("*").Lit(g.kw).Op("+").Id("arg").Op("%").Lit(g.w).Op("-").Id("wx")
	return []jen.Code{window(d, L(0).plus("pl", g.oh*g.ow), lit(g.oh*g.ow)).Index(L(0).plus("i", g.ow).plus("j", 1).code()).
		Op("=").Add(k.poolIndexT()).Call(tap)}
}

// emitMaxPool2dGradIdx (idx, dy) {kernel, stride, pad, shape} adds each dy
// where its window offset t (ir.PoolTap) points: row wy + t/kw, column
// wx + t%kw of its plane, (wy, wx) its window's unclipped first tap. The
// planes are apart (a plane's windows stay inside it), split over the
// pool's threads; inside a plane the additions run in output order.
func emitMaxPool2dGradIdx(k *kernel) error {
	v := k.v
	g := newPoolGeom(v.Attrs, v.Type.Shape, v.Args[1].Type.Shape)
	plane, oplane := g.h*g.w, g.oh*g.ow
	idx, dy := k.arg(0), k.arg(1)
	var tap *jen.Statement // the plane offset of tap t from the window's first
	switch {
	case g.kh == 1:
		tap = jen.Int().Call(id("t"))
	case g.kw == 1:
		tap = jen.Int().Call(id("t")).Op("*").Lit(g.w)
	default:
		tap = jen.Int().Call(id("t").Op("/").Lit(g.kw)).Op("*").Lit(g.w).Op("+").Int().Call(id("t").Op("%").Lit(g.kw))
	}
	o := L(0).plus("i", g.ow).plus("j", 1).code()
	body := []jen.Code{
		define("xp", window("dst", L(0).plus("pl", plane), lit(plane))),
		jen.Clear(id("xp")),
		define("ip", window(idx, L(0).plus("pl", oplane), lit(oplane))),
		define("dp", window(dy, L(0).plus("pl", oplane), lit(oplane))),
		loop("i", lit(g.oh), loop("j", lit(g.ow),
			define("t", jen.Uint().Call(id("ip").Index(o.Clone()))),
			id("xp").Index(L(-g.ph*g.w-g.pw).plus("i", g.sh*g.w).plus("j", g.sw).code().Op("+").Add(tap)).Op("+=").Id("dp").Index(o.Clone()))),
	}
	if code, ok := k.parallel(k.size(g.planes), plane+2*oplane, 0, []jen.Code{loopFrom("pl", id("lo"), id("hi"), body...)}); ok {
		k.add(code)
	} else {
		k.add(loop("pl", k.size(g.planes), body...))
	}
	return k.emitEpilogue()
}

// emitMeanGrad (dy) {axes, shape} broadcasts dy over the reduced axes,
// divided by their element count (n for the batch axis). A const dy is
// read as a literal.
func emitMeanGrad(k *kernel) error {
	v := k.v
	out := v.Type.Shape
	axes, err := ir.NormAxes(v.Attrs.Ints("axes"), out.Rank())
	if err != nil {
		return err
	}
	count := dim{k: 1}
	for _, a := range axes {
		d := dims(out[a : a+1])[0]
		count = dim{k: count.k * d.k, b: count.b || d.b}
	}
	dy := v.Args[0]
	var op operand
	if inlinable(dy) {
		op.literal = k.g.operandLit(root(dy))
	} else {
		op = operand{name: k.arg(0), strides: broadcastStrides(dy.Type.Shape, out)}
	}
	if count.b && k.f.Shards > 1 {
		// A part of a split step: the mean is over the whole batch.
		k.usesTotal = true
		k.add(define("c", k.g.ft().Call(id("total").Op("*").Lit(count.k))))
	} else {
		k.add(define("c", k.g.ft().Call(k.size(count))))
	}
	k.stridedMap(dims(out), []operand{op}, func(args []jen.Code) jen.Code {
		return jen.Add(args[0]).Op("/").Id("c")
	})
	return nil
}
