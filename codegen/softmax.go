package codegen

import (
	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// axisGeom splits a shape around one axis: outer·A·inner elements, the
// axis's elements inner apart.
type axisGeom struct {
	outer, a dim
	inner    int
}

func newAxisGeom(s ir.Shape, axis int) axisGeom {
	ds := dims(s)
	return axisGeom{outer: prod(ds[:axis]), a: ds[axis], inner: prod(ds[axis+1:]).k}
}

// lanes renders loops over every lane (a 1-D run along the axis) with the
// windows xr of each named slice, so that element a of the lane is
// xr[a*inner]; names[i] gets window "r<i>".
func (ag axisGeom) lanes(k *kernel, names []string, body ...jen.Code) jen.Code {
	base := L(0).plus("o", ag.a.k*ag.inner).plus("q", 1)
	if ag.a.b {
		base = L(0).plus("q", 1) // the batch axis is axis 0: no outer loop
	}
	length := k.size(dim{k: (ag.a.k-1)*ag.inner + 1, b: ag.a.b})
	if ag.a.b && ag.inner != 1 {
		k.usesN = true
		length = id("n").Op("*").Lit(ag.inner).Op("-").Lit(ag.inner - 1)
	}
	var ws []jen.Code
	for i, nm := range names {
		ws = append(ws, define("r"+string(rune('0'+i)), window(nm, base, length)))
	}
	inner := loop("q", lit(ag.inner), append(ws, body...)...)
	if ag.a.b {
		return inner
	}
	return loop("o", k.size(ag.outer), inner)
}

// at renders element a of window r.
func (ag axisGeom) at(r string, a string) jen.Code {
	return id(r).Index(L(0).plus(a, ag.inner).code())
}

// over renders for a := 0; a < A; a++ { body }.
func (ag axisGeom) over(k *kernel, body ...jen.Code) jen.Code {
	return loop("a", k.size(ag.a), body...)
}

// emitSoftmax emits softmax and log_softmax along an axis, numerically
// stable: the lane's maximum is subtracted before exp, sums in float64.
func emitSoftmax(k *kernel) error {
	v := k.v
	ag := newAxisGeom(v.Type.Shape, v.Attrs.Int("axis", -1))
	x := k.arg(0)
	f64 := func(e jen.Code) *jen.Statement { return jen.Float64().Call(e) }
	body := []jen.Code{
		define("m", f64(id("r0").Index(lit(0)))),
		ag.over(k, jen.If(id("e").Op(":=").Add(f64(ag.at("r0", "a"))), id("e").Op(">").Id("m")).Block(id("m").Op("=").Id("e"))),
		define("s", jen.Lit(0.0)),
	}
	exp := jen.Qual("math", "Exp").Call(f64(ag.at("r0", "a")).Op("-").Id("m"))
	if v.Op == ir.OpSoftmax {
		body = append(body,
			ag.over(k, define("e", exp), jen.Add(ag.at("r1", "a")).Op("=").Add(k.g.ft()).Call(id("e")), id("s").Op("+=").Id("e")),
			ag.over(k, jen.Add(ag.at("r1", "a")).Op("=").Add(k.g.ft()).Call(f64(ag.at("r1", "a")).Op("/").Id("s"))))
	} else {
		body = append(body,
			ag.over(k, id("s").Op("+=").Add(exp)),
			define("lse", id("m").Op("+").Qual("math", "Log").Call(id("s"))),
			ag.over(k, jen.Add(ag.at("r1", "a")).Op("=").Add(k.g.ft()).Call(f64(ag.at("r0", "a")).Op("-").Id("lse"))))
	}
	k.add(ag.lanes(k, []string{x, "dst"}, body...))
	return nil
}

// emitSoftmaxGrad emits softmax_grad (y, dy): y·(dy - Σ dy·y), and
// log_softmax_grad (y, dy): dy - exp(y)·Σ dy, along the axis.
func emitSoftmaxGrad(k *kernel) error {
	v := k.v
	ag := newAxisGeom(v.Type.Shape, v.Attrs.Int("axis", -1))
	y, dy := k.arg(0), k.arg(1)
	f64 := func(e jen.Code) *jen.Statement { return jen.Float64().Call(e) }
	yv, gv := ag.at("r0", "a"), ag.at("r1", "a")
	var body []jen.Code
	if v.Op == ir.OpSoftmaxGrad {
		body = []jen.Code{
			define("s", jen.Lit(0.0)),
			ag.over(k, id("s").Op("+=").Add(f64(gv)).Op("*").Add(f64(yv))),
			ag.over(k, jen.Add(ag.at("r2", "a")).Op("=").Add(k.g.ft()).Call(jen.Add(f64(yv)).Op("*").Parens(jen.Add(f64(gv)).Op("-").Id("s")))),
		}
	} else {
		body = []jen.Code{
			define("s", jen.Lit(0.0)),
			ag.over(k, id("s").Op("+=").Add(f64(gv))),
			ag.over(k, jen.Add(ag.at("r2", "a")).Op("=").Add(k.g.ft()).Call(jen.Add(f64(gv)).Op("-").Qual("math", "Exp").Call(f64(yv)).Op("*").Id("s"))),
		}
	}
	k.add(ag.lanes(k, []string{y, dy, "dst"}, body...))
	return nil
}
