package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dlc-lang/dlc/ir"
	"gonum.org/v1/gonum/mat"
)

// TestMatMulGonum compares every ta/tb combination, and a left operand with
// leading dims, with gonum's matrix product.
func TestMatMulGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const m, k, n = 5, 4, 3
	for _, tc := range []struct {
		ta, tb bool
		a, b   []int
	}{
		{false, false, []int{m, k}, []int{k, n}},
		{true, false, []int{k, m}, []int{k, n}},
		{false, true, []int{m, k}, []int{n, k}},
		{true, true, []int{k, m}, []int{n, k}},
	} {
		a, b := randData(r, m*k), randData(r, k*n)
		got := mustEval(t, 3, ir.OpMatMul, ir.Attrs{"ta": tc.ta, "tb": tc.tb}, f32(a, tc.a...), f32(b, tc.b...))
		ga, gb := mat.Matrix(mat.NewDense(tc.a[0], tc.a[1], a)), mat.Matrix(mat.NewDense(tc.b[0], tc.b[1], b))
		if tc.ta {
			ga = ga.T()
		}
		if tc.tb {
			gb = gb.T()
		}
		var want mat.Dense
		want.Mul(ga, gb)
		checkTensor(t, fmt.Sprintf("ta=%v tb=%v", tc.ta, tc.tb), got, []int{m, n}, want.RawMatrix().Data, 1e-12)
	}
	// [B,2,k] with B=3 is six rows of k.
	a, b := randData(r, 3*2*k), randData(r, n*k)
	got := mustEval(t, 3, ir.OpMatMul, ir.Attrs{"tb": true}, f32(a, ir.B, 2, k), f32(b, n, k))
	var want mat.Dense
	want.Mul(mat.NewDense(6, k, a), mat.NewDense(n, k, b).T())
	checkTensor(t, "leading dims", got, []int{3, 2, n}, want.RawMatrix().Data, 1e-12)
	// A batched right operand contracts the batch: xᵀ·dy.
	x, dy := randData(r, 3*k), randData(r, 3*n)
	got = mustEval(t, 3, ir.OpMatMul, ir.Attrs{"ta": true}, f32(x, ir.B, k), f32(dy, ir.B, n))
	want.Reset()
	want.Mul(mat.NewDense(3, k, x).T(), mat.NewDense(3, n, dy))
	checkTensor(t, "batched right", got, []int{k, n}, want.RawMatrix().Data, 1e-12)
}

// im2col lays out conv2d's input windows as rows of a [N·OH·OW, C·KH·KW]
// matrix (zeros for padding), a second formulation of the convolution.
func im2col(x []float64, xs []int, kh, kw, sh, sw, ph, pw, dh, dw int) (*mat.Dense, int, int) {
	nb, c, h, w := xs[0], xs[1], xs[2], xs[3]
	oh := (h+2*ph-dh*(kh-1)-1)/sh + 1
	ow := (w+2*pw-dw*(kw-1)-1)/sw + 1
	cols := mat.NewDense(nb*oh*ow, c*kh*kw, nil)
	for n := 0; n < nb; n++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for ch := 0; ch < c; ch++ {
					for p := 0; p < kh; p++ {
						for q := 0; q < kw; q++ {
							y, xx := i*sh-ph+p*dh, j*sw-pw+q*dw
							if y >= 0 && y < h && xx >= 0 && xx < w {
								cols.Set((n*oh+i)*ow+j, (ch*kh+p)*kw+q, x[((n*c+ch)*h+y)*w+xx])
							}
						}
					}
				}
			}
		}
	}
	return cols, oh, ow
}

type convCase struct {
	x, w                  []int
	stride, pad, dilation [2]int
}

var convCases = []convCase{
	{[]int{2, 3, 7, 6}, []int{4, 3, 3, 3}, [2]int{1, 1}, [2]int{0, 0}, [2]int{1, 1}},
	{[]int{3, 2, 8, 7}, []int{3, 2, 3, 2}, [2]int{2, 1}, [2]int{1, 2}, [2]int{1, 1}},
	{[]int{1, 2, 9, 9}, []int{2, 2, 3, 3}, [2]int{2, 3}, [2]int{2, 1}, [2]int{2, 1}},
}

