package interp

import "fmt"

// evalDropoutMask fills a tensor of the value's shape with DropoutMask's
// values for the value's {p, seed} and the environment's step, or with
// the layer's keep mask from Env.Masks scaled by 1/(1-p).
func evalDropoutMask(c *call) (*Tensor, error) {
	p := c.v.Attrs.Float("p", 0)
	seed := c.v.Attrs.Int("seed", 0)
	out := NewTensor(c.out...)
	if keep, ok := c.env.Masks[c.v.Attrs.Str("layer")]; ok {
		if len(keep.Data) != len(out.Data) {
			return nil, fmt.Errorf("dropout mask of layer %q has %d elements, want %d (shape %v)", c.v.Attrs.Str("layer"), len(keep.Data), len(out.Data), c.out)
		}
		for i, k := range keep.Data {
			if k != 0 && k != 1 {
				return nil, fmt.Errorf("dropout mask of layer %q: element %d is %v, want 0 or 1", c.v.Attrs.Str("layer"), i, k)
			}
			out.Data[i] = k / (1 - p)
		}
		return out, nil
	}
	for i := range out.Data {
		out.Data[i] = DropoutMask(p, seed, c.env.Step, i)
	}
	return out, nil
}

// DropoutMask is element index (the flat row-major offset) of the dropout
// mask with drop probability p, seed seed at training step step:
// 1/(1-p) when DropoutUniform(seed, step, index) >= p, else 0. Generated
// code must reproduce it bit for bit.
func DropoutMask(p float64, seed, step, index int) float64 {
	if DropoutUniform(seed, step, index) >= p {
		return 1 / (1 - p)
	}
	return 0
}

// DropoutUniform is the counter-based random stream behind dropout masks:
// a uniform number in [0,1) that depends only on (seed, step, index), so
// any element can be drawn independently, in any order, on any thread:
//
//	z := uint64(seed) ^ uint64(step)*0x9E3779B97F4A7C15 ^ uint64(index)
//	z += 0x9E3779B97F4A7C15                       // SplitMix64 (Steele et al. 2014)
//	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
//	z = (z ^ z>>27) * 0x94D049BB133111EB
//	z ^= z >> 31
//	u := float64(z>>11) / (1 << 53)               // top 53 bits, exact in float64
//
// Arithmetic is modulo 2^64; a negative seed, step or index converts as Go's
// uint64(int) does (two's complement).
func DropoutUniform(seed, step, index int) float64 {
	z := uint64(seed) ^ uint64(step)*0x9E3779B97F4A7C15 ^ uint64(index)
	z += 0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}
