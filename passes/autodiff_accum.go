package passes

import (
	"slices"

	"github.com/dlc-lang/dlc/ir"
)

// accumulate sums the adjoint contributions cs of v's uses. Contributions
// that are slice_grads of disjoint unit-step slices along one axis (the
// gates of an LSTM, the time steps of a sequence) are first joined into one
// concat, zeros filling the gaps, instead of adding full-size tensors that
// are mostly zero.
func (g *gradCtx) accumulate(v *ir.Value, cs []*ir.Value) *ir.Value {
	cs = g.joinSliceGrads(v, cs)
	sum := cs[0]
	for _, c := range cs[1:] {
		sum = g.op(ir.OpAdd, nil, sum, c)
	}
	return sum
}

// joinSliceGrads replaces, for each axis, the unit-step slice_grads in cs
// that write disjoint ranges of that axis with one concat of their inputs.
func (g *gradCtx) joinSliceGrads(v *ir.Value, cs []*ir.Value) []*ir.Value {
	byAxis := map[int][]*ir.Value{}
	var rest []*ir.Value
	for _, c := range cs {
		if c.Op == ir.OpSliceGrad && c.Attrs.Int("step", 1) == 1 {
			ax := c.Attrs.Int("axis", 0)
			byAxis[ax] = append(byAxis[ax], c)
			continue
		}
		rest = append(rest, c)
	}
	for ax := 0; ax < v.Type.Shape.Rank(); ax++ {
		group := byAxis[ax]
		if len(group) < 2 {
			rest = append(rest, group...)
			continue
		}
		slices.SortStableFunc(group, func(a, b *ir.Value) int { return a.Attrs.Int("start", 0) - b.Attrs.Int("start", 0) })
		var keep, join []*ir.Value
		end := 0
		for _, c := range group {
			if c.Attrs.Int("start", 0) >= end {
				join = append(join, c)
				end = c.Attrs.Int("end", 0)
			} else {
				keep = append(keep, c) // overlaps an earlier slice: added as it is
			}
		}
		if len(join) < 2 {
			rest = append(rest, group...)
			continue
		}
		rest = append(rest, g.concatSlices(v.Type, ax, join))
		rest = append(rest, keep...)
	}
	return rest
}

// concatSlices builds the tensor of type t that holds each slice_grad's
// input at its range of axis and zeros elsewhere.
func (g *gradCtx) concatSlices(t ir.Type, axis int, sorted []*ir.Value) *ir.Value {
	var parts []*ir.Value
	zeros := func(from, to int) {
		if to > from {
			s := t.Shape.Clone()
			s[axis] = to - from
			parts = append(parts, g.b.Const(ir.Type{DType: t.DType, Shape: s}, 0))
		}
	}
	at := 0
	for _, c := range sorted {
		start := c.Attrs.Int("start", 0)
		zeros(at, start)
		parts = append(parts, c.Args[0])
		at = start + c.Args[0].Type.Shape[axis]
	}
	zeros(at, t.Shape[axis])
	return g.op(ir.OpConcat, ir.Attrs{"axis": axis}, parts...)
}
