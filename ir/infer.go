package ir

import (
	"fmt"
	"sort"
)

// The type rules of the op table. Each returns the result type of v or an
// error phrased for the user ("matmul: inner dimensions differ: ...").

func inferSource(v *Value) (Type, error) {
	if len(v.Args) != 0 {
		return Type{}, fmt.Errorf("%s takes no arguments", v.Op)
	}
	return v.Type, checkShape(v.Type.Shape)
}

func inferFirstArg(v *Value) (Type, error) { return v.Args[0].Type, nil }

func inferShapeAttr(dtypeArg int) func(v *Value) (Type, error) {
	return func(v *Value) (Type, error) {
		s := Shape(v.Attrs.Ints("shape"))
		if s == nil {
			return Type{}, fmt.Errorf("%s needs a shape attribute", v.Op)
		}
		return Type{v.Args[dtypeArg].Type.DType, s.Clone()}, checkShape(s)
	}
}

// checkShape enforces that dims are positive and B appears only as axis 0.
func checkShape(s Shape) error {
	for i, d := range s {
		if d == B && i == 0 {
			continue
		}
		if d == B {
			return fmt.Errorf("the batch dimension must be axis 0, got %v", s)
		}
		if d <= 0 {
			return fmt.Errorf("dimension %d of %v is not positive", i, s)
		}
	}
	return nil
}

func needFloat(op Op, args ...*Value) error {
	for _, a := range args {
		if !a.Type.DType.IsFloat() {
			return fmt.Errorf("%s needs a floating-point operand, got %v", op, a.Type)
		}
	}
	return nil
}

func inferElementwise(v *Value) (Type, error) {
	if err := needFloat(v.Op, v.Args...); err != nil {
		return Type{}, err
	}
	t := v.Args[0].Type
	for _, a := range v.Args[1:] {
		if a.Type.DType != t.DType {
			return Type{}, fmt.Errorf("%s: operand types differ: %v and %v", v.Op, t, a.Type)
		}
		s, err := BroadcastShapes(t.Shape, a.Type.Shape)
		if err != nil {
			return Type{}, fmt.Errorf("%s: %v", v.Op, err)
		}
		t.Shape = s
	}
	return Type{t.DType, t.Shape.Clone()}, nil
}

// BroadcastShapes applies NumPy's broadcasting rule. B broadcasts only with
// B or 1.
func BroadcastShapes(a, b Shape) (Shape, error) {
	n := max(len(a), len(b))
	out := make(Shape, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	if err := checkShape(out); err != nil {
		return nil, fmt.Errorf("shapes %v and %v broadcast to %v: %v", a, b, out, err)
	}
	return out, nil
}

// NormAxes resolves negative axes and sorts them; it rejects out-of-range and repeated axes.
func NormAxes(axes []int, rank int) ([]int, error) {
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		if a < 0 || a >= rank {
			return nil, fmt.Errorf("axis %d out of range for rank %d", axes[i], rank)
		}
		out[i] = a
	}
	sort.Ints(out)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, fmt.Errorf("axis %d repeated", out[i])
		}
	}
	return out, nil
}

// ReducedShape is the shape of a reduction of s over the (normalized) axes.
func ReducedShape(s Shape, axes []int, keepdims bool) Shape {
	out := Shape{}
	for i, d := range s {
		if contains(axes, i) {
			if keepdims {
				out = append(out, 1)
			}
			continue
		}
		out = append(out, d)
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func inferReduce(v *Value) (Type, error) {
	x := v.Args[0].Type
	if err := needFloat(v.Op, v.Args[0]); err != nil {
		return Type{}, err
	}
	axes, err := NormAxes(v.Attrs.Ints("axes"), x.Shape.Rank())
	if err != nil {
		return Type{}, fmt.Errorf("%s: %v", v.Op, err)
	}
	out := ReducedShape(x.Shape, axes, v.Attrs.Bool("keepdims"))
	if err := checkShape(out); err != nil {
		return Type{}, fmt.Errorf("%s over axes %v of %v: %v", v.Op, axes, x, err)
	}
	return Type{x.DType, out}, nil
}

func inferReshape(v *Value) (Type, error) {
	x := v.Args[0].Type
	s := Shape(v.Attrs.Ints("shape")).Clone()
	if err := checkShape(s); err != nil {
		return Type{}, fmt.Errorf("reshape: %v", err)
	}
	if x.Shape.Batched() != s.Batched() {
		return Type{}, fmt.Errorf("reshape: cannot reshape %v to %v: the batch dimension must stay axis 0", x, s)
	}
	if x.Shape.RowElems() != s.RowElems() {
		return Type{}, fmt.Errorf("reshape: cannot reshape %v (%d elements) to %v (%d elements)", x, x.Shape.Elems(1), s, s.Elems(1))
	}
	return Type{x.DType, s}, nil
}

func inferTranspose(v *Value) (Type, error) {
	x := v.Args[0].Type
	perm := v.Attrs.Ints("perm")
	if len(perm) != x.Shape.Rank() {
		return Type{}, fmt.Errorf("transpose: permutation %v does not match rank %d", perm, x.Shape.Rank())
	}
	seen := make([]bool, len(perm))
	out := make(Shape, len(perm))
	for i, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			return Type{}, fmt.Errorf("transpose: %v is not a permutation", perm)
		}
		seen[p] = true
		out[i] = x.Shape[p]
	}
	if err := checkShape(out); err != nil {
		return Type{}, fmt.Errorf("transpose: %v", err)
	}
	return Type{x.DType, out}, nil
}

