package interp

import (
	"math"

	"github.com/dlc-lang/dlc/ir"
)

// poolWindow reads {kernel, stride, pad}; stride defaults to the kernel.
func poolWindow(a ir.Attrs) window {
	w := window{dh: 1, dw: 1}
	w.kh, w.kw = pairAttr(a, "kernel", 0)
	w.sh, w.sw = pairAttr(a, "stride", w.kh)
	if a.Ints("stride") == nil {
		w.sw = w.kw
	}
	w.ph, w.pw = pairAttr(a, "pad", 0)
	return w
}

// poolLoops calls fn for every output element of an NCHW pooling of input
// shape xs into output shape os, with the flat offset of the plane's
// element (0,0) in the input, the output offset, and the output position.
func poolLoops(xs, os []int, fn func(plane, oo, i, j int)) {
	h, w := xs[2], xs[3]
	oh, ow := os[2], os[3]
	for nc := 0; nc < xs[0]*xs[1]; nc++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				fn(nc*h*w, (nc*oh+i)*ow+j, i, j)
			}
		}
	}
}

// maxPoolArg is the input offset maxpool2d reads for output (i,j) of the
// plane at offset plane, as PyTorch's CPU kernel picks it: scanning the
// window row by row, a value replaces the current maximum when it is
// greater or NaN; padding (-inf) never wins, and the first in-bounds tap is
// the starting candidate.
func maxPoolArg(win window, x []float64, plane, i, j, h, w int) int {
	arg, best := -1, math.Inf(-1)
	win.visit(i, j, h, w, func(_, _, y, xx int) {
		off := plane + y*w + xx
		if arg < 0 {
			arg = off
		}
		if v := x[off]; v > best || math.IsNaN(v) {
			arg, best = off, v
		}
	})
	return arg
}

func evalMaxPool2d(c *call) (*Tensor, error) {
	x := c.args[0]
	win := poolWindow(c.v.Attrs)
	out := NewTensor(c.out...)
	poolLoops(x.Shape, c.out, func(plane, oo, i, j int) {
		out.Data[oo] = x.Data[maxPoolArg(win, x.Data, plane, i, j, x.Shape[2], x.Shape[3])]
	})
	return out, nil
}

// evalMaxPool2dGrad (x, dy) adds each dy to the input element its window's
// maximum came from.
func evalMaxPool2dGrad(c *call) (*Tensor, error) {
	x, dy := c.args[0], c.args[1]
	win := poolWindow(c.v.Attrs)
	dx := NewTensor(c.out...)
	poolLoops(x.Shape, dy.Shape, func(plane, oo, i, j int) {
		dx.Data[maxPoolArg(win, x.Data, plane, i, j, x.Shape[2], x.Shape[3])] += dy.Data[oo]
	})
	return dx, nil
}

// avgDivisor is PyTorch's divisor with count_include_pad=True: the window
// clipped to the padded input (not to the input itself).
func avgDivisor(win window, i, j, h, w int) float64 {
	y0, x0 := i*win.sh-win.ph, j*win.sw-win.pw
	y1, x1 := min(y0+win.kh, h+win.ph), min(x0+win.kw, w+win.pw)
	return float64((y1 - y0) * (x1 - x0))
}

func evalAvgPool2d(c *call) (*Tensor, error) {
	x := c.args[0]
	win := poolWindow(c.v.Attrs)
	h, w := x.Shape[2], x.Shape[3]
	out := NewTensor(c.out...)
	poolLoops(x.Shape, c.out, func(plane, oo, i, j int) {
		s := 0.0
		win.visit(i, j, h, w, func(_, _, y, xx int) { s += x.Data[plane+y*w+xx] })
		out.Data[oo] = s / avgDivisor(win, i, j, h, w)
	})
	return out, nil
}

// evalAvgPool2dGrad (dy) {shape} spreads each dy over the in-bounds taps of
// its window, divided by the same divisor as the forward op.
func evalAvgPool2dGrad(c *call) (*Tensor, error) {
	dy := c.args[0]
	win := poolWindow(c.v.Attrs)
	dx := NewTensor(c.out...)
	h, w := c.out[2], c.out[3]
	poolLoops(c.out, dy.Shape, func(plane, oo, i, j int) {
		g := dy.Data[oo] / avgDivisor(win, i, j, h, w)
		win.visit(i, j, h, w, func(_, _, y, xx int) { dx.Data[plane+y*w+xx] += g })
	})
	return dx, nil
}
