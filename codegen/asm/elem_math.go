package asm

import "math"

// The float32 transcendental functions of the elementwise kernels, shared
// by the assembly (elem_asm.go) and the Go twins (elemHelperSrc), after
// Cephes' expf and tanhf:
//
//	exp(x)  x clamped to [expLo, expHi] (NaN stays NaN); n = round(x·log2e)
//	        by the 1.5·2²³ trick; r = x - n·ln2 (ln2 in two parts, |r| ≤ ln2/2);
//	        p = 1 + r + r²·P(r), P of degree 5; exp = p·2ⁿ (VSCALEFPS, or two
//	        exact power-of-two products, so that 2ⁿ never leaves the normal
//	        range: e^-104 rounds to 0, e^88.8 overflows to +Inf)
//	sigmoid 1/(1 + exp(-x)): relative error of a few ulp everywhere, 0 and 1
//	        at the ends, NaN for NaN. The assembly takes the reciprocal as
//	        an estimate refined by Newton-Raphson (VRCP14PS), with -x clamped
//	        to 88; the Go twin divides.
//	tanh    |x| < 0.625: x + x·z·T(z), z = x², T of degree 4 (no cancellation
//	        near 0); else sign(x)·(1 - 2/(exp(2|x|) + 1))
//
// Errors against float64 math are within about 2 ulp for exp and sigmoid
// and 3 ulp for tanh (elem_test.go checks this).
const (
	expLo    = -104.0
	expHi    = 88.8
	expLog2e = 1.44269504088896341
	expMagic = 12582912 // 1.5·2²³: x + magic - magic rounds x to an integer
	expC1    = 0.693359375
	expC2    = -2.12194440e-4
	tanhLim  = 0.625
	// expFinite bounds the arguments of exp in sigmoid and tanh, where
	// the assembly takes a reciprocal: e^88 is finite.
	expFinite = 88.0
)

var (
	expP  = []float64{1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1}
	tanhT = []float64{-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1}
)

// f32bits is the float32 bit pattern of x.
func f32bits(x float64) uint32 { return math.Float32bits(float32(x)) }

// elemHelperOf maps operations to the Go helper of their twin.
var elemHelperOf = map[string]string{
	"exp": "exp32", "sigmoid": "sigmoid32", "tanh": "tanh32", "relu_grad": "reluGrad32",
}

// ElemHelpers lists the float32 Go helpers GenerateElem can add: exp32,
// sigmoid32, tanh32 (the functions above) and reluGrad32 (dy where x > 0,
// else dy·0).
var ElemHelpers = []string{"exp32", "reluGrad32", "sigmoid32", "tanh32"}

// elemHelperDeps gives the helpers a helper calls.
var elemHelperDeps = map[string][]string{"sigmoid32": {"exp32"}, "tanh32": {"exp32"}}

// elemHelperSrc is the Go source of each helper.
var elemHelperSrc = map[string]string{
	"exp32": `// exp32 is e**x in float32: range reduction to |r| <= ln2/2, a degree-7
// polynomial, and scaling by 2**n in two exact steps. NaN gives NaN, +Inf
// +Inf, -Inf 0.
func exp32(x float32) float32 {
	x = min(max(x, -104), 88.8)
	t := x*1.44269504088896341 + 12582912
	n := t - 12582912
	r := x - n*0.693359375
	r -= n * -2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*(r*r) + r
	p += 1
	k := int32(n)
	h := k >> 1
	return p * math.Float32frombits(uint32(h+127)<<23) * math.Float32frombits(uint32(k-h+127)<<23)
}
`,
	"sigmoid32": `// sigmoid32 is the logistic function 1/(1+e**-x) in float32.
func sigmoid32(x float32) float32 {
	return 1 / (1 + exp32(-x))
}
`,
	"tanh32": `// tanh32 is tanh(x) in float32: a polynomial for |x| < 0.625, else
// sign(x)·(1 - 2/(e**2|x| + 1)).
func tanh32(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	if a < 0.625 {
		z := x * x
		p := float32(-5.70498872745e-3)
		p = p*z + 2.06390887954e-2
		p = p*z - 5.37397155531e-2
		p = p*z + 1.33314422036e-1
		p = p*z - 3.33332819422e-1
		return p*(x*z) + x
	}
	y := 1 - 2/(exp32(a+a)+1)
	return math.Float32frombits(math.Float32bits(y) | math.Float32bits(x)&(1<<31))
}
`,
	"reluGrad32": `// reluGrad32 is dy where x > 0, else dy·0.
func reluGrad32(x, dy float32) float32 {
	if x > 0 {
		return dy
	}
	return dy * 0
}
`,
}

// closeHelpers returns names and the helpers they call, sorted.
func closeHelpers(names map[string]bool) []string {
	for changed := true; changed; {
		changed = false
		for n := range names {
			for _, d := range elemHelperDeps[n] {
				if !names[d] {
					names[d], changed = true, true
				}
			}
		}
	}
	var out []string
	for _, n := range ElemHelpers {
		if names[n] {
			out = append(out, n)
		}
	}
	return out
}