func inferBroadcastTo(v *Value) (Type, error) {
	x := v.Args[0].Type
	s := Shape(v.Attrs.Ints("shape")).Clone()
	b, err := BroadcastShapes(x.Shape, s)
	if err != nil || !b.Equal(s) {
		return Type{}, fmt.Errorf("broadcast: cannot broadcast %v to %v", x, s)
	}
	return Type{x.DType, s}, nil
}

// SliceLen is the number of elements start:end:step selects.
func SliceLen(start, end, step int) int {
	if step <= 0 || end <= start {
		return 0
	}
	return (end - start + step - 1) / step
}

func inferSlice(v *Value) (Type, error) {
	x := v.Args[0].Type
	axis, start, end, step := v.Attrs.Int("axis", 0), v.Attrs.Int("start", 0), v.Attrs.Int("end", 0), v.Attrs.Int("step", 1)
	if axis < 0 || axis >= x.Shape.Rank() {
		return Type{}, fmt.Errorf("slice: axis %d out of range for %v", axis, x)
	}
	if x.Shape[axis] == B {
		return Type{}, fmt.Errorf("slice: cannot slice the batch dimension of %v", x)
	}
	if start < 0 || end > x.Shape[axis] || step <= 0 || SliceLen(start, end, step) == 0 {
		return Type{}, fmt.Errorf("slice: %d:%d:%d is empty or out of range for dimension %d of %v", start, end, step, x.Shape[axis], x)
	}
	out := x.Shape.Clone()
	out[axis] = SliceLen(start, end, step)
	return Type{x.DType, out}, nil
}

func inferSliceGrad(v *Value) (Type, error) {
	s := Shape(v.Attrs.Ints("shape")).Clone()
	axis, start, end, step := v.Attrs.Int("axis", 0), v.Attrs.Int("start", 0), v.Attrs.Int("end", 0), v.Attrs.Int("step", 1)
	if axis < 0 || axis >= s.Rank() || s[axis] == B {
		return Type{}, fmt.Errorf("slice_grad: bad axis %d for %v", axis, s)
	}
	want := s.Clone()
	want[axis] = SliceLen(start, end, step)
	if !want.Equal(v.Args[0].Type.Shape) {
		return Type{}, fmt.Errorf("slice_grad: gradient %v does not match slice %v", v.Args[0].Type, want)
	}
	return Type{v.Args[0].Type.DType, s}, nil
}

func inferConcat(v *Value) (Type, error) {
	t := v.Args[0].Type
	axis := v.Attrs.Int("axis", 0)
	if axis < 0 || axis >= t.Shape.Rank() || t.Shape[axis] == B {
		return Type{}, fmt.Errorf("concat: bad axis %d for %v", axis, t)
	}
	out := t.Shape.Clone()
	for _, a := range v.Args[1:] {
		s := a.Type.Shape
		if a.Type.DType != t.DType || s.Rank() != out.Rank() {
			return Type{}, fmt.Errorf("concat: operands %v and %v differ", t, a.Type)
		}
		for i := range s {
			if i != axis && s[i] != out[i] {
				return Type{}, fmt.Errorf("concat: operands %v and %v differ outside axis %d", t, a.Type, axis)
			}
		}
		out[axis] += s[axis]
	}
	return Type{t.DType, out}, nil
}

// MatMulDims returns the logical M, N, K of a matmul (M may be B).
func MatMulDims(a, b Shape, ta, tb bool) (m, n, k, k2 int) {
	ar, ac := a[a.Rank()-2], a[a.Rank()-1]
	if a.Rank() > 2 { // extra leading dims fold into M
		ar = a[:a.Rank()-1].Elems(0)
		if a.Batched() {
			ar = B
		}
	}
	if ta {
		ar, ac = ac, ar
	}
	br, bc := b[0], b[1]
	if tb {
		br, bc = bc, br
	}
	return ar, bc, ac, br
}

