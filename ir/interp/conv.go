package interp

import "github.com/dlc-lang/dlc/ir"

// window describes a 2-D sliding window (a convolution kernel or a pooling
// window) with its stride, padding and dilation, as ir's attributes give them.
type window struct {
	kh, kw int
	sh, sw int
	ph, pw int
	dh, dw int
}

// pairAttr reads an [h,w] attribute, or def for both when absent.
func pairAttr(a ir.Attrs, key string, def int) (int, int) {
	if v := a.Ints(key); len(v) == 2 {
		return v[0], v[1]
	}
	return def, def
}

// convWindow reads {stride, pad, dilation} for a kernel of size kh×kw.
func convWindow(a ir.Attrs, kh, kw int) window {
	w := window{kh: kh, kw: kw}
	w.sh, w.sw = pairAttr(a, "stride", 1)
	w.ph, w.pw = pairAttr(a, "pad", 0)
	w.dh, w.dw = pairAttr(a, "dilation", 1)
	return w
}

// visit calls fn for every kernel tap (p,q) of output position (i,j) that
// falls inside an h×w input, with the input row and column it reads.
func (w window) visit(i, j, h, wd int, fn func(p, q, y, x int)) {
	for p := 0; p < w.kh; p++ {
		y := i*w.sh - w.ph + p*w.dh
		if y < 0 || y >= h {
			continue
		}
		for q := 0; q < w.kw; q++ {
			x := j*w.sw - w.pw + q*w.dw
			if x >= 0 && x < wd {
				fn(p, q, y, x)
			}
		}
	}
}

// evalConv2d is PyTorch's conv2d without bias: NCHW cross-correlation,
//
//	out[n,o,i,j] = Σ_c,p,q x[n,c,i*sh-ph+p*dh, j*sw-pw+q*dw] · w[o,c,p,q]
//
// with zero padding.
func evalConv2d(c *call) (*Tensor, error) {
	x, w := c.args[0], c.args[1]
	out := NewTensor(c.out...)
	conv2dLoops(c.v.Attrs, x.Shape, w.Shape, out.Shape, func(xo, wo, oo int) {
		out.Data[oo] += x.Data[xo] * w.Data[wo]
	})
	return out, nil
}

// evalConv2dGradInput (dy, w) is the adjoint of conv2d in x: every product
// the forward loop adds into out[n,o,i,j] sends dy[n,o,i,j]·w back to x.
func evalConv2dGradInput(c *call) (*Tensor, error) {
	dy, w := c.args[0], c.args[1]
	dx := NewTensor(c.out...)
	conv2dLoops(c.v.Attrs, dx.Shape, w.Shape, dy.Shape, func(xo, wo, oo int) {
		dx.Data[xo] += dy.Data[oo] * w.Data[wo]
	})
	return dx, nil
}

// evalConv2dGradWeight (x, dy) is the adjoint of conv2d in w.
func evalConv2dGradWeight(c *call) (*Tensor, error) {
	x, dy := c.args[0], c.args[1]
	dw := NewTensor(c.out...)
	conv2dLoops(c.v.Attrs, x.Shape, dw.Shape, dy.Shape, func(xo, wo, oo int) {
		dw.Data[wo] += dy.Data[oo] * x.Data[xo]
	})
	return dw, nil
}

// conv2dLoops runs the convolution's loop nest over input shape xs, weight
// shape ws and output shape os, calling fn with the flat offsets of each
// (input, weight, output) triple that meets in one product.
func conv2dLoops(a ir.Attrs, xs, ws, os []int, fn func(xo, wo, oo int)) {
	win := convWindow(a, ws[2], ws[3])
	nb, ch, h, wd := xs[0], xs[1], xs[2], xs[3]
	oc, oh, ow := os[1], os[2], os[3]
	for n := 0; n < nb; n++ {
		for o := 0; o < oc; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					oo := ((n*oc+o)*oh+i)*ow + j
					for cc := 0; cc < ch; cc++ {
						win.visit(i, j, h, wd, func(p, q, y, x int) {
							fn(((n*ch+cc)*h+y)*wd+x, ((o*ch+cc)*win.kh+p)*win.kw+q, oo)
						})
					}
				}
			}
		}
	}
}
