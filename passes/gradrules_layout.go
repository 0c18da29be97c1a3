package passes

import (
	"github.com/dlc-lang/dlc/ir"
)

// keepDims reshapes dy, the adjoint of the reduction v, to the shape v
// has with keepdims, so that it broadcasts back over v's argument.
func (g *gradCtx) keepDims(v, dy *ir.Value) *ir.Value {
	xs := v.Args[0].Type.Shape
	axes, err := ir.NormAxes(v.Attrs.Ints("axes"), xs.Rank())
	if err != nil {
		panic("passes: autodiff: " + err.Error())
	}
	return g.reshape(dy, ir.ReducedShape(xs, axes, true))
}

// sumGrad: every element of a group gets the group's dy.
func sumGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	return []*ir.Value{g.broadcast(g.keepDims(v, dy), v.Args[0].Type.Shape)}
}

// meanGrad: every element of a group gets dy / count, count being the
// group's size. When the batch axis is reduced the count is n·c for the
// runtime batch size n and the static size c of the other reduced axes:
// mean_grad divides by it as it broadcasts, in one kernel. Otherwise it is
// a scalar const c. Dividing (rather than multiplying by 1/c) matches
// PyTorch's mean backward.
func meanGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	x := v.Args[0]
	xs := x.Type.Shape
	axes, _ := ir.NormAxes(v.Attrs.Ints("axes"), xs.Rank())
	c := 1
	for _, a := range axes {
		if xs[a] == ir.B {
			return []*ir.Value{g.op(ir.OpMeanGrad, ir.Attrs{"axes": axes, "shape": []int(xs.Clone())}, g.keepDims(v, dy))}
		}
		c *= xs[a]
	}
	d := g.keepDims(v, dy)
	if c != 1 {
		d = g.op(ir.OpDiv, nil, d, g.scalar(float64(c), x))
	}
	return []*ir.Value{g.broadcast(d, xs)}
}

// maxGrad routes dy to the first maximum of each group (max_grad).
func maxGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	return []*ir.Value{g.op(ir.OpMaxGrad, g.copyAttrs(v, "axes", "keepdims"), v.Args[0], v, dy)}
}

func reshapeGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	return []*ir.Value{g.reshape(dy, v.Args[0].Type.Shape)}
}

// transposeGrad transposes dy by the inverse permutation.
func transposeGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	perm := v.Attrs.Ints("perm")
	inv := make([]int, len(perm))
	for i, p := range perm {
		inv[p] = i
	}
	return []*ir.Value{g.op(ir.OpTranspose, ir.Attrs{"perm": inv}, dy)}
}

// sliceGrad writes dy into zeros of the argument's shape (slice_grad).
func sliceGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	a := g.copyAttrs(v, "axis", "start", "end", "step")
	a["shape"] = []int(v.Args[0].Type.Shape.Clone())
	return []*ir.Value{g.op(ir.OpSliceGrad, a, dy)}
}

// concatGrad gives each argument its slice of dy.
func concatGrad(g *gradCtx, v, dy *ir.Value) []*ir.Value {
	if len(v.Args) == 1 {
		return []*ir.Value{dy}
	}
	axis := v.Attrs.Int("axis", 0)
	ds := make([]*ir.Value, len(v.Args))
	at := 0
	for i, a := range v.Args {
		n := a.Type.Shape[axis]
		ds[i] = g.op(ir.OpSlice, ir.Attrs{"axis": axis, "start": at, "end": at + n, "step": 1}, dy)
		at += n
	}
	return ds
}
