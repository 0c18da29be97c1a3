package interp

import (
	"fmt"

	"github.com/dlc-lang/dlc/ir"
)

// evalMaxPool2dArgmax recomputes, from the input x of its argument
// y = maxpool2d(x), the offset of each maximum inside its window
// (ir.PoolTap), as maxpool2d picks it.
func evalMaxPool2dArgmax(c *call) (*Tensor, error) {
	x, ok := c.vals[c.v.Args[0].Args[0]]
	if !ok {
		return nil, fmt.Errorf("the input of its maxpool2d is not defined")
	}
	win := poolWindow(c.v.Attrs)
	h, w := x.Shape[2], x.Shape[3]
	out := NewTensor(c.out...)
	poolLoops(x.Shape, c.out, func(plane, oo, i, j int) {
		off := maxPoolArg(win, x.Data, plane, i, j, h, w) - plane
		out.Data[oo] = float64(ir.PoolTap(off/w, off%w, i, j, win.kw, win.sh, win.sw, win.ph, win.pw))
	})
	return out, nil
}

// evalMaxPool2dGradIdx (idx, dy) {kernel, stride, pad, shape} adds each dy
// at the input element its window offset names.
func evalMaxPool2dGradIdx(c *call) (*Tensor, error) {
	idx, dy := c.args[0], c.args[1]
	win := poolWindow(c.v.Attrs)
	dx := NewTensor(c.out...)
	h, w := c.out[2], c.out[3]
	var err error
	poolLoops(dx.Shape, dy.Shape, func(plane, oo, i, j int) {
		t := int(idx.Data[oo])
		y, x := i*win.sh-win.ph+t/max(win.kw, 1), j*win.sw-win.pw+t%max(win.kw, 1)
		if t < 0 || t >= win.kh*win.kw || y < 0 || y >= h || x < 0 || x >= w {
			if err == nil {
				err = fmt.Errorf("window offset %d of output (%d,%d) is outside the %dx%d window or the %dx%d input", t, i, j, win.kh, win.kw, h, w)
			}
			return
		}
		dx.Data[plane+y*w+x] += dy.Data[oo]
	})
	return dx, err
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
