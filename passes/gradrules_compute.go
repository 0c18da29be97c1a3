package passes

import (
	"github.com/dlc-lang/dlc/ir"
)

// matmulGrad differentiates C = op(A)·op(B) for each of ta, tb:
//
//	C = A·B     dA = dC·Bᵀ    dB = Aᵀ·dC
//	C = A·Bᵀ    dA = dC·B     dB = dCᵀ·A
//	C = Aᵀ·B    dA = B·dCᵀ    dB = A·dC
//	C = Aᵀ·Bᵀ   dA = Bᵀ·dCᵀ   dB = dCᵀ·Aᵀ
//
// Each product is one matmul with the right flags, and each respects the
// IR's rule that a batched right operand is contracted (dB of a batched A
// contracts the batch). A with leading dims (never transposed) is handled
// by matmulLeadingGrad.
func matmulGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	a, b := v.Args[0], v.Args[1]
	ta, tb := v.Attrs.Bool("ta"), v.Attrs.Bool("tb")
	if a.Type.Shape.Rank() > 2 {
		return []*ir.Value{g.matmul(dy, b, false, !tb), g.matmulLeadingGrad(a, dy, tb)}
	}
	switch {
	case !ta && !tb:
		return []*ir.Value{g.matmul(dy, b, false, true), g.matmul(a, dy, true, false)}
	case !ta && tb:
		return []*ir.Value{g.matmul(dy, b, false, false), g.matmul(dy, a, true, false)}
	case ta && !tb:
		return []*ir.Value{g.matmul(b, dy, false, true), g.matmul(a, dy, false, false)}
	default:
		return []*ir.Value{g.matmul(b, dy, true, true), g.matmul(dy, a, true, true)}
	}
}

func (g *gradCtx) matmul(a, b *ir.Value, ta, tb bool) *ir.Value {
	attrs := ir.Attrs{}
	if ta {
		attrs["ta"] = true
	}
	if tb {
		attrs["tb"] = true
	}
	return g.op(ir.OpMatMul, attrs, a, b)
}

// matmulLeadingGrad is dB of C = A·op(B) when A [L..., K] has leading
// dims, whose rows all contract: dB = Σ_rows Aᵀ·dC (or dCᵀ·A for tb).
// Unbatched leading dims fold into the rows by a reshape. A matmul cannot
// contract a batched rank-3 operand, and B must stay axis 0, so a batched
// A [B, T..., K] is taken one position t of its middle axes at a time, each
// a [B, K] matrix whose batch the matmul contracts, and the T products are
// added.
func (g *gradCtx) matmulLeadingGrad(a, dy *ir.Value, tb bool) *ir.Value {
	as, ds := a.Type.Shape, dy.Type.Shape
	k, n := as[as.Rank()-1], ds[ds.Rank()-1]
	grad := func(a2, d2 *ir.Value) *ir.Value {
		if tb {
			return g.matmul(d2, a2, true, false)
		}
		return g.matmul(a2, d2, true, false)
	}
	if !as.Batched() {
		rows := as.Elems(0) / k
		return grad(g.reshape(a, ir.Shape{rows, k}), g.reshape(dy, ir.Shape{rows, n}))
	}
	t := as[1 : as.Rank()-1].Elems(0)
	a3, d3 := g.reshape(a, ir.Shape{ir.B, t, k}), g.reshape(dy, ir.Shape{ir.B, t, n})
	var sum *ir.Value
	for i := 0; i < t; i++ {
		at := ir.Attrs{"axis": 1, "start": i, "end": i + 1, "step": 1}
		ai := g.reshape(g.op(ir.OpSlice, at, a3), ir.Shape{ir.B, k})
		di := g.reshape(g.op(ir.OpSlice, at.Clone(), d3), ir.Shape{ir.B, n})
		if p := grad(ai, di); sum == nil {
			sum = p
		} else {
			sum = g.op(ir.OpAdd, nil, sum, p)
		}
	}
	return sum
}

// conv2dGrad: the input's adjoint is conv2d_grad_input(dy, w), the
// weight's conv2d_grad_weight(x, dy), each told the shape it produces.
func conv2dGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	x, w := v.Args[0], v.Args[1]
	ax := g.copyAttrs(v, "stride", "pad", "dilation")
	ax["shape"] = []int(x.Type.Shape.Clone())
	aw := g.copyAttrs(v, "stride", "pad", "dilation")
	aw["shape"] = []int(w.Type.Shape.Clone())
	return []*ir.Value{g.op(ir.OpConv2dGradInput, ax, dy, w), g.op(ir.OpConv2dGradWeight, aw, x, dy)}
}

func maxPool2dGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	return []*ir.Value{g.op(ir.OpMaxPool2dGrad, g.copyAttrs(v, "kernel", "stride", "pad"), v.Args[0], dy)}
}

func avgPool2dGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	a := g.copyAttrs(v, "kernel", "stride", "pad")
	a["shape"] = []int(v.Args[0].Type.Shape.Clone())
	return []*ir.Value{g.op(ir.OpAvgPool2dGrad, a, dy)}
}

// softmaxGrad is the rule of softmax and log_softmax: their grad ops take
// the forward output y and dy.
func softmaxGrad(op ir.Op) gradRule {
	return func(g *gradCtx, v, dy *ir.Value) []*ir.Value {
		return []*ir.Value{g.op(op, g.copyAttrs(v, "axis"), v, dy)}
	}
}

// crossEntropyGrad: the scores get cross_entropy_grad; labels are integers.
func crossEntropyGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	return []*ir.Value{g.op(ir.OpCrossEntropyGrad, nil, v.Args[0], v.Args[1], dy), nil}
}

func nllGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	a := ir.Attrs{"shape": []int(v.Args[0].Type.Shape.Clone())}
	return []*ir.Value{g.op(ir.OpNLLGrad, a, v.Args[1], dy), nil}
}

// gatherGrad adds each row of dy into the table row it was read from.
func gatherGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	a := ir.Attrs{"shape": []int(v.Args[0].Type.Shape.Clone())}
	return []*ir.Value{g.op(ir.OpScatterAdd, a, v.Args[1], dy), nil}
}

// castGrad casts dy back to the argument's float type; an integer
// argument, or an integer result, carries no gradient.
func castGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	x := v.Args[0]
	if !x.Type.DType.IsFloat() || !v.Type.DType.IsFloat() {
		return []*ir.Value{nil}
	}
	if x.Type.DType == v.Type.DType {
		return []*ir.Value{dy}
	}
	return []*ir.Value{g.op(ir.OpCast, ir.Attrs{"dtype": x.Type.DType.String()}, dy)}
}
