package runtime

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// rngStream is the second PCG seed word of every RNG.
const rngStream = 0x646c632d726e6731 // "dlc-rng1"

// RNG is a deterministic pseudo-random generator for initialization,
// shuffling and augmentation. Its streams are specified here rather than
// borrowed from math/rand, so a seed gives the same numbers under every Go
// version:
//
//   - Uint64 is math/rand/v2's PCG (PCG-DXSM with 128 bits of state) seeded
//     with rand.NewPCG(seed, 0x646c632d726e6731);
//   - Float64 is (Uint64() >> 11) * 2⁻⁵³, uniform on [0, 1);
//   - Uint64N and IntN use Lemire's multiply-and-reject: the high word of
//     Uint64()*n, drawing again while the low word is below 2⁶⁴ mod n;
//   - Shuffle is Fisher-Yates from the end: for i = n-1 down to 1, swap
//     x[i] with x[IntN(i+1)];
//   - NormPair is Box-Muller: with u1 = 1 - Float64() and u2 = Float64(),
//     r = sqrt(-2 ln u1), it returns r cos(2π u2) and r sin(2π u2).
//
// Integer and uniform results are bit-identical on every platform. Normal
// samples go through math.Log, math.Cos and math.Sin, whose last bit may
// differ between architectures.
//
// An RNG is a plain value: copying it forks the stream. It is not safe for
// concurrent use.
type RNG struct {
	src rand.PCG
}

// NewRNG returns an RNG seeded with seed.
func NewRNG(seed uint64) *RNG {
	r := &RNG{}
	r.Seed(seed)
	return r
}

// Seed resets r to the state NewRNG(seed) returns.
func (r *RNG) Seed(seed uint64) { r.src.Seed(seed, rngStream) }

// Uint64 returns 64 uniformly random bits.
func (r *RNG) Uint64() uint64 { return r.src.Uint64() }

// Float64 returns a uniform float64 in [0, 1), a multiple of 2⁻⁵³.
func (r *RNG) Float64() float64 { return float64(r.Uint64()>>11) * 0x1p-53 }

// Uint64N returns a uniform integer in [0, n). It panics if n is 0.
func (r *RNG) Uint64N(n uint64) uint64 {
	if n == 0 {
		panic("runtime: RNG.Uint64N: n is 0")
	}
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// IntN returns a uniform integer in [0, n). It panics if n <= 0.
func (r *RNG) IntN(n int) int {
	if n <= 0 {
		panic("runtime: RNG.IntN: n <= 0")
	}
	return int(r.Uint64N(uint64(n)))
}

// Shuffle permutes x uniformly at random.
func (r *RNG) Shuffle(x []int) {
	for i := len(x) - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		x[i], x[j] = x[j], x[i]
	}
}

// NormPair returns two independent standard normal samples.
func (r *RNG) NormPair() (float64, float64) {
	u1 := 1 - r.Float64() // (0, 1]: the log stays finite
	u2 := r.Float64()
	rad := math.Sqrt(-2 * math.Log(u1))
	s, c := math.Sincos(2 * math.Pi * u2)
	return rad * c, rad * s
}
