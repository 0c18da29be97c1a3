package interp

import (
	"fmt"

	"github.com/dlc-lang/dlc/runtime"
)

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

// DropoutUniform is runtime.DropoutUniform, the counter-based stream that
// generated code draws its masks from, on ints (converted as Go's
// uint64(int) does).
func DropoutUniform(seed, step, index int) float64 {
	return runtime.DropoutUniform(uint64(seed), uint64(step), uint64(index))
}
