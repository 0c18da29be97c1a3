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

// sampleEpilogue renders v's epilogue over sample b of dst only (the
// elements dst[b·S:][:S] of an output [B, ...]), for a kernel that works
// sample by sample: the epilogue then runs while the sample is in cache, on
// the sample's thread. Each argument with a batch axis is sliced at sample
// b; the others are read whole. ok is false when the output has no leading
// batch axis. The code is nil without an epilogue. Call it before
// k.parallel: it registers the epilogue's arguments.
func (k *kernel) sampleEpilogue(b string) (code jen.Code, ok bool, err error) {
	return k.sampleEpilogueFrom(b, nil)
}

// sampleEpilogueFrom is sampleEpilogue reading the product, a0, from
// operand from (a per-sample slice with its own strides over the sample's
// axes) instead of dst; nil means dst.
func (k *kernel) sampleEpilogueFrom(b string, from *operand) (code jen.Code, ok bool, err error) {
	e, _ := ir.Epilogue(k.v)
	if e == nil {
		return nil, true, nil
	}
	out := k.v.Type.Shape
	if len(out) < 2 || out[0] != ir.B {
		return nil, false, nil
	}
	inner := dims(out[1:])
	size := prod(inner).k
	ops := k.epilogueOperands()
	shadows := []jen.Code{define("dst", window("dst", L(0).plus(b, size), lit(size)))}
	seen := map[string]bool{"dst": true}
	per := make([]operand, len(ops))
	for i, o := range ops {
		if o.literal != nil {
			per[i] = o
			continue
		}
		per[i] = operand{name: o.name, strides: o.strides[1:]}
		if i == 0 && from != nil {
			per[i] = *from
			continue
		}
		if s0 := o.strides[0]; s0 != 0 && !seen[o.name] {
			seen[o.name] = true
			shadows = append(shadows, define(o.name, id(o.name).Index(L(0).plus(b, s0).code(), jen.Empty())))
		}
	}
	saved := k.body
	k.body = nil
	k.stridedMap(inner, per, func(args []jen.Code) jen.Code {
		c, cerr := k.exprCode(e, args)
		if cerr != nil {
			err = cerr
		}
		return c
	})
	body := k.body
	k.body = saved
	return jen.Block(append(shadows, body...)...), true, err
}
