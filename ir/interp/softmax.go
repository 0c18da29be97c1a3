package interp

import "math"

// lanes calls fn for every 1-D lane of shape along axis, with the flat
// offsets of the lane's elements.
func lanes(shape []int, axis int, fn func(offs []int)) {
	st := strides(shape)
	outer := append([]int{}, shape...)
	outer[axis] = 1
	offs := make([]int, shape[axis])
	forEach(outer, func(_ int, idx []int) {
		base := dot(idx, st)
		for k := range offs {
			offs[k] = base + k*st[axis]
		}
		fn(offs)
	})
}

// logSumExp is log Σ exp(x[o]) over offs, computed after subtracting the
// maximum so that it does not overflow.
func logSumExp(x []float64, offs []int) float64 {
	m := math.Inf(-1)
	for _, o := range offs {
		m = math.Max(m, x[o])
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, o := range offs {
		s += math.Exp(x[o] - m)
	}
	return m + math.Log(s)
}

// evalSoftmax is exp(x - logsumexp(x)) along axis.
func evalSoftmax(c *call) (*Tensor, error) {
	x := c.args[0]
	out := NewTensor(c.out...)
	lanes(c.out, c.v.Attrs.Int("axis", -1), func(offs []int) {
		lse := logSumExp(x.Data, offs)
		for _, o := range offs {
			out.Data[o] = math.Exp(x.Data[o] - lse)
		}
	})
	return out, nil
}

// evalLogSoftmax is x - logsumexp(x) along axis.
func evalLogSoftmax(c *call) (*Tensor, error) {
	x := c.args[0]
	out := NewTensor(c.out...)
	lanes(c.out, c.v.Attrs.Int("axis", -1), func(offs []int) {
		lse := logSumExp(x.Data, offs)
		for _, o := range offs {
			out.Data[o] = x.Data[o] - lse
		}
	})
	return out, nil
}

// evalSoftmaxGrad (y, dy), y = softmax(x): dx = y·(dy - Σ dy·y) along axis.
func evalSoftmaxGrad(c *call) (*Tensor, error) {
	y, dy := c.args[0], c.args[1]
	out := NewTensor(c.out...)
	lanes(c.out, c.v.Attrs.Int("axis", -1), func(offs []int) {
		s := 0.0
		for _, o := range offs {
			s += dy.Data[o] * y.Data[o]
		}
		for _, o := range offs {
			out.Data[o] = y.Data[o] * (dy.Data[o] - s)
		}
	})
	return out, nil
}

// evalLogSoftmaxGrad (y, dy), y = log_softmax(x): dx = dy - exp(y)·Σ dy
// along axis.
func evalLogSoftmaxGrad(c *call) (*Tensor, error) {
	y, dy := c.args[0], c.args[1]
	out := NewTensor(c.out...)
	lanes(c.out, c.v.Attrs.Int("axis", -1), func(offs []int) {
		s := 0.0
		for _, o := range offs {
			s += dy.Data[o]
		}
		for _, o := range offs {
			out.Data[o] = dy.Data[o] - math.Exp(y.Data[o])*s
		}
	})
	return out, nil
}
