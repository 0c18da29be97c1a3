package passes

import "github.com/dlc-lang/dlc/ir"

// foldConstants replaces computations on constants by constants. A const
// value is a tensor filled with one number, so an elementwise op of fills
// is a fill, moving a fill around (reshape, broadcast, transpose, slice) is
// a fill of the new shape, its mean is itself and its sum over static axes
// is the number times their size. A sum over the batch dimension depends
// on the run-time batch size and stays.
var foldRules = map[ir.Op]rewriteRule{}

func init() {
	for _, op := range ir.Ops() {
		if op.IsElementwise() {
			foldRules[op] = foldElementwise
		}
	}
	for _, op := range []ir.Op{ir.OpReshape, ir.OpBroadcast, ir.OpTranspose, ir.OpSlice, ir.OpMean} {
		foldRules[op] = foldFill
	}
	foldRules[ir.OpSum] = foldSum
}

func foldElementwise(r *rewriter, v *ir.Value) *ir.Value {
	xs := make([]float64, len(v.Args))
	for i, a := range v.Args {
		if a.Op != ir.OpConst {
			return nil
		}
		xs[i] = a.Attrs.Float("value", 0)
	}
	return r.konst(v.Type, v.Op.Scalar(xs, v.Attrs))
}

func foldFill(r *rewriter, v *ir.Value) *ir.Value {
	if x := v.Args[0]; x.Op == ir.OpConst {
		return r.konst(v.Type, x.Attrs.Float("value", 0))
	}
	return nil
}

func foldSum(r *rewriter, v *ir.Value) *ir.Value {
	x := v.Args[0]
	if x.Op != ir.OpConst {
		return nil
	}
	count := 1
	for _, a := range v.Attrs.Ints("axes") {
		if x.Type.Shape[a] == ir.B {
			return nil
		}
		count *= x.Type.Shape[a]
	}
	return r.konst(v.Type, x.Attrs.Float("value", 0)*float64(count))
}

// konst emits a constant of type t at the current point of the walk.
func (r *rewriter) konst(t ir.Type, x float64) *ir.Value {
	b := &ir.Builder{F: r.scratch, Pos: r.pos, Name: r.name}
	v := b.Const(t, x)
	r.scratch.Values = r.scratch.Values[:0]
	r.out = append(r.out, v)
	return v
}

// FoldConstants folds constant subgraphs in every func.
func FoldConstants(p *ir.Program) error {
	for _, f := range p.Funcs {
		rewrite(f, func() map[ir.Op]rewriteRule { return foldRules })
	}
	return nil
}
