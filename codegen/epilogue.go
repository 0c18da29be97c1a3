package codegen

import (
	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// epilogueOperands are the extra arguments of a product's epilogue
// (ir.Epilogue) as operands of a loop over the product, a0 being the
// product itself, read from dst.
func (k *kernel) epilogueOperands() []operand {
	v := k.v
	out := v.Type.Shape
	ops := []operand{{name: "dst", strides: contiguous(dims(out))}}
	for i := v.Op.Arity(); i < len(v.Args); i++ {
		a := v.Args[i]
		if inlinable(a) {
			ops = append(ops, operand{literal: k.g.operandLit(root(a))})
			continue
		}
		ops = append(ops, operand{name: k.arg(i), strides: broadcastStrides(a.Type.Shape, out)})
	}
	return ops
}

// emitEpilogue applies v's epilogue in place over dst after the product:
// one more strided loop inside the same kernel, while dst is warm.
func (k *kernel) emitEpilogue() error {
	e, _ := ir.Epilogue(k.v)
	if e == nil {
		return nil
	}
	var err error
	k.stridedMap(dims(k.v.Type.Shape), k.epilogueOperands(), func(args []jen.Code) jen.Code {
		var c jen.Code
		c, err = k.exprCode(e, args)
		return c
	})
	return err
}

// rowEpilogue renders the epilogue of a matmul whose output rows are
// [m, n] applied to the value x of element (i, j), for the store
// dst[i,j] = epilogue(x): possible when every extra argument is a row
// (stride 1 along j, 0 along i), the whole output, or a literal. It
// returns nil when some argument has another shape; stmts are the
// temporaries the expression needs before the store.
func (k *kernel) rowEpilogue(x jen.Code, n int) (code jen.Code, stmts []jen.Code, ok bool) {
	e, _ := ir.Epilogue(k.v)
	if e == nil {
		return x, nil, true
	}
	out := k.v.Type.Shape
	args := []jen.Code{x}
	for i := k.v.Op.Arity(); i < len(k.v.Args); i++ {
		a := k.v.Args[i]
		switch {
		case inlinable(a):
			args = append(args, k.g.operandLit(root(a)))
		case !a.Type.Shape.Batched() && a.Type.Shape.Elems(1) == n && a.Type.Shape[len(a.Type.Shape)-1] == n:
			args = append(args, id(k.arg(i)).Index(id("j")))
		case a.Type.Shape.Equal(out):
			args = append(args, id(k.arg(i)).Index(L(0).plus("i", n).plus("j", 1).code()))
		default:
			return nil, nil, false
		}
	}
	c, err := k.exprCode(e, args)
	if err != nil {
		return nil, nil, false
	}
	return c, k.takeLoopStmts(), true
}
