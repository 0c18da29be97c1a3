package interp

import (
	"math"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// TestDropoutUniformIsSplitMix64 checks the stream against SplitMix64's
// published first outputs for seed 0 (0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4,
// 0x06c45d188009454f): with seed 0 and index 0, step s draws the state
// (s+1)·0x9E3779B97F4A7C15, which is SplitMix64's (s+1)-th output.
func TestDropoutUniformIsSplitMix64(t *testing.T) {
	for step, z := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		want := float64(z>>11) / (1 << 53)
		if got := DropoutUniform(0, step, 0); got != want {
			t.Errorf("step %d: got %v, want %v", step, got, want)
		}
	}
}

func TestDropoutMask(t *testing.T) {
	const n, p = 4000, 0.25
	attrs := func() ir.Attrs { return ir.Attrs{"p": p, "seed": 7, "shape": []int{ir.B, 1000}} }
	typ := ir.T(ir.F32, ir.B, 1000)
	m, err := evalSource(4, ir.OpDropoutMask, typ, attrs())
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for i, x := range m.Data {
		switch x {
		case 0:
		case 1 / (1 - p):
			kept++
		default:
			t.Fatalf("element %d is %v", i, x)
		}
		if want := DropoutMask(p, 7, 3, i); x != want {
			t.Fatalf("element %d is %v, DropoutMask gives %v", i, x, want)
		}
	}
	// 4000 Bernoulli(0.75) draws: the standard deviation of the count is 27.
	if math.Abs(float64(kept)-0.75*n) > 5*27 {
		t.Errorf("kept %d of %d, want about %v", kept, n, 0.75*n)
	}
	// A smaller batch draws the same leading rows.
	m2, err := evalSource(2, ir.OpDropoutMask, typ, attrs())
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range m2.Data {
		if x != m.Data[i] {
			t.Fatalf("batch 2 differs from batch 4 at %d", i)
		}
	}
	same := 0
	for i := 0; i < 1000; i++ {
		if DropoutMask(p, 7, 4, i) == m.Data[i] {
			same++
		}
	}
	if same > 800 {
		t.Errorf("step 4 repeats step 3's mask in %d of 1000 places", same)
	}
}
