package codegen

import (
	"fmt"
	"strconv"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
)

// Elementwise kernels over contiguous float32 operands of dst's shape go
// through the vector kernels of package asm (asm.ElemSpec): the kernel of a
// fused value (or of one elementwise op) calls
//
//	elem3(d, x0[:len(d)], x1[:len(d)])
//
// or, over the rows of slice views (sliceview.go), one call of a row kernel
// (asm.ElemSpec Rows) with each operand's row stride,
// where elem3 is AVX-512 or AVX2+FMA assembly picked at init, or its Go
// twin under purego and on other architectures, in the files elemBase +
// "_amd64.s", ... . Broadcast operands, float64 programs and ops the vector
// kernels lack (asm.ElemSupported) keep the Go loop of stridedMap. Const
// operands become literals of the expression.
//
// Go loops of float32 programs compute exp, sigmoid and tanh with the same
// float32 algorithms (exp32, sigmoid32, tanh32 in the twins' file), not
// through float64 math.

// elemBase is the base name of the elementwise kernel files.
const elemBase = "zelem"

// useElemAsm turns the vector elementwise kernels on; tests may clear it.
var useElemAsm = true

// elemOps maps ir ops to the operations of asm.ElemExpr.
var elemOps = map[ir.Op]string{
	ir.OpAdd: "add", ir.OpSub: "sub", ir.OpMul: "mul", ir.OpDiv: "div",
	ir.OpNeg: "neg", ir.OpSquare: "square", ir.OpRecip: "recip", ir.OpRelu: "relu", ir.OpReluGrad: "relu_grad",
	ir.OpExp: "exp", ir.OpSigmoid: "sigmoid", ir.OpTanh: "tanh", ir.OpSigmoidGrad: "sigmoid_grad", ir.OpTanhGrad: "tanh_grad",
}

// elemExpr converts e, argument i becoming arg(i) (nil for none).
func elemExpr(e *ir.Expr, arg func(i int) *asm.ElemExpr) *asm.ElemExpr {
	switch {
	case e.IsArg():
		return arg(e.Arg)
	case e.IsLit():
		return &asm.ElemExpr{Op: "lit", Value: e.Value}
	}
	xs := make([]*asm.ElemExpr, len(e.Args))
	for i, a := range e.Args {
		if xs[i] = elemExpr(a, arg); xs[i] == nil {
			return nil
		}
	}
	if e.Op == ir.OpScale {
		return &asm.ElemExpr{Op: "mul", Args: []*asm.ElemExpr{xs[0], {Op: "lit", Value: e.Attrs.Float("value", 1)}}}
	}
	op, ok := elemOps[e.Op]
	if !ok {
		return nil
	}
	return &asm.ElemExpr{Op: op, Args: xs}
}

// elem registers the vector kernel of e on args arguments and returns its
// name; identical kernels share one.
func (g *gen) elem(e *asm.ElemExpr, args int, rows bool) string {
	if g.elemSeen == nil {
		g.elemSeen = map[string]string{}
	}
	key := fmt.Sprintf("%d:%t:%s", args, rows, e)
	if name, ok := g.elemSeen[key]; ok {
		return name
	}
	name := "elem" + strconv.Itoa(len(g.elems))
	g.elemSeen[key] = name
	g.elems = append(g.elems, asm.ElemSpec{Name: name, Args: args, Expr: e, Rows: rows})
	return name
}

// elemHelper registers a float32 math helper of the twins' file and
// returns its name.
func (g *gen) elemHelper(name string) *jen.Statement {
	if g.elemHelpers == nil {
		g.elemHelpers = map[string]bool{}
	}
	g.elemHelpers[name] = true
	return id(name)
}

// emitElemFiles renders the vector kernels and helpers into g.raw.
func (g *gen) emitElemFiles() error {
	if len(g.elems) == 0 && len(g.multis) == 0 && len(g.elemHelpers) == 0 {
		return nil
	}
	u, err := asm.Config{Pkg: g.opts.Package, GeneratedBy: "dlc build " + g.sourceName()}.GenerateElemMulti(g.elems, g.multis, sortedKeys(g.elemHelpers))
	if err != nil {
		return err
	}
	for name, b := range u.Files(elemBase) {
		g.raw[name] = b
	}
	return nil
}

