package runtime

import (
	"math"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	x := []float32{1, 2, 3}
	Normalize(x, 2, 0.5)
	if !slices.Equal(x, []float32{-2, 0, 2}) {
		t.Errorf("Normalize: %v", x)
	}
}

func TestNormalizeChannels(t *testing.T) {
	// Two images of two channels of two pixels.
	x := []float64{1, 3, 10, 30, 5, 7, 50, 70}
	NormalizeChannels(x, 2, []float64{1, 10}, []float64{2, 20})
	if want := []float64{0, 1, 0, 1, 2, 3, 2, 3}; !slices.Equal(x, want) {
		t.Errorf("NormalizeChannels: %v, want %v", x, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("a partial image did not panic")
		}
	}()
	NormalizeChannels(x[:7], 2, []float64{1, 10}, []float64{2, 20})
}

func TestMeanStd(t *testing.T) {
	m, s := MeanStd([]float32{2, 4, 4, 4, 5, 5, 7, 9})
	if m != 5 || s != 2 {
		t.Errorf("MeanStd = %v, %v, want 5, 2", m, s)
	}
	x := make([]float32, 10000)
	Uniform(x, NewRNG(1), 0, 1)
	m, s = MeanStd(x)
	Normalize(x, float32(m), float32(s))
	if m, s := MeanStd(x); math.Abs(m) > 1e-6 || math.Abs(s-1) > 1e-6 {
		t.Errorf("after normalizing: mean %v std %v", m, s)
	}
	if m, s := MeanStd([]float64{}); m != 0 || s != 0 {
		t.Errorf("MeanStd of nothing = %v, %v", m, s)
	}
}

// shiftRef shifts an h×w plane out of place: out(y, x) = in(y-dy, x-dx).
func shiftRef(in []float32, h, w, dy, dx int) []float32 {
	out := make([]float32, len(in))
	for y := range h {
		for x := range w {
			sy, sx := y-dy, x-dx
			if sy >= 0 && sy < h && sx >= 0 && sx < w {
				out[y*w+x] = in[sy*w+sx]
			}
		}
	}
	return out
}

func TestRandomShift(t *testing.T) {
	for _, tc := range []struct{ n, c, h, w, k int }{
		{20, 1, 5, 7, 2}, {10, 3, 4, 4, 1}, {10, 2, 3, 2, 4}, {3, 1, 6, 6, 0},
	} {
		x := make([]float32, tc.n*tc.c*tc.h*tc.w)
		for i := range x {
			x[i] = float32(i + 1)
		}
		orig := slices.Clone(x)
		RandomShift(x, tc.c, tc.h, tc.w, tc.k, NewRNG(11))

		r := NewRNG(11) // replay the draws: one per image
		side := 2*tc.k + 1
		plane := tc.h * tc.w
		shifts := make(map[[2]int]bool)
		for img := range tc.n {
			d := r.IntN(side * side)
			dy, dx := d/side-tc.k, d%side-tc.k
			shifts[[2]int{dy, dx}] = true
			for ch := range tc.c {
				off := (img*tc.c + ch) * plane
				want := shiftRef(orig[off:off+plane], tc.h, tc.w, dy, dx)
				if got := x[off : off+plane]; !slices.Equal(got, want) {
					t.Fatalf("%+v image %d channel %d shift (%d, %d):\n got %v\nwant %v", tc, img, ch, dy, dx, got, want)
				}
			}
		}
		if tc.k > 0 && len(shifts) < 3 {
			t.Errorf("%+v: only shifts %v", tc, shifts)
		}
	}
}
