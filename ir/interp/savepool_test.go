package interp

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// savePoolCases add to poolCases the windows whose offsets the codegen and
// pad_bn rely on: 3x3 stride 2 pad 1 (overlapping and clipped), a window
// reaching past the input's end, and windows of 256 taps (the largest with
// u8 offsets) and of 272 (i32 offsets), clipped by padding.
var savePoolCases = append(append([]poolCase(nil), poolCases...),
	poolCase{[]int{2, 2, 7, 6}, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}},
	poolCase{[]int{1, 2, 7, 7}, [2]int{3, 3}, [2]int{3, 3}, [2]int{0, 0}},
	poolCase{[]int{1, 1, 20, 19}, [2]int{16, 16}, [2]int{3, 2}, [2]int{8, 7}},
	poolCase{[]int{1, 2, 18, 20}, [2]int{16, 17}, [2]int{2, 3}, [2]int{8, 8}},
)

// TestMaxPoolArgmaxGrad checks that maxpool2d_grad_idx over the window
// offsets of maxpool2d_argmax is maxpool2d_grad, exactly, for every pooling
// case and with ties (a quantized input), and that the offsets are u8 up
// to 256 taps and i32 beyond.
func TestMaxPoolArgmaxGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for ci, pc := range savePoolCases {
		x := randData(r, numElems(pc.x))
		for i := range x {
			x[i] = float64(int(x[i] * 3)) // ties
		}
		p, f := argmaxProgram(t, pc)
		idx := f.Values[2]
		if want := ir.PoolIndexDType(pc.kernel[0], pc.kernel[1]); idx.Type.DType != want || (want == ir.U8) != (pc.kernel[0]*pc.kernel[1] <= 256) {
			t.Errorf("pool case %d: offsets %v, want %v", ci, idx.Type, want)
		}
		res, err := Run(p, f, Env{N: 3, Inputs: map[string]*Tensor{"x": FromData(Resolve(p.Inputs[0].Type.Shape, 3), x)}})
		if err != nil {
			t.Fatal(err)
		}
		checkTensor(t, fmt.Sprintf("pool case %d", ci), res["got"], res["want"].Shape, res["want"].Data, 0)
		kk := pc.kernel[0] * pc.kernel[1]
		for i, o := range res["idx"].Data {
			if o < 0 || o >= float64(kk) || o != float64(int(o)) {
				t.Fatalf("pool case %d: offset %d is %v, outside [0, %d)", ci, i, o, kk)
			}
		}
	}
}

// argmaxProgram is y = maxpool2d x; idx = maxpool2d_argmax y; got =
// maxpool2d_grad_idx idx, y; want = maxpool2d_grad x, y.
func argmaxProgram(t *testing.T, pc poolCase) (*ir.Program, *ir.Func) {
	t.Helper()
	p := &ir.Program{Name: "t", Batch: 4}
	f := &ir.Func{Name: "infer"}
	b := ir.NewBuilder(f)
	dx := &ir.Decl{Name: "x", Role: "input", Type: ir.T(ir.F32, pc.x...)}
	p.Inputs = append(p.Inputs, dx)
	xv := b.Input(dx)
	y, err := b.Op(ir.OpMaxPool2d, pc.attrs(), xv)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := b.Op(ir.OpMaxPool2dArgmax, pc.attrs(), y)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := b.Op(ir.OpMaxPool2dGrad, pc.attrs(), xv, y)
	ga := pc.attrs()
	ga["shape"] = []int(xv.Type.Shape)
	got, err := b.Op(ir.OpMaxPool2dGradIdx, ga, idx, y)
	if err != nil {
		t.Fatal(err)
	}
	f.Results = []ir.Result{{Name: "want", Value: want}, {Name: "got", Value: got}, {Name: "idx", Value: idx}}
	p.Funcs = append(p.Funcs, f)
	if err := ir.Verify(p); err != nil {
		t.Fatal(err)
	}
	return p, f
}

// TestMaxPoolGradIdxBadOffsets checks that offsets outside the window, or
// naming a padding tap, are errors rather than panics or silent writes.
func TestMaxPoolGradIdxBadOffsets(t *testing.T) {
	attrs := ir.Attrs{"kernel": []int{1, 257}, "stride": []int{1, 1}, "pad": []int{0, 128}, "shape": []int{1, 1, 1, 3}}
	for _, bad := range []float64{-1, 257, 1000, 0} { // tap 0 of output 0 is padding
		_, err := evalOp(3, ir.OpMaxPool2dGradIdx, attrs, i32([]float64{bad, 128, 128}, 1, 1, 1, 3), f32([]float64{1, 2, 3}, 1, 1, 1, 3))
		if err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("offset %v: got %v", bad, err)
		}
	}
}

// TestMaxPoolIndexTypes checks the type rules of the offsets: u8 up to 256
// taps, i32 beyond, the gradient's window matching its shapes, and u8
// nowhere else.
func TestMaxPoolIndexTypes(t *testing.T) {
	for _, tc := range []struct {
		op    ir.Op
		attrs ir.Attrs
		typ   ir.Type
		args  []ir.Type
		err   string
	}{
		{ir.OpMaxPool2dGradIdx, ir.Attrs{"kernel": []int{2, 2}, "shape": []int{1, 1, 4, 4}}, ir.Type{}, []ir.Type{ir.T(ir.I32, 1, 1, 2, 2), ir.T(ir.F32, 1, 1, 2, 2)}, "offsets of a 2x2 window are u8"},
		{ir.OpMaxPool2dGradIdx, ir.Attrs{"kernel": []int{2, 2}, "shape": []int{1, 1, 6, 4}}, ir.Type{}, []ir.Type{ir.T(ir.U8, 1, 1, 2, 2), ir.T(ir.F32, 1, 1, 2, 2)}, "pools [1,1,6,4] to 3x2"},
		{ir.OpMaxPool2dGradIdx, ir.Attrs{"shape": []int{1, 1, 4, 4}}, ir.Type{}, []ir.Type{ir.T(ir.U8, 1, 1, 2, 2), ir.T(ir.F32, 1, 1, 2, 2)}, "kernel and stride must be positive"},
		{ir.OpMaxPool2dGradIdx, ir.Attrs{"kernel": []int{2, 2}, "shape": []int{1, 1, 4, 4}}, ir.Type{}, []ir.Type{ir.T(ir.F32, 1, 1, 2, 2), ir.T(ir.F32, 1, 1, 2, 2)}, "wants window offsets"},
		{ir.OpCast, ir.Attrs{"dtype": "u8"}, ir.Type{}, []ir.Type{ir.T(ir.F32, 2)}, "only maxpool2d_argmax"},
		{ir.OpInput, ir.Attrs{"name": "a0"}, ir.T(ir.U8, 2), nil, "only maxpool2d_argmax"},
	} {
		v := &ir.Value{Op: tc.op, Attrs: tc.attrs, Type: tc.typ}
		for _, a := range tc.args {
			v.Args = append(v.Args, &ir.Value{Op: ir.OpInput, Type: a})
		}
		_, err := ir.InferType(v)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s %v: got %v, want %q", tc.op, tc.attrs, err, tc.err)
		}
	}
}
