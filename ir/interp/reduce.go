package interp

import (
	"math"

	"github.com/dlc-lang/dlc/ir"
)

// reduction maps each element of a reduction's input to its group: the
// element of the result it reduces into.
type reduction struct {
	in    []int // input shape
	group []int // per input axis, the stride of the result offset (0 on reduced axes)
	size  int   // number of groups (result elements)
	count int   // elements per group
}

// newReduction resolves the axes attribute of v (an ir reduction) for an
// input of shape in. An empty axes list reduces nothing.
func newReduction(v *ir.Value, in []int) (*reduction, error) {
	axes, err := ir.NormAxes(v.Attrs.Ints("axes"), len(in))
	if err != nil {
		return nil, err
	}
	keep := append([]int{}, in...)
	count := 1
	for _, a := range axes {
		count *= in[a]
		keep[a] = 1
	}
	group := strides(keep)
	for _, a := range axes {
		group[a] = 0
	}
	return &reduction{in: in, group: group, size: numElems(keep), count: count}, nil
}

// each calls fn with the flat input offset and group of every input
// element, in row-major order.
func (r *reduction) each(fn func(off, g int)) {
	forEach(r.in, func(off int, idx []int) { fn(off, dot(idx, r.group)) })
}

func evalSum(c *call) (*Tensor, error) {
	r, err := newReduction(c.v, c.args[0].Shape)
	if err != nil {
		return nil, err
	}
	out := NewTensor(c.out...)
	r.each(func(off, g int) { out.Data[g] += c.args[0].Data[off] })
	return out, nil
}

// evalMean divides each group's sum by the group's element count; a
// reduced batch axis counts Env.N elements.
func evalMean(c *call) (*Tensor, error) {
	out, err := evalSum(c)
	if err != nil {
		return nil, err
	}
	r, _ := newReduction(c.v, c.args[0].Shape)
	for i := range out.Data {
		out.Data[i] /= float64(r.count)
	}
	return out, nil
}

// argmax returns, for each group, the input offset of its maximum: the
// first in row-major order, except that a NaN wins over numbers (max
// propagates NaN, as PyTorch's does).
func argmax(r *reduction, x []float64) []int {
	arg := make([]int, r.size)
	for i := range arg {
		arg[i] = -1
	}
	r.each(func(off, g int) {
		if arg[g] < 0 {
			arg[g] = off
			return
		}
		best := x[arg[g]]
		if x[off] > best || (math.IsNaN(x[off]) && !math.IsNaN(best)) {
			arg[g] = off
		}
	})
	return arg
}

func evalMax(c *call) (*Tensor, error) {
	r, err := newReduction(c.v, c.args[0].Shape)
	if err != nil {
		return nil, err
	}
	out := NewTensor(c.out...)
	for g, off := range argmax(r, c.args[0].Data) {
		out.Data[g] = c.args[0].Data[off]
	}
	return out, nil
}

// evalMaxGrad routes dy (args x, y, dy) to the first maximum of each group
// of x, found as evalMax finds it; the other elements get zero.
func evalMaxGrad(c *call) (*Tensor, error) {
	r, err := newReduction(c.v, c.args[0].Shape)
	if err != nil {
		return nil, err
	}
	out := NewTensor(c.out...)
	dy := c.args[2]
	for g, off := range argmax(r, c.args[0].Data) {
		out.Data[off] = dy.Data[g]
	}
	return out, nil
}