func (cc convCase) attrs() ir.Attrs {
	return ir.Attrs{"stride": cc.stride[:], "pad": cc.pad[:], "dilation": cc.dilation[:]}
}

func TestConv2dGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for ci, cc := range convCases {
		x, w := randData(r, numElems(cc.x)), randData(r, numElems(cc.w))
		got := mustEval(t, 3, ir.OpConv2d, cc.attrs(), f32(x, cc.x...), f32(w, cc.w...))
		cols, oh, ow := im2col(x, cc.x, cc.w[2], cc.w[3], cc.stride[0], cc.stride[1], cc.pad[0], cc.pad[1], cc.dilation[0], cc.dilation[1])
		var prod mat.Dense // [N·OH·OW, O]
		prod.Mul(cols, mat.NewDense(cc.w[0], numElems(cc.w[1:]), w).T())
		want := make([]float64, 0, len(got.Data))
		for n := 0; n < cc.x[0]; n++ {
			for o := 0; o < cc.w[0]; o++ {
				for ij := 0; ij < oh*ow; ij++ {
					want = append(want, prod.At(n*oh*ow+ij, o))
				}
			}
		}
		checkTensor(t, fmt.Sprintf("conv case %d", ci), got, []int{cc.x[0], cc.w[0], oh, ow}, want, 1e-12)
	}
}

func inner(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// checkAdjoint checks <L(x), dy> = <x, L*(dy)> for a linear op L and the
// op claimed to be its adjoint.
func checkAdjoint(t *testing.T, name string, lx, dy, x, ldy *Tensor) {
	t.Helper()
	if l, r := inner(lx.Data, dy.Data), inner(x.Data, ldy.Data); math.Abs(l-r) > 1e-12*math.Max(1, math.Abs(l)) {
		t.Errorf("%s: <L x, dy> = %v but <x, L* dy> = %v", name, l, r)
	}
}

func TestConv2dGradsAreAdjoints(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for ci, cc := range convCases {
		x, w := randData(r, numElems(cc.x)), randData(r, numElems(cc.w))
		y := mustEval(t, 3, ir.OpConv2d, cc.attrs(), f32(x, cc.x...), f32(w, cc.w...))
		dy := randData(r, len(y.Data))
		a := cc.attrs()
		a["shape"] = cc.x
		dx := mustEval(t, 3, ir.OpConv2dGradInput, a, f32(dy, y.Shape...), f32(w, cc.w...))
		checkAdjoint(t, fmt.Sprintf("case %d input", ci), y, FromData(y.Shape, dy), FromData(cc.x, x), dx)
		a = cc.attrs()
		a["shape"] = cc.w
		dw := mustEval(t, 3, ir.OpConv2dGradWeight, a, f32(x, cc.x...), f32(dy, y.Shape...))
		checkAdjoint(t, fmt.Sprintf("case %d weight", ci), y, FromData(y.Shape, dy), FromData(cc.w, w), dw)
	}
}

// naiveMaxPool pads the input with -inf into a new array and takes plain
// window maxima: a second formulation of maxpool2d's values.
func naiveMaxPool(x []float64, xs []int, k, s, pad [2]int) []float64 {
	h, w := xs[2]+2*pad[0], xs[3]+2*pad[1]
	oh, ow := (h-k[0])/s[0]+1, (w-k[1])/s[1]+1
	var out []float64
	for nc := 0; nc < xs[0]*xs[1]; nc++ {
		padded := make([]float64, h*w)
		for i := range padded {
			y, xx := i/w-pad[0], i%w-pad[1]
			padded[i] = math.Inf(-1)
			if y >= 0 && y < xs[2] && xx >= 0 && xx < xs[3] {
				padded[i] = x[(nc*xs[2]+y)*xs[3]+xx]
			}
		}
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				m := math.Inf(-1)
				for p := 0; p < k[0]; p++ {
					for q := 0; q < k[1]; q++ {
						m = math.Max(m, padded[(i*s[0]+p)*w+j*s[1]+q])
					}
				}
				out = append(out, m)
			}
		}
	}
	return out
}

