package runtime

import "math"

// Float is the element type of a model build: float32 or float64.
type Float interface{ ~float32 | ~float64 }

// The initializers below are PyTorch's default schemes. Each computes in
// float64 and rounds to F, drawing the same numbers from r for float32 and
// float64 builds, so both start from the same weights up to rounding.
// Elements are filled in order, one Float64 each (Normal: one NormPair per
// two elements).

// Uniform fills dst with samples of U(lo, hi): lo + (hi-lo)*r.Float64().
// Rounding to float32 may give hi itself.
func Uniform[F Float](dst []F, r *RNG, lo, hi float64) {
	for i := range dst {
		dst[i] = F(lo + (hi-lo)*r.Float64())
	}
}

// Normal fills dst with samples of N(mean, std²).
func Normal[F Float](dst []F, r *RNG, mean, std float64) {
	for i := 0; i < len(dst); i += 2 {
		a, b := r.NormPair()
		dst[i] = F(mean + std*a)
		if i+1 < len(dst) {
			dst[i+1] = F(mean + std*b)
		}
	}
}

// Constant fills dst with v.
func Constant[F Float](dst []F, v float64) {
	for i := range dst {
		dst[i] = F(v)
	}
}

// KaimingUniform is torch.nn.init.kaiming_uniform_ with the leaky_relu
// gain sqrt(2/(1+a²)): U(-bound, bound) with bound = gain*sqrt(3/fanIn).
// torch.nn.Linear and Conv2d initialize their weights with a = sqrt(5),
// which gives bound = 1/sqrt(fanIn).
func KaimingUniform[F Float](dst []F, r *RNG, fanIn int, a float64) {
	bound := leakyReLUGain(a) * math.Sqrt(3/float64(fanIn))
	Uniform(dst, r, -bound, bound)
}

// KaimingNormal is torch.nn.init.kaiming_normal_ with the leaky_relu gain:
// N(0, std²) with std = sqrt(2/(1+a²))/sqrt(fanIn).
func KaimingNormal[F Float](dst []F, r *RNG, fanIn int, a float64) {
	Normal(dst, r, 0, leakyReLUGain(a)/math.Sqrt(float64(fanIn)))
}

// XavierUniform is torch.nn.init.xavier_uniform_: U(-bound, bound) with
// bound = gain*sqrt(6/(fanIn+fanOut)).
func XavierUniform[F Float](dst []F, r *RNG, fanIn, fanOut int, gain float64) {
	bound := gain * math.Sqrt(6/float64(fanIn+fanOut))
	Uniform(dst, r, -bound, bound)
}

// XavierNormal is torch.nn.init.xavier_normal_: N(0, std²) with
// std = gain*sqrt(2/(fanIn+fanOut)).
func XavierNormal[F Float](dst []F, r *RNG, fanIn, fanOut int, gain float64) {
	Normal(dst, r, 0, gain*math.Sqrt(2/float64(fanIn+fanOut)))
}

// FanInUniform fills dst with U(-1/sqrt(fanIn), 1/sqrt(fanIn)), or zeros
// when fanIn is 0: the bias init of torch.nn.Linear and Conv2d, and the
// init of every RNN, LSTM and GRU weight with fanIn = hidden_size.
func FanInUniform[F Float](dst []F, r *RNG, fanIn int) {
	bound := 0.0
	if fanIn > 0 {
		bound = 1 / math.Sqrt(float64(fanIn))
	}
	Uniform(dst, r, -bound, bound)
}

// Fans returns the fan-in and fan-out of a weight of shape [out, in, k...]
// as torch.nn.init computes them: in*prod(k) and out*prod(k). It panics if
// shape has fewer than 2 dimensions.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic("runtime: Fans: shape has fewer than 2 dimensions")
	}
	field := 1
	for _, k := range shape[2:] {
		field *= k
	}
	return shape[1] * field, shape[0] * field
}

func leakyReLUGain(a float64) float64 { return math.Sqrt(2 / (1 + a*a)) }
