package codegen

import (
	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// poolGeom is the geometry of a 2-D pooling over planes of [N,C,H,W].
type poolGeom struct {
	planes         dim // N·C
	h, w, oh, ow   int
	kh, kw, sh, sw int
	ph, pw         int
}

// newPoolGeom reads {kernel, stride, pad}; stride defaults to the kernel as
// ir's type rule has it.
func newPoolGeom(a ir.Attrs, x, out ir.Shape) poolGeom {
	g := poolGeom{planes: prod(dims(x[:2])), h: x[2], w: x[3], oh: out[2], ow: out[3]}
	g.kh, g.kw = pair(a, "kernel", 0)
	g.sh, g.sw = pair(a, "stride", g.kh)
	g.ph, g.pw = pair(a, "pad", 0)
	return g
}

// windows renders loops over every output element (i,j) of every plane,
// with xp the input plane, op the output plane, the window's first row and
// column wy, wx (before clipping: they may be negative) and the clipped
// in-bounds rows [ya, yb) and columns [xa, xb).
func (g poolGeom) windows(k *kernel, xs, os string, body []jen.Code) jen.Code {
	inner := append([]jen.Code{
		define("wx", L(-g.pw).plus("j", g.sw).code()),
		jen.List(id("xa"), id("xb")).Op(":=").Id("max").Call(id("wx"), lit(0)).Op(",").Id("min").Call(id("wx").Op("+").Lit(g.kw), lit(g.w)),
	}, body...)
	return loop("pl", k.size(g.planes),
		define("xp", window(xs, L(0).plus("pl", g.h*g.w), lit(g.h*g.w))),
		define("op", window(os, L(0).plus("pl", g.oh*g.ow), lit(g.oh*g.ow))),
		loop("i", lit(g.oh),
			define("wy", L(-g.ph).plus("i", g.sh).code()),
			jen.List(id("ya"), id("yb")).Op(":=").Id("max").Call(id("wy"), lit(0)).Op(",").Id("min").Call(id("wy").Op("+").Lit(g.kh), lit(g.h)),
			loop("j", lit(g.ow), inner...)))
}

// argmaxWindow renders the search of the window's maximum as PyTorch's CPU
// kernel does it: row by row from the first in-bounds tap, a value
// replaces the maximum when it is greater or NaN. It leaves the offset in
// arg and the value in best.
func (g poolGeom) argmaxWindow(k *kernel) []jen.Code {
	return []jen.Code{
		define("arg", id("ya").Op("*").Lit(g.w).Op("+").Id("xa")),
		define("best", id("xp").Index(id("arg"))),
		loopFrom("y", id("ya"), id("yb"),
			define("row", window("xp", L(0).plus("y", g.w), lit(g.w))),
			loopFrom("xx", id("xa"), id("xb"),
				jen.If(id("v").Op(":=").Id("row").Index(id("xx")), id("v").Op(">").Id("best").Op("||").Add(k.g.isNaN(id("v")))).Block(
					jen.List(id("best"), id("arg")).Op("=").List(id("v"), id("y").Op("*").Lit(g.w).Op("+").Id("xx"))))),
	}
}

// emitMaxPool2d emits max pooling; padding never wins.
func emitMaxPool2d(k *kernel) error {
	v := k.v
	g := newPoolGeom(v.Attrs, v.Args[0].Type.Shape, v.Type.Shape)
	x := k.arg(0)
	body := append(g.argmaxWindow(k), id("op").Index(L(0).plus("i", g.ow).plus("j", 1).code()).Op("=").Id("best"))
	body = append(body, k.poolArgmaxStore(g)...)
	k.add(g.windows(k, x, "dst", body))
	return nil
}

// emitMaxPool2dGrad (x, dy) adds each dy to the input element its window's
// maximum came from.
func emitMaxPool2dGrad(k *kernel) error {
	v := k.v
	g := newPoolGeom(v.Attrs, v.Args[0].Type.Shape, v.Args[1].Type.Shape)
	x, dy := k.arg(0), k.arg(1)
	k.add(jen.Clear(id("dst")))
	body := append(g.argmaxWindow(k),
		window("dst", L(0).plus("pl", g.h*g.w), lit(g.h*g.w)).Index(id("arg")).Op("+=").
			Id("op").Index(L(0).plus("i", g.ow).plus("j", 1).code()))
	k.add(g.windows(k, x, dy, body))
	return k.emitEpilogue()
}

// divisor renders PyTorch's average-pooling divisor with
// count_include_pad=True: the window clipped to the padded input.
func (g poolGeom) divisor() jen.Code {
	return jen.Float64().Call(jen.Parens(jen.Id("min").Call(id("wy").Op("+").Lit(g.kh), lit(g.h+g.ph)).Op("-").Id("wy")).Op("*").
		Parens(jen.Id("min").Call(id("wx").Op("+").Lit(g.kw), lit(g.w+g.pw)).Op("-").Id("wx")))
}

// emitAvgPool2d emits average pooling, summing in float64.
func emitAvgPool2d(k *kernel) error {
	v := k.v
	g := newPoolGeom(v.Attrs, v.Args[0].Type.Shape, v.Type.Shape)
	x := k.arg(0)
	body := []jen.Code{
		define("s", jen.Lit(0.0)),
		loopFrom("y", id("ya"), id("yb"),
			jen.For(jen.List(id("_"), id("v")).Op(":=").Range().Id("xp").Index(id("y").Op("*").Lit(g.w).Op("+").Id("xa"), id("y").Op("*").Lit(g.w).Op("+").Id("xb"))).Block(
				id("s").Op("+=").Float64().Call(id("v")))),
		id("op").Index(L(0).plus("i", g.ow).plus("j", 1).code()).Op("=").Add(k.g.ft()).Call(id("s").Op("/").Add(g.divisor())),
	}
	k.add(g.windows(k, x, "dst", body))
	return nil
}

// emitAvgPool2dGrad (dy) {shape} spreads each dy over the in-bounds taps of
// its window, divided by the forward divisor.
func emitAvgPool2dGrad(k *kernel) error {
	v := k.v
	g := newPoolGeom(v.Attrs, v.Type.Shape, v.Args[0].Type.Shape)
	dy := k.arg(0)
	k.add(jen.Clear(id("dst")))
	body := []jen.Code{
		define("gv", k.g.ft().Call(jen.Float64().Call(id("op").Index(L(0).plus("i", g.ow).plus("j", 1).code())).Op("/").Add(g.divisor()))),
		loopFrom("y", id("ya"), id("yb"),
			define("row", window("xp", L(0).plus("y", g.w), lit(g.w))),
			loopFrom("xx", id("xa"), id("xb"), id("row").Index(id("xx")).Op("+=").Id("gv"))),
	}
	k.add(g.windows(k, "dst", dy, body))
	return nil
}