type poolCase struct {
	x                   []int
	kernel, stride, pad [2]int
}

var poolCases = []poolCase{
	{[]int{2, 3, 6, 6}, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}},
	{[]int{1, 2, 7, 5}, [2]int{3, 2}, [2]int{2, 1}, [2]int{1, 1}},
	{[]int{3, 1, 5, 8}, [2]int{2, 4}, [2]int{1, 3}, [2]int{1, 2}},
}

func (pc poolCase) attrs() ir.Attrs {
	return ir.Attrs{"kernel": pc.kernel[:], "stride": pc.stride[:], "pad": pc.pad[:]}
}

func TestMaxPoolNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for ci, pc := range poolCases {
		x := randData(r, numElems(pc.x))
		got := mustEval(t, 3, ir.OpMaxPool2d, pc.attrs(), f32(x, pc.x...))
		checkTensor(t, fmt.Sprintf("pool case %d", ci), got, got.Shape, naiveMaxPool(x, pc.x, pc.kernel, pc.stride, pc.pad), 0)
		// The gradient puts each dy where x equals the window's maximum.
		dy := randData(r, len(got.Data))
		dx := mustEval(t, 3, ir.OpMaxPool2dGrad, pc.attrs(), f32(x, pc.x...), f32(dy, got.Shape...))
		checkAdjoint(t, fmt.Sprintf("pool case %d grad", ci), got, FromData(got.Shape, dy), FromData(pc.x, x), dx)
	}
}

func TestAvgPoolGradIsAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for ci, pc := range poolCases {
		x := randData(r, numElems(pc.x))
		y := mustEval(t, 3, ir.OpAvgPool2d, pc.attrs(), f32(x, pc.x...))
		dy := randData(r, len(y.Data))
		a := pc.attrs()
		a["shape"] = pc.x
		dx := mustEval(t, 3, ir.OpAvgPool2dGrad, a, f32(dy, y.Shape...))
		checkAdjoint(t, fmt.Sprintf("avg case %d", ci), y, FromData(y.Shape, dy), FromData(pc.x, x), dx)
	}
}

func TestLayoutAdjoints(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	x := randData(r, 3*7*2)
	sl := ir.Attrs{"axis": 1, "start": 1, "end": 7, "step": 3}
	y := mustEval(t, 3, ir.OpSlice, sl, f32(x, ir.B, 7, 2))
	dy := randData(r, len(y.Data))
	sl["shape"] = []int{ir.B, 7, 2}
	dx := mustEval(t, 3, ir.OpSliceGrad, sl, f32(dy, ir.B, 2, 2))
	checkAdjoint(t, "slice", y, FromData(y.Shape, dy), FromData([]int{3, 7, 2}, x), dx)

	table, ids := randData(r, 5*3), []float64{4, 0, 4, 2, 1, 4}
	y = mustEval(t, 3, ir.OpGather, nil, f32(table, 5, 3), i32(ids, ir.B, 2))
	dy = randData(r, len(y.Data))
	dx = mustEval(t, 3, ir.OpScatterAdd, ir.Attrs{"shape": []int{5, 3}}, i32(ids, ir.B, 2), f32(dy, ir.B, 2, 3))
	checkAdjoint(t, "gather", y, FromData(y.Shape, dy), FromData([]int{5, 3}, table), dx)

	// transpose by perm then by its inverse is the identity.
	x = randData(r, 3*2*4*5)
	y = mustEval(t, 3, ir.OpTranspose, ir.Attrs{"perm": []int{0, 3, 1, 2}}, f32(x, ir.B, 2, 4, 5))
	back := mustEval(t, 3, ir.OpTranspose, ir.Attrs{"perm": []int{0, 2, 3, 1}}, f32(y.Data, ir.B, 5, 2, 4))
	checkTensor(t, "transpose inverse", back, []int{3, 2, 4, 5}, x, 0)
	if got, want := y.At(2, 4, 1, 3), x[((2*2+1)*4+3)*5+4]; got != want {
		t.Errorf("transpose: y[2,4,1,3] = %v, want x[2,1,3,4] = %v", got, want)
	}
}
