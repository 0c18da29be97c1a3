package passes

import (
	"github.com/dlc-lang/dlc/ir"
)

// gradRule returns the adjoint contribution of each argument of v given
// dy, the adjoint of v (tinygrad's pm_gradient). A nil entry means no
// contribution: the argument is an integer, or the op is flat in it.
// Rules build values for every float argument; Autodiff keeps those an
// active argument needs and prunes the rest.
type gradRule func(g *gradCtx, v, dy *ir.Value) []*ir.Value

// gradRules has one row per differentiable op. Sources (input, param,
// const, dropout_mask) are leaves and have none; the ops that only
// backward graphs contain are listed in backwardOnlyOps.
var gradRules = map[ir.Op]gradRule{
	ir.OpNeg:    unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.op(ir.OpNeg, nil, dy) }),
	ir.OpExp:    unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.mul(dy, y) }),
	ir.OpLog:    unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.op(ir.OpDiv, nil, dy, x) }),
	ir.OpSqrt:   unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.op(ir.OpDiv, nil, g.scale(dy, 0.5), y) }),
	ir.OpAbs:    unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.mul(dy, g.op(ir.OpSign, nil, x)) }),
	ir.OpSign:   zeroGrad,
	ir.OpSquare: unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.mul(dy, g.scale(x, 2)) }),
	ir.OpRecip: unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value {
		return g.op(ir.OpNeg, nil, g.mul(dy, g.op(ir.OpSquare, nil, y)))
	}),
	ir.OpRelu:      unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.op(ir.OpReluGrad, nil, x, dy) }),
	ir.OpLeakyRelu: leakyReluGrad,
	ir.OpSigmoid:   unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.op(ir.OpSigmoidGrad, nil, y, dy) }),
	ir.OpTanh:      unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.op(ir.OpTanhGrad, nil, y, dy) }),
	ir.OpGelu:      unaryGrad(func(g *gradCtx, x, y, dy *ir.Value) *ir.Value { return g.op(ir.OpGeluGrad, nil, x, dy) }),
	ir.OpScale:     scaleGrad,

	ir.OpAdd:       broadcastGrad(func(g *gradCtx, v, dy *ir.Value) []*ir.Value { return []*ir.Value{dy, dy} }),
	ir.OpSub:       broadcastGrad(func(g *gradCtx, v, dy *ir.Value) []*ir.Value { return []*ir.Value{dy, g.op(ir.OpNeg, nil, dy)} }),
	ir.OpMul:       broadcastGrad(mulGrad),
	ir.OpDiv:       broadcastGrad(divGrad),
	ir.OpPow:       broadcastGrad(powGrad),
	ir.OpMaximum:   broadcastGrad(func(g *gradCtx, v, dy *ir.Value) []*ir.Value { return g.pickGrad(v, dy, v.Args[0], v.Args[1]) }),
	ir.OpMinimum:   broadcastGrad(func(g *gradCtx, v, dy *ir.Value) []*ir.Value { return g.pickGrad(v, dy, v.Args[1], v.Args[0]) }),
	ir.OpGreater:   zeroGrad,
	ir.OpBCE:       broadcastGrad(bceGrad),
	ir.OpBCELogits: broadcastGrad(bceLogitsGrad),

	ir.OpSum:  sumGrad,
	ir.OpMean: meanGrad,
	ir.OpMax:  maxGrad,

	ir.OpReshape:   reshapeGrad,
	ir.OpTranspose: transposeGrad,
	ir.OpBroadcast: func(g *gradCtx, v, dy *ir.Value) []*ir.Value { return []*ir.Value{g.sumTo(dy, v.Args[0].Type.Shape)} },
	ir.OpSlice:     sliceGrad,
	ir.OpConcat:    concatGrad,

	ir.OpMatMul:       matmulGrad,
	ir.OpConv2d:       conv2dGrad,
	ir.OpMaxPool2d:    maxPool2dGrad,
	ir.OpAvgPool2d:    avgPool2dGrad,
	ir.OpSoftmax:      softmaxGrad(ir.OpSoftmaxGrad),
	ir.OpLogSoftmax:   softmaxGrad(ir.OpLogSoftmaxGrad),
	ir.OpCrossEntropy: crossEntropyGrad,
	ir.OpNLL:          nllGrad,
	ir.OpGather:       gatherGrad,
	ir.OpCast:         castGrad,
}