func inferMatMul(v *Value) (Type, error) {
	a, b := v.Args[0].Type, v.Args[1].Type
	ta, tb := v.Attrs.Bool("ta"), v.Attrs.Bool("tb")
	if err := needFloat(v.Op, v.Args...); err != nil {
		return Type{}, err
	}
	if a.DType != b.DType {
		return Type{}, fmt.Errorf("matmul: operand types differ: %v and %v", a, b)
	}
	if a.Shape.Rank() < 2 || b.Shape.Rank() != 2 || (ta && a.Shape.Rank() != 2) {
		return Type{}, fmt.Errorf("matmul: needs rank-2 operands (the left may have leading batch dims), got %v and %v", a, b)
	}
	if b.Shape.Batched() && (tb || !ta || !a.Shape.Batched()) {
		return Type{}, fmt.Errorf("matmul: the right operand %v may be batched only when the batch is contracted", b)
	}
	m, n, k, k2 := MatMulDims(a.Shape, b.Shape, ta, tb)
	if k != k2 {
		return Type{}, fmt.Errorf("matmul: inner dimensions differ: %v x %v", a.Shape, b.Shape)
	}
	if n == B {
		return Type{}, fmt.Errorf("matmul: the batch dimension of %v cannot become a column", b)
	}
	if a.Shape.Rank() > 2 {
		out := a.Shape[:a.Shape.Rank()-1].Clone()
		return Type{a.DType, append(out, n)}, nil
	}
	return Type{a.DType, Shape{m, n}}, nil
}

// Conv2dOut is the output size of a convolution or pooling window along one axis.
func Conv2dOut(in, k, stride, pad, dil int) int {
	span := in + 2*pad - dil*(k-1) - 1
	if span < 0 {
		return 0 // the window does not fit (Go's division would round toward zero)
	}
	return span/stride + 1
}

func pair(a Attrs, key string, def int) (int, int) {
	if v := a.Ints(key); len(v) == 2 {
		return v[0], v[1]
	}
	return def, def
}

func inferConv2d(v *Value) (Type, error) {
	x, w := v.Args[0].Type, v.Args[1].Type
	if err := needFloat(v.Op, v.Args...); err != nil {
		return Type{}, err
	}
	if x.Shape.Rank() != 4 || w.Shape.Rank() != 4 || w.Shape.Batched() {
		return Type{}, fmt.Errorf("conv2d: needs input [N,C,H,W] and weight [O,C,KH,KW], got %v and %v", x, w)
	}
	if x.Shape[1] != w.Shape[1] {
		return Type{}, fmt.Errorf("conv2d: input has %d channels, weight expects %d", x.Shape[1], w.Shape[1])
	}
	sh, sw := pair(v.Attrs, "stride", 1)
	ph, pw := pair(v.Attrs, "pad", 0)
	dh, dw := pair(v.Attrs, "dilation", 1)
	if sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0 || ph < 0 || pw < 0 {
		return Type{}, fmt.Errorf("conv2d: stride and dilation must be positive and padding non-negative")
	}
	oh := Conv2dOut(x.Shape[2], w.Shape[2], sh, ph, dh)
	ow := Conv2dOut(x.Shape[3], w.Shape[3], sw, pw, dw)
	if oh <= 0 || ow <= 0 {
		return Type{}, fmt.Errorf("conv2d: kernel %dx%d does not fit input %dx%d", w.Shape[2], w.Shape[3], x.Shape[2], x.Shape[3])
	}
	return Type{x.DType, Shape{x.Shape[0], w.Shape[0], oh, ow}}, nil
}

func inferPool2d(v *Value) (Type, error) {
	x := v.Args[0].Type
	if err := needFloat(v.Op, v.Args...); err != nil {
		return Type{}, err
	}
	if x.Shape.Rank() != 4 {
		return Type{}, fmt.Errorf("%s: needs input [N,C,H,W], got %v", v.Op, x)
	}
	oh, ow, err := poolOut(v, x.Shape[2], x.Shape[3])
	if err != nil {
		return Type{}, err
	}
	return Type{x.DType, Shape{x.Shape[0], x.Shape[1], oh, ow}}, nil
}

