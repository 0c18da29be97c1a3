package runtime

// golden is 2⁶⁴/φ, the SplitMix64 increment.
const golden = 0x9e3779b97f4a7c15

// DropoutUniform is the counter-based random stream behind the dropout
// masks of generated models and of the reference interpreter: a uniform
// number in [0,1) that depends only on (seed, step, index), so any element
// can be drawn independently, in any order, on any thread:
//
//	z := seed ^ step*0x9E3779B97F4A7C15 ^ index
//	z += 0x9E3779B97F4A7C15                       // SplitMix64 (Steele et al. 2014)
//	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
//	z = (z ^ z>>27) * 0x94D049BB133111EB
//	z ^= z >> 31
//	u := float64(z>>11) / (1 << 53)               // top 53 bits, exact in float64
//
// with arithmetic modulo 2⁶⁴. A dropout layer keeps element index (the
// flat row-major offset in its mask) at training step step when
// DropoutUniform(seed, step, index) >= p; seed numbers the model's dropout
// layers in source order.
func DropoutUniform(seed, step, index uint64) float64 {
	return float64(mix64(seed^step*golden^index+golden)>>11) / (1 << 53)
}

// epochKey seeds the shuffle of epoch epoch of a training loop seeded with
// seed: mix(mix(seed ^ golden) + epoch), distinct for distinct epochs.
func epochKey(seed, epoch uint64) uint64 {
	return mix64(mix64(seed^golden) + epoch)
}

// mix64 is the SplitMix64 finalizer (Stafford's mix13), a bijection.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
