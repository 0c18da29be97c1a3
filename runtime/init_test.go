package runtime

import (
	"math"
	"slices"
	"testing"
)

// moments returns the mean, the variance, the minimum and the maximum of x.
func moments[F Float](x []F) (mean, variance, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range x {
		mean += float64(v)
		lo, hi = min(lo, float64(v)), max(hi, float64(v))
	}
	mean /= float64(len(x))
	for _, v := range x {
		d := float64(v) - mean
		variance += d * d
	}
	return mean, variance / float64(len(x)), lo, hi
}

// checkUniform checks that x looks like a sample of U(-bound, bound).
func checkUniform[F Float](t *testing.T, x []F, bound float64) {
	t.Helper()
	mean, variance, lo, hi := moments(x)
	n := float64(len(x))
	want := bound * bound / 3
	if math.Abs(mean) > 5*math.Sqrt(want/n) {
		t.Errorf("mean %g, want 0 ± %g", mean, 5*math.Sqrt(want/n))
	}
	if math.Abs(variance/want-1) > 0.02 {
		t.Errorf("variance %g, want %g", variance, want)
	}
	if lo < -bound || hi > bound || lo > -0.99*bound || hi < 0.99*bound {
		t.Errorf("range [%g, %g], want just inside [%g, %g]", lo, hi, -bound, bound)
	}
}

// checkNormal checks that x looks like a sample of N(mean, std²).
func checkNormal[F Float](t *testing.T, x []F, mean, std float64) {
	t.Helper()
	m, variance, _, _ := moments(x)
	n := float64(len(x))
	if math.Abs(m-mean) > 5*std/math.Sqrt(n) {
		t.Errorf("mean %g, want %g", m, mean)
	}
	if math.Abs(variance/(std*std)-1) > 0.02 {
		t.Errorf("variance %g, want %g", variance, std*std)
	}
	within := 0
	for _, v := range x {
		if math.Abs(float64(v)-mean) < std {
			within++
		}
	}
	if frac := float64(within) / n; math.Abs(frac-0.6827) > 0.006 {
		t.Errorf("%.4f within one std, want 0.6827", frac)
	}
}

const nSamples = 100000

func TestUniform(t *testing.T) {
	x := make([]float64, nSamples)
	Uniform(x, NewRNG(1), 2, 6)
	for i := range x {
		x[i] -= 4
	}
	checkUniform(t, x, 2)
	y := make([]float32, nSamples)
	Uniform(y, NewRNG(1), 2, 6)
	for i := range y {
		if y[i] != float32(x[i]+4) {
			t.Fatalf("float32 sample %d = %v, want the float64 sample %v rounded", i, y[i], x[i]+4)
		}
	}
}

func TestNormal(t *testing.T) {
	x := make([]float32, nSamples+1) // odd length: the last pair is half used
	Normal(x, NewRNG(2), 3, 0.5)
	checkNormal(t, x, 3, 0.5)
}

func TestKaimingUniform(t *testing.T) {
	for _, fanIn := range []int{1, 10, 784} {
		x := make([]float32, nSamples)
		KaimingUniform(x, NewRNG(3), fanIn, math.Sqrt(5))
		checkUniform(t, x, 1/math.Sqrt(float64(fanIn))) // PyTorch Linear weights
	}
	x := make([]float64, nSamples)
	KaimingUniform(x, NewRNG(3), 50, 0)
	checkUniform(t, x, math.Sqrt(6.0/50)) // ReLU gain sqrt(2)
}

func TestKaimingNormal(t *testing.T) {
	x := make([]float64, nSamples)
	KaimingNormal(x, NewRNG(4), 20, 0)
	checkNormal(t, x, 0, math.Sqrt(2.0/20))
}

func TestXavier(t *testing.T) {
	x := make([]float64, nSamples)
	XavierUniform(x, NewRNG(5), 30, 70, 2)
	checkUniform(t, x, 2*math.Sqrt(6.0/100))
	XavierNormal(x, NewRNG(5), 30, 70, 1)
	checkNormal(t, x, 0, math.Sqrt(2.0/100))
}

func TestFanInUniform(t *testing.T) {
	x := make([]float32, nSamples)
	FanInUniform(x, NewRNG(6), 16)
	checkUniform(t, x, 0.25)
	FanInUniform(x, NewRNG(6), 0)
	if slices.ContainsFunc(x, func(v float32) bool { return v != 0 }) {
		t.Error("fanIn 0: not all zeros")
	}
}

func TestConstant(t *testing.T) {
	x := make([]float32, 5)
	Constant(x, 1.5)
	if !slices.Equal(x, []float32{1.5, 1.5, 1.5, 1.5, 1.5}) {
		t.Errorf("Constant: %v", x)
	}
}

func TestInitDeterminism(t *testing.T) {
	a, b := make([]float32, 1000), make([]float32, 1000)
	KaimingUniform(a, NewRNG(9), 10, math.Sqrt(5))
	Normal(a[500:], NewRNG(10), 0, 1)
	KaimingUniform(b, NewRNG(9), 10, math.Sqrt(5))
	Normal(b[500:], NewRNG(10), 0, 1)
	if !slices.Equal(a, b) {
		t.Error("same seeds gave different weights")
	}
}

func TestFans(t *testing.T) {
	tests := []struct {
		shape         []int
		fanIn, fanOut int
	}{
		{[]int{10, 784}, 784, 10},
		{[]int{6, 1, 5, 5}, 25, 150},
		{[]int{16, 6, 5, 5}, 150, 400},
	}
	for _, tt := range tests {
		if in, out := Fans(tt.shape); in != tt.fanIn || out != tt.fanOut {
			t.Errorf("Fans(%v) = %d, %d, want %d, %d", tt.shape, in, out, tt.fanIn, tt.fanOut)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Fans of a 1-d shape did not panic")
		}
	}()
	Fans([]int{3})
}