// poolWindow reads a pooling's {kernel, stride, pad} as [kh, kw, sh, sw,
// ph, pw]; the stride defaults to the kernel size, as in PyTorch.
func poolWindow(a Attrs) [6]int {
	kh, kw := pair(a, "kernel", 0)
	sh, sw := pair(a, "stride", kh)
	if a.Ints("stride") == nil {
		sw = kw
	}
	ph, pw := pair(a, "pad", 0)
	return [6]int{kh, kw, sh, sw, ph, pw}
}

// poolOut checks the window of pooling v and returns its output size on
// an h×w input.
func poolOut(v *Value, h, w int) (oh, ow int, err error) {
	win := poolWindow(v.Attrs)
	kh, kw, sh, sw, ph, pw := win[0], win[1], win[2], win[3], win[4], win[5]
	if kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || ph < 0 || pw < 0 {
		return 0, 0, fmt.Errorf("%s: kernel and stride must be positive and padding non-negative", v.Op)
	}
	if 2*ph > kh || 2*pw > kw {
		return 0, 0, fmt.Errorf("%s: padding must be at most half the kernel size", v.Op)
	}
	oh, ow = Conv2dOut(h, kh, sh, ph, 1), Conv2dOut(w, kw, sw, pw, 1)
	if oh <= 0 || ow <= 0 {
		return 0, 0, fmt.Errorf("%s: window %dx%d does not fit input %dx%d", v.Op, kh, kw, h, w)
	}
	return oh, ow, nil
}

func inferAxisSame(v *Value) (Type, error) {
	if err := needFloat(v.Op, v.Args...); err != nil {
		return Type{}, err
	}
	t := v.Args[0].Type
	for _, a := range v.Args[1:] {
		if !a.Type.Equal(t) {
			return Type{}, fmt.Errorf("%s: operands differ: %v and %v", v.Op, t, a.Type)
		}
	}
	if ax := v.Attrs.Int("axis", -1); ax < 0 || ax >= t.Shape.Rank() {
		return Type{}, fmt.Errorf("%s: axis %d out of range for %v", v.Op, ax, t)
	}
	return t, nil
}

func checkLabels(op Op, z, labels Type) error {
	if z.Shape.Rank() != 2 {
		return fmt.Errorf("%s: needs scores [N,C], got %v", op, z)
	}
	if labels.DType != I32 || labels.Shape.Rank() != 1 || labels.Shape[0] != z.Shape[0] {
		return fmt.Errorf("%s: needs integer class labels i32[%v] for scores %v, got %v", op, z.Shape[:1], z, labels)
	}
	return nil
}

func inferClassLoss(v *Value) (Type, error) {
	z, labels := v.Args[0].Type, v.Args[1].Type
	if err := needFloat(v.Op, v.Args[0]); err != nil {
		return Type{}, err
	}
	if err := checkLabels(v.Op, z, labels); err != nil {
		return Type{}, err
	}
	return Type{z.DType, Shape{z.Shape[0]}}, nil
}

func inferClassLossGrad(v *Value) (Type, error) {
	z := v.Args[0].Type
	if err := checkLabels(v.Op, z, v.Args[1].Type); err != nil {
		return Type{}, err
	}
	return z, nil
}

func inferNLLGrad(v *Value) (Type, error) {
	s := Shape(v.Attrs.Ints("shape")).Clone()
	t := Type{v.Args[1].Type.DType, s}
	if err := checkLabels(v.Op, t, v.Args[0].Type); err != nil {
		return Type{}, err
	}
	return t, nil
}

func inferGather(v *Value) (Type, error) {
	table, ids := v.Args[0].Type, v.Args[1].Type
	if table.Shape.Rank() != 2 || table.Shape.Batched() || ids.DType != I32 {
		return Type{}, fmt.Errorf("gather: needs a table [N,D] and i32 ids, got %v and %v", table, ids)
	}
	return Type{table.DType, append(ids.Shape.Clone(), table.Shape[1])}, nil
}

func inferScatterAdd(v *Value) (Type, error) {
	ids, dy := v.Args[0].Type, v.Args[1].Type
	s := Shape(v.Attrs.Ints("shape")).Clone()
	if ids.DType != I32 || s.Rank() != 2 || !append(ids.Shape.Clone(), s[1]).Equal(dy.Shape) {
		return Type{}, fmt.Errorf("scatter_add: ids %v and rows %v do not fit table %v", ids, dy, s)
	}
	return Type{dy.DType, s}, nil
}

func inferCast(v *Value) (Type, error) {
	d, ok := ParseDType(v.Attrs.Str("dtype"))
	if !ok {
		return Type{}, fmt.Errorf("cast: unknown dtype %q", v.Attrs.Str("dtype"))
	}
	return Type{d, v.Args[0].Type.Shape.Clone()}, nil
}
