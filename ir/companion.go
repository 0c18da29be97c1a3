package ir

import "fmt"

// A companion is a value computed by the kernel of its first argument, its
// producer, as a second output: the kernel that stores the producer's
// elements also writes the companion. Two kinds exist:
//
//   - maxpool2d_argmax y: where each maximum of y = maxpool2d(x) came from,
//     so that the backward pass needs y's small index tensor, not x;
//   - sum p {companion=true}: a reduction of p (a bias gradient) taken as
//     p is stored, instead of in a loop of its own.
//
// Its meaning is that of the op alone: the interpreter evaluates it as
// any value. Codegen emits no kernel for it, the memory planner makes it
// live from its producer's definition, and Verify checks that the
// producer computes a kernel of its own.
func IsCompanion(v *Value) bool {
	return v.Op == OpMaxPool2dArgmax || v.Op == OpSum && v.Attrs.Bool("companion")
}

// Producer returns the value whose kernel computes v: v itself, or for a
// companion its first argument.
func Producer(v *Value) *Value {
	if IsCompanion(v) {
		return v.Args[0]
	}
	return v
}

// ownsKernel reports whether a value's op computes it in a kernel of its
// own (sources and views do not), so that it may carry companions.
func ownsKernel(v *Value) bool {
	switch v.Op {
	case OpInput, OpParam, OpConst, OpReshape:
		return false
	}
	return !IsCompanion(v)
}

func verifyCompanion(v *Value) error {
	if !IsCompanion(v) {
		return nil
	}
	if p := v.Args[0]; !ownsKernel(p) {
		return fmt.Errorf("companion of %s v%d, which computes no kernel of its own", p.Op, p.ID)
	}
	return nil
}

// MaxU8Taps is the largest pooling window, in taps, whose offsets
// maxpool2d_argmax stores as u8.
const MaxU8Taps = 256

// PoolIndexDType is the dtype of maxpool2d_argmax for a kh×kw window: u8
// when its offsets 0..kh·kw-1 fit in a byte, i32 for larger windows (legal
// in PyTorch, and rare).
func PoolIndexDType(kh, kw int) DType {
	if kh*kw <= MaxU8Taps {
		return U8
	}
	return I32
}

// PoolTap is the window offset maxpool2d_argmax saves for the input
// element at row y, column x of output (i, j)'s window: the tap's index
// row-major over the kernel, (y-wy)·kw + (x-wx), with wy = i·sh-ph and
// wx = j·sw-pw the window's first row and column before clipping (they
// are negative when the window overlaps the padding). A clipped window's
// maximum is always in bounds, so its offset never names a padding tap.
func PoolTap(y, x, i, j, kw, sh, sw, ph, pw int) int {
	return (y-(i*sh-ph))*kw + x - (j*sw - pw)
}

// inferPoolArgmax: maxpool2d_argmax (y) {kernel, stride, pad} is y's shape
// of PoolIndexDType, y a maxpool2d with the same window: for each maximum,
// its PoolTap offset inside its window.
func inferPoolArgmax(v *Value) (Type, error) {
	y := v.Args[0]
	if y.Op != OpMaxPool2d {
		return Type{}, fmt.Errorf("maxpool2d_argmax: argument is %s, not maxpool2d", y.Op)
	}
	if err := samePoolWindow(v, y); err != nil {
		return Type{}, err
	}
	win := poolWindow(v.Attrs)
	return Type{PoolIndexDType(win[0], win[1]), y.Type.Shape.Clone()}, nil
}

func samePoolWindow(v, y *Value) error {
	for _, k := range []string{"kernel", "stride", "pad"} {
		if !Shape(v.Attrs.Ints(k)).Equal(Shape(y.Attrs.Ints(k))) {
			return fmt.Errorf("%s: %s %v differs from its maxpool2d's %v", v.Op, k, v.Attrs.Ints(k), y.Attrs.Ints(k))
		}
	}
	return nil
}

// inferPoolGradIdx: maxpool2d_grad_idx (idx, dy) {kernel, stride, pad,
// shape} is dy's dtype at shape, [N,C,H,W], with idx (window offsets of
// PoolIndexDType, see PoolTap) and dy alike [N,C,OH,OW], the pooling of
// shape by the window.
func inferPoolGradIdx(v *Value) (Type, error) {
	idx, dy := v.Args[0].Type, v.Args[1].Type
	s := Shape(v.Attrs.Ints("shape"))
	switch {
	case !dy.DType.IsFloat() || idx.DType != U8 && idx.DType != I32:
		return Type{}, fmt.Errorf("maxpool2d_grad_idx: wants window offsets and float gradients, got %v and %v", idx, dy)
	case !idx.Shape.Equal(dy.Shape) || dy.Shape.Rank() != 4:
		return Type{}, fmt.Errorf("maxpool2d_grad_idx: indices %v and gradient %v differ or are not [N,C,H,W]", idx, dy)
	case s.Rank() != 4 || s[0] != dy.Shape[0] || s[1] != dy.Shape[1]:
		return Type{}, fmt.Errorf("maxpool2d_grad_idx: shape %v does not match gradient %v", s, dy)
	}
	if err := checkShape(s); err != nil {
		return Type{}, err
	}
	oh, ow, err := poolOut(v, s[2], s[3])
	if err != nil {
		return Type{}, err
	}
	if oh != dy.Shape[2] || ow != dy.Shape[3] {
		return Type{}, fmt.Errorf("maxpool2d_grad_idx: the window pools %v to %dx%d, not the gradient's %v", s, oh, ow, dy)
	}
	win := poolWindow(v.Attrs)
	if d := PoolIndexDType(win[0], win[1]); idx.DType != d {
		return Type{}, fmt.Errorf("maxpool2d_grad_idx: the offsets of a %dx%d window are %v, got %v", win[0], win[1], d, idx)
	}
	return Type{dy.DType, s.Clone()}, nil
}

// inferMeanGrad: mean_grad (dy) {axes, shape} is dy's dtype at shape, dy
// having shape reduced over axes with kept dims.
func inferMeanGrad(v *Value) (Type, error) {
	dy := v.Args[0].Type
	s := Shape(v.Attrs.Ints("shape"))
	if err := checkShape(s); err != nil || s == nil {
		return Type{}, fmt.Errorf("mean_grad: bad shape %v", s)
	}
	axes, err := NormAxes(v.Attrs.Ints("axes"), s.Rank())
	if err != nil {
		return Type{}, fmt.Errorf("mean_grad: %v", err)
	}
	if !dy.DType.IsFloat() || !ReducedShape(s, axes, true).Equal(dy.Shape) {
		return Type{}, fmt.Errorf("mean_grad: gradient %v is not %v reduced over %v with kept dims", dy, s, axes)
	}
	return Type{dy.DType, s.Clone()}, nil
}