// vectorElementwise emits v (elementwise or fused, ops as emitElementwise
// built them) as a call of a vector kernel and reports whether it could.
func (k *kernel) vectorElementwise(ops []operand) (bool, error) {
	v := k.v
	var e *ir.Expr
	switch {
	case v.Op == ir.OpFused:
		var err error
		if e, err = ir.ParseExpr(v.Attrs.Str("expr")); err != nil {
			return false, err
		}
	case v.Op.IsElementwise():
		e = &ir.Expr{Op: v.Op, Attrs: v.Attrs}
		for i := range v.Args {
			e.Args = append(e.Args, ir.ArgExpr(i))
		}
	default:
		return false, nil
	}
	return k.vectorMap(ops, v.Args, e), nil
}

// epilogueOps are the operands of v's epilogue over dst (a0, the
// product, read from dst), reading slice arguments in place.
func (k *kernel) epilogueOps() ([]operand, []*ir.Value) {
	v := k.v
	ops := []operand{{name: "dst", strides: contiguous(dims(v.Type.Shape))}}
	src := []*ir.Value{nil}
	for i := v.Op.Arity(); i < len(v.Args); i++ {
		ops = append(ops, k.argOperand(i, v.Type.Shape))
		src = append(src, v.Args[i])
	}
	return ops, src
}

// vectorEpilogue applies v's epilogue in place over dst after a product:
// through a vector kernel when it can, else as one more strided loop.
func (k *kernel) vectorEpilogue() error {
	e, _ := ir.Epilogue(k.v)
	if e == nil {
		return nil
	}
	ops, src := k.epilogueOps()
	if k.vectorMap(ops, src, e) {
		return nil
	}
	var err error
	k.stridedMap(dims(k.v.Type.Shape), ops, func(args []jen.Code) jen.Code {
		var c jen.Code
		c, err = k.exprCode(e, args)
		return c
	})
	return err
}

// vectorMap emits dst = e(ops) over the whole of dst (shaped as v) as a
// call of a vector kernel, argument i of e being ops[i] (the value src[i],
// for the literals), and reports whether it could: every operand a literal
// or contiguous like dst.
func (k *kernel) vectorMap(ops []operand, src []*ir.Value, e *ir.Expr) bool {
	v := k.v
	if !useElemAsm || k.g.float != ir.F32 || v.Type.DType != ir.F32 {
		return false
	}
	ds, cops := collapse(dims(v.Type.Shape), ops)
	r := len(ds)
	if r != 1 && r != 2 {
		return false
	}
	index := make([]int, len(ops)) // argument of the vector kernel, -1 for literals
	var vops []operand
	for i, o := range cops {
		index[i] = -1
		if o.literal != nil {
			continue
		}
		if o.strides[r-1] != 1 {
			return false
		}
		index[i] = len(vops)
		vops = append(vops, o)
	}
	if len(vops) == 0 {
		return false
	}
	ok := true
	x := elemExpr(e, func(i int) *asm.ElemExpr {
		if i >= len(ops) {
			return nil
		}
		if index[i] < 0 {
			if i >= len(src) || src[i] == nil {
				ok = false
				return nil
			}
			return &asm.ElemExpr{Op: "lit", Value: root(src[i]).Attrs.Float("value", 0)}
		}
		return &asm.ElemExpr{Op: "arg", Arg: index[i]}
	})
	if !ok || x == nil || !asm.ElemSupported(x) {
		return false
	}
	name := k.g.elem(x, len(vops), r == 2)
	if r == 1 {
		args := []jen.Code{id("d")}
		for _, o := range vops {
			if o.name == "dst" && o.offset == 0 {
				args = append(args, id("d"))
				continue
			}
			args = append(args, window(o.name, L(o.offset), jen.Len(id("d"))))
		}
		k.add(define("d", id("dst").Index(jen.Empty(), k.size(ds[0]))),
			jen.Comment(fmt.Sprintf("%s = %s", name, x)),
			id(name).Call(args...))
		return true
	}
	// Rows of a matrix: one call over rows ≥ 1 (the batch is at least 1),
	// each slice bounded to (rows-1)*stride + cols elements.
	rows, cols := k.size(ds[0]), ds[1].k
	span := func(stride int) jen.Code {
		if !ds[0].b || stride == 0 {
			return lit((ds[0].k-1)*stride + cols)
		}
		if stride == cols {
			return k.size(dim{k: ds[0].k * cols, b: true})
		}
		return jen.Add(k.size(ds[0])).Op("*").Lit(stride).Op("-").Lit(stride - cols)
	}
	args := []jen.Code{rows, lit(cols), window("dst", L(0), span(cols)), lit(cols)}
	for _, o := range vops {
		args = append(args, window(o.name, L(o.offset), span(o.strides[0])), lit(o.strides[0]))
	}
	k.add(jen.Comment(fmt.Sprintf("%s = %s, row by row", name, x)), id(name).Call(args...))
	return true
}
