package runtime

// golden is 2⁶⁴/φ, the SplitMix64 increment.
const golden = 0x9e3779b97f4a7c15

// Stream is a counter-based random stream for generated kernels, such as
// dropout masks: element i's value is a pure function of (seed, step, i), so
// masks are reproducible and independent of the number of threads and of
// the order in which elements are visited.
//
// NewStream(seed, step) derives the key mix(mix(seed ^ golden) + step), and
// element i is the i+1'th output of SplitMix64 started from that key:
// mix(key + (i+1)*golden), with golden = 0x9e3779b97f4a7c15 and mix the
// SplitMix64 finalizer. Distinct steps of one seed give distinct keys.
type Stream struct {
	key uint64
}

// NewStream returns the stream for training step step of a model seeded
// with seed.
func NewStream(seed, step uint64) Stream {
	return Stream{key: mix64(mix64(seed^golden) + step)}
}

// Uint64 returns the 64 random bits of element i.
func (s Stream) Uint64(i int) uint64 {
	return mix64(s.key + (uint64(i)+1)*golden)
}

// Float32 returns element i as a uniform float32 in [0, 1), a multiple of
// 2⁻²⁴. A dropout kernel keeps element i when s.Float32(i) >= p.
func (s Stream) Float32(i int) float32 {
	return float32(s.Uint64(i)>>40) * 0x1p-24
}

// Float64 returns element i as a uniform float64 in [0, 1), a multiple of
// 2⁻⁵³.
func (s Stream) Float64(i int) float64 {
	return float64(s.Uint64(i)>>11) * 0x1p-53
}

// mix64 is the SplitMix64 finalizer (Stafford's mix13), a bijection.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
