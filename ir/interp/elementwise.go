package interp

import (
	"fmt"
	"math"

	"github.com/dlc-lang/dlc/ir"
)

// evalElementwise applies the op's scalar definition (ir.Op.Scalar) to
// every element of the result, reading each argument with NumPy
// broadcasting: arguments align at their last axis and a size-1 axis
// repeats.
func evalElementwise(c *call) (*Tensor, error) {
	out := NewTensor(c.out...)
	st := make([][]int, len(c.args))
	for i, a := range c.args {
		st[i] = broadcastStrides(a.Shape, len(c.out))
	}
	x := make([]float64, len(c.args))
	forEach(c.out, func(off int, idx []int) {
		for i, a := range c.args {
			x[i] = a.Data[dot(idx, st[i])]
		}
		out.Data[off] = c.v.Op.Scalar(x, c.v.Attrs)
	})
	return out, nil
}

// broadcastStrides are the strides, one per axis of a rank-rank result,
// with which NumPy broadcasting reads a tensor of shape from: from aligns
// with the result's last axes, and its size-1 axes (and the missing leading
// ones) have stride 0.
func broadcastStrides(from []int, rank int) []int {
	out := make([]int, rank)
	shift := rank - len(from)
	for i, s := range strides(from) {
		if from[i] != 1 {
			out[i+shift] = s
		}
	}
	return out
}

// evalBroadcast copies the argument to the larger shape by NumPy's rule.
func evalBroadcast(c *call) (*Tensor, error) {
	out := NewTensor(c.out...)
	a := c.args[0]
	st := broadcastStrides(a.Shape, len(c.out))
	forEach(c.out, func(off int, idx []int) {
		out.Data[off] = a.Data[dot(idx, st)]
	})
	return out, nil
}

// evalCast converts to the dtype attribute. Casting to a float type keeps
// the float64 value (the interpreter computes every float in float64);
// casting to i32 truncates toward zero, as Go's int32(x) and PyTorch's
// .to(torch.int32) do.
func evalCast(c *call) (*Tensor, error) {
	d, ok := ir.ParseDType(c.v.Attrs.Str("dtype"))
	if !ok {
		return nil, fmt.Errorf("unknown dtype %q", c.v.Attrs.Str("dtype"))
	}
	out := c.args[0].Clone()
	if d == ir.I32 {
		for i, x := range out.Data {
			out.Data[i] = truncI32(x)
		}
	}
	return out, nil
}

func truncI32(x float64) float64 { return math.Trunc(x) }
