package codegen

import (
	"fmt"
	"strconv"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
)

// Row kernels: softmax, log_softmax, their gradients and cross-entropy
// work lane by lane (a row of classes). Over float32 programs, with the
// lanes contiguous, the elementwise work of a lane (exp, scaling) is one
// call of a vector kernel (asm.MultiSpec, scalars for the lane's maximum
// or sum) and only the lane's max and sum stay Go loops, summing in
// float64; exp is exp32 (a few ulp) instead of math.Exp in float64.

// rowArg, rowScalar and rowOp build the expressions of row kernels.
func rowArg(i int) *asm.ElemExpr    { return &asm.ElemExpr{Op: "arg", Arg: i} }
func rowScalar(i int) *asm.ElemExpr { return &asm.ElemExpr{Op: "scalar", Arg: i} }
func rowOp(op string, a ...*asm.ElemExpr) *asm.ElemExpr {
	return &asm.ElemExpr{Op: op, Args: a}
}

// rowKernel registers the vector kernel a0 = e(a0..a{slices-1},
// c0..c{scalars-1}) and returns its name; identical kernels share one.
func (g *gen) rowKernel(slices, scalars int, e *asm.ElemExpr) string {
	if g.elemSeen == nil {
		g.elemSeen = map[string]string{}
	}
	key := fmt.Sprintf("row:%d:%d:%s", slices, scalars, e)
	if name, ok := g.elemSeen[key]; ok {
		return name
	}
	name := "rowk" + strconv.Itoa(len(g.multis))
	g.elemSeen[key] = name
	g.multis = append(g.multis, asm.MultiSpec{Name: name, Slices: slices, Scalars: scalars,
		Outs: []asm.MultiOut{{Slice: 0, Expr: e}}})
	return name
}

// vectorRows reports whether the lanes of k's value go through row kernels.
func (k *kernel) vectorRows(inner int) bool {
	return useElemAsm && k.g.float == ir.F32 && k.v.Type.DType == ir.F32 && inner == 1
}

// rowMax renders m := the maximum of row r (float32; NaN elements are
// skipped unless first, as in the Go loops).
func rowMax(r string) []jen.Code {
	return []jen.Code{
		define("m", id(r).Index(lit(0))),
		jen.For(jen.List(id("_"), id("e")).Op(":=").Range().Id(r)).Block(
			jen.If(id("e").Op(">").Id("m")).Block(id("m").Op("=").Id("e"))),
	}
}

// rowSum renders s := the float64 sum of row r.
func rowSum(r string) []jen.Code {
	return []jen.Code{
		define("s", jen.Lit(0.0)),
		jen.For(jen.List(id("_"), id("e")).Op(":=").Range().Id(r)).Block(id("s").Op("+=").Float64().Call(id("e"))),
	}
}

// expShift renders d = exp(x - m) over a row by a vector kernel.
func (g *gen) expShift(d, x string) jen.Code {
	name := g.rowKernel(2, 1, rowOp("exp", rowOp("sub", rowArg(1), rowScalar(0))))
	return id(name).Call(id(d), id(x), id("m"))
}

// vectorSoftmax is emitSoftmax over contiguous float32 lanes: m = max,
// r1 = exp(r0 - m), s = Σ r1, then r1 /= s (softmax) or r1 = r0 - (m +
// log s) (log_softmax).
func (k *kernel) vectorSoftmax(ag axisGeom, x string) {
	body := append(rowMax("r0"), k.g.expShift("r1", "r0"))
	body = append(body, rowSum("r1")...)
	if k.v.Op == ir.OpSoftmax {
		scale := k.g.rowKernel(1, 1, rowOp("mul", rowArg(0), rowScalar(0)))
		body = append(body, id(scale).Call(id("r1"), jen.Float32().Call(lit(1).Op("/").Id("s"))))
	} else {
		sub := k.g.rowKernel(2, 1, rowOp("sub", rowArg(1), rowScalar(0)))
		body = append(body, id(sub).Call(id("r1"), id("r0"),
			jen.Float32().Call(jen.Float64().Call(id("m")).Op("+").Qual("math", "Log").Call(id("s")))))
	}
	k.add(ag.lanes(k, []string{x, "dst"}, body...))
}

// vectorSoftmaxGrad is emitSoftmaxGrad over contiguous float32 lanes.
func (k *kernel) vectorSoftmaxGrad(ag axisGeom, y, dy string) {
	var body []jen.Code
	if k.v.Op == ir.OpSoftmaxGrad {
		name := k.g.rowKernel(3, 1, rowOp("mul", rowArg(1), rowOp("sub", rowArg(2), rowScalar(0))))
		body = []jen.Code{
			define("s", jen.Lit(0.0)),
			jen.For(jen.List(id("a"), id("e")).Op(":=").Range().Id("r1")).Block(
				id("s").Op("+=").Float64().Call(id("e")).Op("*").Float64().Call(id("r0").Index(id("a")))),
			id(name).Call(id("r2"), id("r0"), id("r1"), jen.Float32().Call(id("s"))),
		}
	} else {
		name := k.g.rowKernel(3, 1, rowOp("sub", rowArg(2), rowOp("mul", rowOp("exp", rowArg(1)), rowScalar(0))))
		body = append(rowSum("r1"), id(name).Call(id("r2"), id("r0"), id("r1"), jen.Float32().Call(id("s"))))
	}
	k.add(ag.lanes(k, []string{y, dy, "dst"}, body...))
}

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
	if k.vectorRows(ag.inner) && !ag.a.b {
		k.vectorSoftmax(ag, x)
		return nil
	}
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
	if k.vectorRows(ag.inner) && !ag.a.b {
		k.vectorSoftmaxGrad(ag, y, dy)
		return nil
	}
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
