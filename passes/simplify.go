package passes

import (
	"github.com/dlc-lang/dlc/ir"
)

// Simplify applies algebraic identities and the numerically stable loss
// fusions to every func: bce(sigmoid(z), y) becomes bce_logits(z, y) and
// nll(log_softmax(z), y) becomes cross_entropy(z, y), so losses stay finite
// for logits of any size. It then removes dead values.
func Simplify(p *ir.Program) error {
	for _, f := range p.Funcs {
		rewrite(f, func() map[ir.Op]rewriteRule { return simplifyRules })
	}
	return nil
}

// simplifyRules holds one rule per op (STYLE: tables keyed by the op).
var simplifyRules = map[ir.Op]rewriteRule{
	ir.OpBCE: func(r *rewriter, v *ir.Value) *ir.Value {
		if s := v.Args[0]; s.Op == ir.OpSigmoid {
			return r.emit(ir.OpBCELogits, nil, s.Args[0], v.Args[1])
		}
		return nil
	},
	ir.OpNLL: func(r *rewriter, v *ir.Value) *ir.Value {
		if s := v.Args[0]; s.Op == ir.OpLogSoftmax && s.Attrs.Int("axis", -1) == 1 {
			return r.emit(ir.OpCrossEntropy, nil, s.Args[0], v.Args[1])
		}
		return nil
	},
	ir.OpReshape: func(r *rewriter, v *ir.Value) *ir.Value {
		x := v.Args[0]
		if x.Type.Equal(v.Type) {
			return x
		}
		if x.Op == ir.OpReshape {
			return r.emit(ir.OpReshape, v.Attrs, x.Args[0])
		}
		return nil
	},
	ir.OpTranspose: func(r *rewriter, v *ir.Value) *ir.Value {
		perm := v.Attrs.Ints("perm")
		if isIdentity(perm) {
			return v.Args[0]
		}
		if x := v.Args[0]; x.Op == ir.OpTranspose {
			inner := x.Attrs.Ints("perm")
			composed := make([]int, len(perm))
			for i, p := range perm {
				composed[i] = inner[p]
			}
			if isIdentity(composed) {
				return x.Args[0]
			}
			return r.emit(ir.OpTranspose, ir.Attrs{"perm": composed}, x.Args[0])
		}
		return nil
	},
	ir.OpNeg: func(r *rewriter, v *ir.Value) *ir.Value {
		if x := v.Args[0]; x.Op == ir.OpNeg {
			return x.Args[0]
		}
		return nil
	},
	ir.OpMul: func(r *rewriter, v *ir.Value) *ir.Value {
		x, y := v.Args[0], v.Args[1]
		if c, ok := scalarConst(y); ok && x.Type.Equal(v.Type) {
			if c == 1 {
				return x
			}
			return r.emit(ir.OpScale, ir.Attrs{"value": c}, x)
		}
		if c, ok := scalarConst(x); ok && y.Type.Equal(v.Type) {
			if c == 1 {
				return y
			}
			return r.emit(ir.OpScale, ir.Attrs{"value": c}, y)
		}
		return nil
	},
	ir.OpDiv: func(r *rewriter, v *ir.Value) *ir.Value {
		if c, ok := scalarConst(v.Args[1]); ok && c != 0 && v.Args[0].Type.Equal(v.Type) {
			if c == 1 {
				return v.Args[0]
			}
			return r.emit(ir.OpScale, ir.Attrs{"value": 1 / c}, v.Args[0])
		}
		return nil
	},
	ir.OpAdd: func(r *rewriter, v *ir.Value) *ir.Value {
		x, y := v.Args[0], v.Args[1]
		if c, ok := scalarConst(y); ok && c == 0 && x.Type.Equal(v.Type) {
			return x
		}
		if c, ok := scalarConst(x); ok && c == 0 && y.Type.Equal(v.Type) {
			return y
		}
		return nil
	},
	ir.OpSub: func(r *rewriter, v *ir.Value) *ir.Value {
		if c, ok := scalarConst(v.Args[1]); ok && c == 0 && v.Args[0].Type.Equal(v.Type) {
			return v.Args[0]
		}
		return nil
	},
	ir.OpScale: func(r *rewriter, v *ir.Value) *ir.Value {
		c := v.Attrs.Float("value", 1)
		if c == 1 {
			return v.Args[0]
		}
		if x := v.Args[0]; x.Op == ir.OpScale {
			return r.emit(ir.OpScale, ir.Attrs{"value": c * x.Attrs.Float("value", 1)}, x.Args[0])
		}
		return nil
	},
}

// scalarConst reports the value of a constant that has a single element.
func scalarConst(v *ir.Value) (float64, bool) {
	if v.Op != ir.OpConst || v.Type.Shape.Batched() || v.Type.Shape.Elems(1) != 1 {
		return 0, false
	}
	return v.Attrs.Float("value", 0), true
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}
