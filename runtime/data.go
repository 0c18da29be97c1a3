package runtime

import "math"

// Normalize sets x[i] = (x[i] - mean) / std, as torchvision's Normalize.
func Normalize[F Float](x []F, mean, std F) {
	for i, v := range x {
		x[i] = (v - mean) / std
	}
}

// NormalizeChannels normalizes NCHW images channel by channel: x holds
// images of len(mean) channels of hw pixels each, and channel c of every
// image becomes (x - mean[c]) / std[c]. It panics if len(std) != len(mean)
// or x is not a whole number of images.
func NormalizeChannels[F Float](x []F, hw int, mean, std []F) {
	c := len(mean)
	if len(std) != c || c*hw == 0 || len(x)%(c*hw) != 0 {
		panic("runtime: NormalizeChannels: x is not whole images of len(mean) channels of hw pixels")
	}
	for img := 0; img < len(x); img += c * hw {
		for ch := range c {
			Normalize(x[img+ch*hw:img+(ch+1)*hw], mean[ch], std[ch])
		}
	}
}

// MeanStd returns the mean and the population standard deviation of x,
// accumulated in float64.
func MeanStd[F Float](x []F) (mean, std float64) {
	if len(x) == 0 {
		return 0, 0
	}
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(len(x)))
}

// RandomShift shifts each NCHW image of x, in place, by up to k pixels in
// each direction, filling uncovered pixels with zeros; all channels of an
// image move together. x holds images of c channels of h×w pixels. Each
// image takes one draw, r.IntN((2k+1)²) = (dy+k)*(2k+1) + (dx+k), and its
// pixel (y, x) takes the value of (y-dy, x-dx).
func RandomShift[F Float](x []F, c, h, w, k int, r *RNG) {
	size := c * h * w
	if size == 0 || len(x)%size != 0 {
		panic("runtime: RandomShift: x is not whole images of c×h×w pixels")
	}
	side := 2*k + 1
	for img := 0; img < len(x); img += size {
		d := r.IntN(side * side)
		dy, dx := d/side-k, d%side-k
		for ch := range c {
			shift(x[img+ch*h*w:img+(ch+1)*h*w], h, w, dy, dx)
		}
	}
}

// shift moves the h×w plane p by dy rows and dx columns in place, filling
// with zeros. Rows are visited so that each source row is read before it is
// overwritten.
func shift[F Float](p []F, h, w, dy, dx int) {
	if dy == 0 && dx == 0 {
		return
	}
	row := func(y int) {
		dst := p[y*w : (y+1)*w]
		sy := y - dy
		if sy < 0 || sy >= h || dx >= w || -dx >= w {
			clear(dst)
			return
		}
		src := p[sy*w : (sy+1)*w]
		if dx >= 0 {
			copy(dst[dx:], src[:w-dx])
			clear(dst[:dx])
		} else {
			copy(dst[:w+dx], src[-dx:])
			clear(dst[w+dx:])
		}
	}
	if dy > 0 {
		for y := h - 1; y >= 0; y-- {
			row(y)
		}
	} else {
		for y := range h {
			row(y)
		}
	}
}
