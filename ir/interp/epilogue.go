package interp

import "github.com/dlc-lang/dlc/ir"

// applyEpilogue evaluates a product's epilogue (ir.Epilogue) in place on
// its result t: t[i] = e(t[i], extra arguments at i, broadcast).
func applyEpilogue(c *call, t *Tensor) {
	e, _ := ir.Epilogue(c.v)
	if e == nil {
		return
	}
	extra := c.args[c.v.Op.Arity():]
	st := make([][]int, len(extra))
	for i, a := range extra {
		st[i] = broadcastStrides(a.Shape, len(c.out))
	}
	x := make([]float64, 1+len(extra))
	forEach(c.out, func(off int, idx []int) {
		x[0] = t.Data[off]
		for i, a := range extra {
			x[i+1] = a.Data[dot(idx, st[i])]
		}
		t.Data[off] = e.Eval(x)
	})
}
