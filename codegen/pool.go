package codegen

import (
	"fmt"

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
	g.sh, g.sw = g.kh, g.kw
	if s := a.Ints("stride"); len(s) == 2 {
		g.sh, g.sw = s[0], s[1]
	}
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

// emitMaxPool2d emits max pooling; padding never wins. Windows that never
// clip get straight-line, branch-free code (fastWindows); planes are split
// over the pool's threads.
func emitMaxPool2d(k *kernel) error {
	v := k.v
	g := newPoolGeom(v.Attrs, v.Args[0].Type.Shape, v.Type.Shape)
	if emitMaxPool2dAsm(k, g) {
		return nil
	}
	x := k.arg(0)
	if g.noClip() {
		body := append(g.fastArgmax(k), id("op").Index(L(0).plus("i", g.ow).plus("j", 1).code()).Op("=").Id("w").Index(id("a")))
		var head []jen.Code
		if d := k.companionDst(ir.OpMaxPool2dArgmax); d != "" {
			head = append(head, define("ip", window(d, L(0).plus("pl", g.oh*g.ow), lit(g.oh*g.ow))))
			body = append(body, id("ip").Index(L(0).plus("i", g.ow).plus("j", 1).code()).Op("=").Add(k.poolIndexT()).Call(g.fastTap()))
		}
		k.add(g.overPlanes(k, 3*g.kh*g.kw*g.oh*g.ow, append(head, g.fastWindows(x, "dst", body)...)...))
		return nil
	}
	body := append(g.argmaxWindow(k), id("op").Index(L(0).plus("i", g.ow).plus("j", 1).code()).Op("=").Id("best"))
	body = append(body, k.poolArgmaxStore(g)...)
	k.add(g.windows(k, x, "dst", body))
	return nil
}

// fastTap renders the window offset (ir.PoolTap) of the maximum that
// fastArgmax leaves at plane offset a = p·w + q from the window's first
// tap: p·kw + q.
func (g poolGeom) fastTap() *jen.Statement {
	if g.kh == 1 || g.kw == g.w {
		return id("a")
	}
	// Unsigned, so that the divisions by constants are multiplications and shifts.
	return id("uint").Call(id("a")).Op("/").Lit(g.w).Op("*").Lit(g.kw).Op("+").Id("uint").Call(id("a")).Op("%").Lit(g.w)
}

// noClip reports whether every window lies inside the input: no padding
// and no window past the last row or column.
func (g poolGeom) noClip() bool {
	return g.ph == 0 && g.pw == 0 && (g.oh-1)*g.sh+g.kh <= g.h && (g.ow-1)*g.sw+g.kw <= g.w
}

// span is the number of plane elements from a window's first tap to its
// last, inclusive.
func (g poolGeom) span() int { return (g.kh-1)*g.w + g.kw }

// taps are the plane offsets of a window's taps from its first, row by row.
func (g poolGeom) taps() []int {
	var t []int
	for p := range g.kh {
		for q := range g.kw {
			t = append(t, p*g.w+q)
		}
	}
	return t
}

// overPlanes renders a loop over planes pl (split over the pool's threads when
// it has enough work; each plane costs work operations) around body.
func (g poolGeom) overPlanes(k *kernel, work int, body ...jen.Code) jen.Code {
	if c, ok := k.parallel(k.size(g.planes), work, 0, []jen.Code{loopFrom("pl", id("lo"), id("hi"), body...)}); ok {
		return c
	}
	return loop("pl", k.size(g.planes), body...)
}

// fastWindows renders, inside the loop over planes, the loops over the
// output elements (i, j) of windows that never clip, with xp and op the
// input and output planes, base the plane offset of the window's first tap
// and w the window's span of the input plane.
func (g poolGeom) fastWindows(xs, os string, body []jen.Code) []jen.Code {
	return []jen.Code{
		define("xp", window(xs, L(0).plus("pl", g.h*g.w), lit(g.h*g.w))),
		define("op", window(os, L(0).plus("pl", g.oh*g.ow), lit(g.oh*g.ow))),
		loop("i", lit(g.oh),
			loop("j", lit(g.ow), append([]jen.Code{
				define("base", L(0).plus("i", g.sh*g.w).plus("j", g.sw).code()),
				define("w", window("xp", L(0).plus("base", 1), lit(g.span()))),
			}, body...)...)),
	}
}

// fastArgmax renders the search of a window's maximum for fastWindows,
// leaving in a its offset from base. The first maximum wins: each tap
// replaces the maximum when strictly greater, selected with integer masks
// rather than branches. When the window holds a NaN (its sum is NaN: a
// NaN, or +Inf with -Inf), a second, exact search runs PyTorch's rule: a
// value replaces the maximum when it is greater or NaN, so the last NaN
// wins.
func (g poolGeom) fastArgmax(k *kernel) []jen.Code {
	taps := g.taps()
	b2i := k.g.helper("b2i")
	w := func(o jen.Code) *jen.Statement { return id("w").Index(o) }
	// A tournament: each match keeps the earlier side unless the later
	// one is strictly greater, so the winner is the first maximum, and
	// the chain of dependent loads is log2(taps) long.
	type cand struct {
		name string // "" for the constant offset c
		c    int
	}
	val := func(c cand) jen.Code {
		if c.name == "" {
			return lit(c.c)
		}
		return id(c.name)
	}
	var code []jen.Code
	cands := make([]cand, len(taps))
	for i, o := range taps {
		cands[i] = cand{c: o}
	}
	v := 0
	for len(cands) > 1 {
		var next []cand
		for i := 0; i+1 < len(cands); i += 2 {
			l, r := cands[i], cands[i+1]
			mask := jen.Op("-").Add(b2i.Clone().Call(w(val(r)).Op(">").Add(w(val(l)))))
			var e jen.Code
			switch {
			case l.name == "" && r.name == "" && l.c == 0:
				e = lit(r.c).Op("&").Add(mask)
			case l.name == "" && r.name == "":
				e = lit(l.c).Op("^").Lit(l.c ^ r.c).Op("&").Add(mask)
			default:
				e = jen.Add(val(l)).Op("^").Parens(jen.Add(val(l)).Op("^").Add(val(r))).Op("&").Add(mask)
			}
			name := fmt.Sprintf("a%d", v)
			v++
			code = append(code, define(name, e))
			next = append(next, cand{name: name})
		}
		if len(cands)%2 == 1 {
			next = append(next, cands[len(cands)-1])
		}
		cands = next
	}
	code = append(code, define("a", val(cands[0])))
	if len(taps) == 1 {
		return code
	}
	var sum *jen.Statement
	var list []jen.Code
	for i, o := range taps {
		list = append(list, lit(o))
		if i == 0 {
			sum = w(lit(o))
		} else {
			sum = sum.Op("+").Add(w(lit(o)))
		}
	}
	code = append(code, jen.If(id("s").Op(":=").Add(sum), id("s").Op("!=").Id("s")).Block(
		id("a").Op("=").Lit(0),
		jen.For(jen.List(id("_"), id("o")).Op(":=").Range().Index(jen.Op("...")).Int().Values(list...)).Block(
			jen.If(id("v").Op(":=").Add(w(id("o"))), id("v").Op(">").Add(w(id("a"))).Op("||").Id("v").Op("!=").Id("v")).Block(
				id("a").Op("=").Id("o")))))
	return code
}

func init() {
	helperDecls["b2i"] = func(g *gen) jen.Code {
		return jen.Comment("b2i is 1 for true and 0 for false; the compiler makes it a SETcc, no branch.").Line().
			Func().Id("b2i").Params(id("b").Bool()).Int().Block(
			jen.If(id("b")).Block(jen.Return(lit(1))),
			jen.Return(lit(0)))
	}
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

// emitAvgPool2d emits average pooling, summing in float64. Windows that
// never clip sum their taps unrolled, planes split over the threads.
func emitAvgPool2d(k *kernel) error {
	v := k.v
	g := newPoolGeom(v.Attrs, v.Args[0].Type.Shape, v.Type.Shape)
	x := k.arg(0)
	if g.noClip() && g.kh*g.kw <= 16 {
		sum := jen.Float64().Call(id("w").Index(lit(0)))
		for _, o := range g.taps()[1:] {
			sum = sum.Op("+").Float64().Call(id("w").Index(lit(o)))
		}
		body := []jen.Code{id("op").Index(L(0).plus("i", g.ow).plus("j", 1).code()).Op("=").Add(k.g.ft()).Call(
			jen.Parens(sum).Op("/").Lit(float64(g.kh * g.kw)))}
		k.add(g.overPlanes(k, 2*g.kh*g.kw*g.oh*g.ow, g.fastWindows(x, "dst", body)...))
		return nil
	}
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
	if g.noClip() && g.kh*g.kw <= 16 {
		// Planes apart: the windows of a plane write only that plane.
		body := []jen.Code{define("gv", k.g.ft().Call(jen.Float64().Call(id("op").Index(L(0).plus("i", g.ow).plus("j", 1).code())).Op("/").Lit(float64(g.kh*g.kw))))}
		for _, o := range g.taps() {
			body = append(body, id("w").Index(lit(o)).Op("+=").Id("gv"))
		}
		inner := append([]jen.Code{jen.Clear(window("dst", L(0).plus("pl", g.h*g.w), lit(g.h*g.w)))}, g.fastWindows("dst", dy, body)...)
		k.add(g.overPlanes(k, 2*g.kh*g.kw*g.oh*g.ow+g.h*g.w, inner...))
		return nil
	}
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
