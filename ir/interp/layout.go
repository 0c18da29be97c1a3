package interp

// evalReshape keeps the row-major data and changes the shape.
func evalReshape(c *call) (*Tensor, error) {
	return FromData(c.out, append([]float64{}, c.args[0].Data...)), nil
}

// evalTranspose permutes axes: axis i of the result is axis perm[i] of the
// argument.
func evalTranspose(c *call) (*Tensor, error) {
	perm := c.v.Attrs.Ints("perm")
	x := c.args[0]
	xs := strides(x.Shape)
	st := make([]int, len(perm)) // argument stride per result axis
	for i, p := range perm {
		st[i] = xs[p]
	}
	out := NewTensor(c.out...)
	forEach(c.out, func(off int, idx []int) { out.Data[off] = x.Data[dot(idx, st)] })
	return out, nil
}

// sliceAttrs reads {axis, start, end, step}.
func sliceAttrs(c *call) (axis, start, step int) {
	return c.v.Attrs.Int("axis", 0), c.v.Attrs.Int("start", 0), c.v.Attrs.Int("step", 1)
}

// evalSlice selects start, start+step, ... (before end) along axis.
func evalSlice(c *call) (*Tensor, error) {
	axis, start, step := sliceAttrs(c)
	x := c.args[0]
	out := NewTensor(c.out...)
	src := make([]int, len(c.out))
	forEach(c.out, func(off int, idx []int) {
		copy(src, idx)
		src[axis] = start + idx[axis]*step
		out.Data[off] = x.At(src...)
	})
	return out, nil
}

// evalSliceGrad writes dy into zeros of the shape attribute at the
// positions the matching slice reads.
func evalSliceGrad(c *call) (*Tensor, error) {
	axis, start, step := sliceAttrs(c)
	dy := c.args[0]
	out := NewTensor(c.out...)
	dst := make([]int, len(c.out))
	forEach(dy.Shape, func(off int, idx []int) {
		copy(dst, idx)
		dst[axis] = start + idx[axis]*step
		out.Set(dy.Data[off], dst...)
	})
	return out, nil
}

// evalConcat joins the arguments along axis, in argument order.
func evalConcat(c *call) (*Tensor, error) {
	axis := c.v.Attrs.Int("axis", 0)
	out := NewTensor(c.out...)
	dst := make([]int, len(c.out))
	base := 0
	for _, a := range c.args {
		forEach(a.Shape, func(off int, idx []int) {
			copy(dst, idx)
			dst[axis] += base
			out.Set(a.Data[off], dst...)
		})
		base += a.Shape[axis]
	}
	return out, nil
}