// backwardOnlyOps are the ops autodiff emits and never differentiates:
// dlc computes first derivatives only. Fused ops appear only after
// autodiff, made by fusion.
var backwardOnlyOps = map[ir.Op]bool{
	ir.OpReluGrad: true, ir.OpLeakyReluGrad: true, ir.OpSigmoidGrad: true, ir.OpTanhGrad: true,
	ir.OpGeluGrad: true, ir.OpBCEGrad: true, ir.OpBCELogitsGrad: true, ir.OpMaxGrad: true,
	ir.OpSliceGrad: true, ir.OpMeanGrad: true, ir.OpMaxPool2dArgmax: true, ir.OpMaxPool2dGradIdx: true, ir.OpConv2dGradInput: true, ir.OpConv2dGradWeight: true,
	ir.OpMaxPool2dGrad: true, ir.OpAvgPool2dGrad: true, ir.OpSoftmaxGrad: true,
	ir.OpLogSoftmaxGrad: true, ir.OpCrossEntropyGrad: true, ir.OpNLLGrad: true, ir.OpScatterAdd: true,
	ir.OpFused: true,
}

// zeroGrad is the rule of piecewise-constant ops (sign, greater): their
// derivative is zero wherever it exists, as in PyTorch.
func zeroGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value { return make([]*ir.Value, len(v.Args)) }

// unaryGrad adapts the rule of a one-argument elementwise op, given x, the
// op's output y and dy.
func unaryGrad(fn func(g *gradCtx, x, y, dy *ir.Value) *ir.Value) gradRule {
	return func(g *gradCtx, v, dy *ir.Value) []*ir.Value { return []*ir.Value{fn(g, v.Args[0], v, dy)} }
}

// broadcastGrad adapts the rule of a NumPy-broadcasting op: each
// contribution, of the result's shape, is summed down to its argument's.
func broadcastGrad(fn gradRule) gradRule {
	return func(g *gradCtx, v, dy *ir.Value) []*ir.Value {
		ds := fn(g, v, dy)
		for i, d := range ds {
			if d != nil {
				ds[i] = g.sumTo(d, v.Args[i].Type.Shape)
			}
		}
		return ds
	}
}

func leakyReluGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	return []*ir.Value{g.op(ir.OpLeakyReluGrad, g.copyAttrs(v, "alpha"), v.Args[0], dy)}
}

func scaleGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	return []*ir.Value{g.scale(dy, v.Attrs.Float("value", 1))}
}

func mulGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	a, b := v.Args[0], v.Args[1]
	return []*ir.Value{g.mul(dy, b), g.mul(dy, a)}
}

// divGrad: y = a/b, da = dy/b, db = -dy·y/b.
func divGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	b := v.Args[1]
	return []*ir.Value{g.op(ir.OpDiv, nil, dy, b), g.op(ir.OpNeg, nil, g.op(ir.OpDiv, nil, g.mul(dy, v), b))}
}

// powGrad: y = a^b, da = dy·b·a^(b-1), db = dy·y·log a (NaN for a < 0,
// where a^b is real only for integral b; such a b is usually a constant and
// gets no gradient).
func powGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	a, b := v.Args[0], v.Args[1]
	bm1 := g.op(ir.OpSub, nil, b, g.scalar(1, b))
	da := g.mul(dy, g.mul(b, g.op(ir.OpPow, nil, a, bm1)))
	db := g.mul(dy, g.mul(v, g.op(ir.OpLog, nil, a)))
	return []*ir.Value{da, db}
}

// pickGrad is the rule of maximum and minimum, a being picked where
// x > y: maximum passes (a, b) and minimum (b, a). The picked argument gets
// dy and ties split dy in halves, as in PyTorch: a's mask is
// (1 + [x>y] - [y>x]) / 2 and b's is 1 minus that.
func (g *gradCtx) pickGrad(v, dy, x, y *ir.Value) []*ir.Value {
	a := v.Args[0]
	d := g.op(ir.OpSub, nil, g.op(ir.OpGreater, nil, x, y), g.op(ir.OpGreater, nil, y, x))
	hd, half := g.scale(d, 0.5), g.scalar(0.5, a)
	ma := g.op(ir.OpAdd, nil, half, hd)
	mb := g.op(ir.OpSub, nil, half, hd)
	return []*ir.Value{g.mul(dy, ma), g.mul(dy, mb)}
}

// bceGrad: in p, bce_grad; in the target y, dy·(log(1-p) - log p) with
// both logs clamped at -100 as the forward op clamps them.
func bceGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	p, y := v.Args[0], v.Args[1]
	clampedLog := func(x *ir.Value) *ir.Value {
		return g.op(ir.OpMaximum, nil, g.op(ir.OpLog, nil, x), g.scalar(-100, x))
	}
	one := g.scalar(1, p)
	dtarget := g.mul(dy, g.op(ir.OpSub, nil, clampedLog(g.op(ir.OpSub, nil, one, p)), clampedLog(p)))
	return []*ir.Value{g.op(ir.OpBCEGrad, nil, p, y, dy), dtarget}
}

// bceLogitsGrad: in z, bce_logits_grad; in the target y, -dy·z.
func bceLogitsGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	z, y := v.Args[0], v.Args[1]
	return []*ir.Value{g.op(ir.OpBCELogitsGrad, nil, z, y, dy), g.op(ir.OpNeg, nil, g.mul(dy, z))}
}
