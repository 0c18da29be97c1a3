package runtime

import (
	"math"
	"math/big"
	"slices"
	"testing"
)

// pcg is the PCG-DXSM generator written from its definition with big
// integers: a 128-bit LCG state (hi, lo) = (seed1, seed2), advanced by
// state = state*mul + inc mod 2¹²⁸, whose output is the DXSM mix of the
// new state's halves.
type pcg struct{ state *big.Int }

var (
	two64   = new(big.Int).Lsh(big.NewInt(1), 64)
	two128  = new(big.Int).Lsh(big.NewInt(1), 128)
	pcgMul  = u128(2549297995355413924, 4865540595714422341)
	pcgInc  = u128(6364136223846793005, 1442695040888963407)
	dxsmMul = uint64(0xda942042e4dd58b5)
)

// u128 returns hi*2⁶⁴ + lo.
func u128(hi, lo uint64) *big.Int {
	x := new(big.Int).SetUint64(hi)
	return x.Mul(x, two64).Add(x, new(big.Int).SetUint64(lo))
}

func newPCG(seed1, seed2 uint64) *pcg { return &pcg{u128(seed1, seed2)} }

func (p *pcg) next() uint64 {
	p.state.Mul(p.state, pcgMul).Add(p.state, pcgInc).Mod(p.state, two128)
	hi := new(big.Int).Rsh(p.state, 64).Uint64()
	lo := new(big.Int).Mod(p.state, two64).Uint64()
	hi ^= hi >> 32
	hi *= dxsmMul
	hi ^= hi >> 48
	return hi * (lo | 1)
}

// TestRNGStream checks RNG against its documented definition, so a change
// of math/rand/v2's PCG would not go unnoticed.
func TestRNGStream(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, math.MaxUint64} {
		r := NewRNG(seed)
		ref := newPCG(seed, rngStream)
		for i := range 100 {
			if got, want := r.Uint64(), ref.next(); got != want {
				t.Fatalf("seed %d: output %d = %#x, want %#x", seed, i, got, want)
			}
		}
		r.Seed(seed)
		ref = newPCG(seed, rngStream)
		if got, want := r.Float64(), float64(ref.next()>>11)/(1<<53); got != want {
			t.Errorf("seed %d: Float64 = %v, want %v", seed, got, want)
		}
	}
}

func TestRNGDeterminism(t *testing.T) {
	a, b, c := NewRNG(7), NewRNG(7), NewRNG(8)
	same, diff := true, false
	for range 1000 {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		same = same && x == y
		diff = diff || x != z
	}
	if !same || !diff {
		t.Errorf("same seed equal: %v, different seeds differ: %v", same, diff)
	}
	fork := *a
	if a.Uint64() != fork.Uint64() {
		t.Error("a copied RNG does not repeat the stream")
	}
}

func TestUint64N(t *testing.T) {
	r := NewRNG(3)
	for _, n := range []uint64{1, 2, 3, 10, 1<<63 + 1, math.MaxUint64} {
		for range 1000 {
			if v := r.Uint64N(n); v >= n {
				t.Fatalf("Uint64N(%d) = %d", n, v)
			}
		}
	}
	// Counts of IntN(6) over 60000 draws: chi-square with 5 degrees of
	// freedom stays below 20.5 (p = 0.001).
	var counts [6]float64
	for range 60000 {
		counts[r.IntN(6)]++
	}
	chi2 := 0.0
	for _, c := range counts {
		chi2 += (c - 10000) * (c - 10000) / 10000
	}
	if chi2 > 20.5 {
		t.Errorf("IntN(6) counts %v, chi-square %.1f", counts, chi2)
	}
}

func TestShuffle(t *testing.T) {
	r := NewRNG(5)
	x := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	r.Shuffle(x)
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	if !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("Shuffle lost elements: %v", x)
	}
	// Each element lands in each of 4 positions about equally often.
	var pos [4][4]float64
	for range 40000 {
		y := []int{0, 1, 2, 3}
		r.Shuffle(y)
		for p, v := range y {
			pos[v][p]++
		}
	}
	for v := range pos {
		for p := range pos[v] {
			if math.Abs(pos[v][p]-10000) > 500 {
				t.Errorf("element %d at position %d: %v times, want about 10000", v, p, pos[v][p])
			}
		}
	}
}

// TestDropoutUniform checks the stream against SplitMix64's published
// first outputs for seed 0 (0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4,
// 0x06c45d188009454f): with seed 0 and index 0, step s draws the state
// (s+1)·golden, which is SplitMix64's (s+1)-th output; and that it is
// uniform enough in [0, 1).
func TestDropoutUniform(t *testing.T) {
	for step, z := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got, want := DropoutUniform(0, uint64(step), 0), float64(z>>11)/(1<<53); got != want {
			t.Errorf("step %d: got %v, want %v", step, got, want)
		}
	}
	var sum float64
	const n = 100000
	for i := range uint64(n) {
		u := DropoutUniform(3, 7, i)
		if u < 0 || u >= 1 {
			t.Fatalf("element %d: %v", i, u)
		}
		sum += u
	}
	if mean := sum / n; math.Abs(mean-0.5) > 0.005 {
		t.Errorf("mean %v, want about 0.5", mean)
	}
}

// TestEpochKey checks that epochs and seeds get distinct shuffle keys.
func TestEpochKey(t *testing.T) {
	seen := make(map[uint64]bool)
	for seed := range uint64(10) {
		for e := range uint64(100) {
			k := epochKey(seed, e)
			if seen[k] {
				t.Fatalf("key of (%d, %d) repeats", seed, e)
			}
			seen[k] = true
		}
	}
}
