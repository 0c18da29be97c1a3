package interp

import (
	"fmt"

	"github.com/dlc-lang/dlc/ir"
)

// evalMaxPool2dArgmax recomputes, from the input x of its argument
// y = maxpool2d(x), the plane offset of each maximum, as maxpool2d picks it.
func evalMaxPool2dArgmax(c *call) (*Tensor, error) {
	x, ok := c.vals[c.v.Args[0].Args[0]]
	if !ok {
		return nil, fmt.Errorf("the input of its maxpool2d is not defined")
	}
	win := poolWindow(c.v.Attrs)
	out := NewTensor(c.out...)
	poolLoops(x.Shape, c.out, func(plane, oo, i, j int) {
		out.Data[oo] = float64(maxPoolArg(win, x.Data, plane, i, j, x.Shape[2], x.Shape[3]) - plane)
	})
	return out, nil
}

// evalMaxPool2dGradIdx (idx, dy) {shape} adds each dy at its plane offset.
func evalMaxPool2dGradIdx(c *call) (*Tensor, error) {
	idx, dy := c.args[0], c.args[1]
	dx := NewTensor(c.out...)
	plane := c.out[2] * c.out[3]
	for o, d := range dy.Data {
		k := int(idx.Data[o])
		if k < 0 || k >= plane {
			return nil, fmt.Errorf("index %d outside a plane of %d elements", k, plane)
		}
		dx.Data[o/(dy.Shape[2]*dy.Shape[3])*plane+k] += d
	}
	return dx, nil
}

// evalMeanGrad (dy) {axes, shape} broadcasts dy over the reduced axes and
// divides by the number of elements each mean reduced.
func evalMeanGrad(c *call) (*Tensor, error) {
	dy := c.args[0]
	axes, err := ir.NormAxes(c.v.Attrs.Ints("axes"), len(c.out))
	if err != nil {
		return nil, err
	}
	count := 1
	for _, a := range axes {
		count *= c.out[a]
	}
	out := NewTensor(c.out...)
	src := make([]int, len(c.out))
	forEach(c.out, func(off int, idx []int) {
		copy(src, idx)
		for _, a := range axes {
			src[a] = 0
		}
		out.Data[off] = dy.At(src...) / float64(count)
	})
	return out, nil
}
