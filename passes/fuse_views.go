package passes

import "github.com/dlc-lang/dlc/ir"

// markSliceViews marks with {view=true} each slice that its users can read
// in place: step 1 along an axis other than the batch axis, not a result,
// every user an elementwise or fused value, or a product taking it as an
// epilogue operand of the product's shape (also through reshapes that only
// add or drop axes of size 1). Memory planning then keeps the
// slice's argument alive until the slice's last user, and codegen (after
// checking that nothing in between writes the argument's memory) gives the
// slice no kernel: its users read the argument with its strides. An
// unrolled LSTM slices four gates out of every step's product; they become
// views instead of copies.
func markSliceViews(f *ir.Func) {
	users := map[*ir.Value][]*ir.Value{}
	for _, v := range f.Values {
		for _, a := range v.Args {
			users[a] = append(users[a], v)
		}
	}
	results := map[*ir.Value]bool{}
	for _, r := range f.Results {
		results[r.Value] = true
	}
	for _, s := range f.Values {
		if s.Op != ir.OpSlice || results[s] || len(users[s]) == 0 || !sliceViewable(s) {
			continue
		}
		if allReadInPlace(s, users) {
			attrs := ir.Attrs{}
			for k, x := range s.Attrs {
				attrs[k] = x
			}
			attrs["view"] = true
			s.Attrs = attrs
		}
	}
}

// sliceViewable reports whether slice s can be read in place.
func sliceViewable(s *ir.Value) bool {
	sh := s.Args[0].Type.Shape
	axis := s.Attrs.Int("axis", 0)
	return s.Attrs.Int("step", 1) == 1 && s.Attrs.Int("start", 0) >= 0 && axis >= 0 && axis < len(sh) &&
		sh[axis] != ir.B && len(s.Type.Shape) == len(sh) && s.Args[0].Op != ir.OpConst
}

// readsInPlace reports whether user u can read its argument i as a view.
func readsInPlace(u *ir.Value, i int) bool {
	switch {
	case fusible(u) || u.Op == ir.OpFused:
		return true
	case u.Op == ir.OpMatMul:
		a := u.Args[i]
		return i >= u.Op.Arity() && ir.HasEpilogue(u) && a.Type.Shape.Batched() && a.Type.Shape.Equal(u.Type.Shape)
	}
	return false
}

// allReadInPlace reports whether every user of v reads it in place,
// looking through reshapes that only add or drop axes of size 1.
func allReadInPlace(v *ir.Value, users map[*ir.Value][]*ir.Value) bool {
	for _, u := range users[v] {
		if u.Op == ir.OpReshape {
			if !SqueezeOnly(v.Type.Shape, u.Type.Shape) || !allReadInPlace(u, users) {
				return false
			}
			continue
		}
		for i, a := range u.Args {
			if a == v && !readsInPlace(u, i) {
				return false
			}
		}
	}
	return true
}

// SqueezeOnly reports whether shapes a and b differ only by axes of size 1.
func SqueezeOnly(a, b ir.Shape) bool {
	var x, y []int
	for _, d := range a {
		if d != 1 {
			x = append(x, d)
		}
	}
	for _, d := range b {
		if d != 1 {
			y = append(y, d)
		}
	}
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}
