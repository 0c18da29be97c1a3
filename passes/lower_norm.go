package passes

import (
	"github.com/dlc-lang/dlc/ir"
)

func batchNormLayer() builtin {
	return builtin{layer: true, lower: lowerBatchNorm, sig: []param{tensorX,
		{name: "num_features", kind: kNumber, integer: true, required: true},
		{name: "eps", kind: kNumber, def: numVal(1e-5, false)},
		{name: "momentum", kind: kNumber, def: numVal(0.1, false)}}}
}

// lowerBatchNorm normalizes over every axis but the channel axis 1. In
// training it uses the batch statistics and emits update.<name>.running_*
// results (running_var takes the unbiased variance, as PyTorch does); in
// evaluation it uses the running statistics.
func lowerBatchNorm(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	s := x.Type.Shape
	want := map[string][]int{"batchnorm1d": {2, 3}, "batchnorm2d": {4}}[c.call.Func.Name]
	if !containsInt(want, s.Rank()) || !x.Type.DType.IsFloat() {
		l.errorf(c.pos(), "%s expects an input of rank %v with channels on axis 1, got %v", c.call.Func.Name, want, x.Type)
		return value{}, false
	}
	C := c.int("num_features")
	if s[1] != C {
		l.errorf(c.pos(), "%s: input has %d channels, num_features is %d: got %v", c.call.Func.Name, s[1], C, x.Type)
		return value{}, false
	}
	d := x.Type.DType
	w := l.newParam(c, "weight", ir.T(d, C), ir.Init{Kind: "ones"}, false)
	b := l.newParam(c, "bias", ir.T(d, C), ir.Init{Kind: "zeros"}, false)
	rm := l.newParam(c, "running_mean", ir.T(d, C), ir.Init{Kind: "zeros"}, true)
	rv := l.newParam(c, "running_var", ir.T(d, C), ir.Init{Kind: "ones"}, true)
	l.newParam(c, "num_batches_tracked", ir.T(ir.I32), ir.Init{Kind: "counter"}, true)

	axes := []int{0}
	bshape := []int{C} // broadcast shape of per-channel vectors
	for i := 2; i < s.Rank(); i++ {
		axes = append(axes, i)
		bshape = append(bshape, 1)
	}
	e := &emitter{l: l, pos: c.pos()}
	eps := e.konst(d, c.num("eps"))
	if l.mode != "train" {
		mean := e.op(ir.OpReshape, ir.Attrs{"shape": bshape}, rm)
		v := e.op(ir.OpReshape, ir.Attrs{"shape": bshape}, rv)
		inv := e.op(ir.OpRecip, nil, e.op(ir.OpSqrt, nil, e.op(ir.OpAdd, nil, v, eps)))
		y := e.op(ir.OpMul, nil, e.op(ir.OpSub, nil, x, mean), inv)
		y = e.op(ir.OpAdd, nil, e.op(ir.OpMul, nil, y, e.op(ir.OpReshape, ir.Attrs{"shape": bshape}, w)), e.op(ir.OpReshape, ir.Attrs{"shape": bshape}, b))
		return e.result()(y)
	}
	red := ir.Attrs{"axes": axes, "keepdims": true}
	mean := e.op(ir.OpMean, red, x)
	xc := e.op(ir.OpSub, nil, x, mean)
	v := e.op(ir.OpMean, red, e.op(ir.OpSquare, nil, xc))
	inv := e.op(ir.OpRecip, nil, e.op(ir.OpSqrt, nil, e.op(ir.OpAdd, nil, v, eps)))
	y := e.op(ir.OpMul, nil, xc, inv)
	y = e.op(ir.OpAdd, nil, e.op(ir.OpMul, nil, y, e.op(ir.OpReshape, ir.Attrs{"shape": bshape}, w)), e.op(ir.OpReshape, ir.Attrs{"shape": bshape}, b))

	// The element count per channel depends on the runtime batch size, so it
	// is computed as the sum of a ones tensor with the batch dimension.
	onesShape := append(ir.Shape{ir.B, 1}, s[2:]...)
	l.b.Pos = irPos(c.pos())
	count := e.op(ir.OpSum, ir.Attrs{"axes": allAxes(len(onesShape))}, l.b.Const(ir.Type{DType: d, Shape: onesShape}, 1))
	unbiased := e.op(ir.OpMul, nil, v, e.op(ir.OpDiv, nil, count, e.op(ir.OpSub, nil, count, e.konst(d, 1))))
	m := c.num("momentum")
	update := func(old, stat *ir.Value) *ir.Value {
		flat := e.op(ir.OpReshape, ir.Attrs{"shape": []int{C}}, stat)
		return e.op(ir.OpAdd, nil, e.op(ir.OpMul, nil, old, e.konst(d, 1-m)), e.op(ir.OpMul, nil, flat, e.konst(d, m)))
	}
	newMean, newVar := update(rm, mean), update(rv, unbiased)
	if !e.bad {
		l.f.Results = append(l.f.Results,
			ir.Result{Name: "update." + c.name + ".running_mean", Value: newMean},
			ir.Result{Name: "update." + c.name + ".running_var", Value: newVar})
	}
	return e.result()(y)
}

func lowerLayerNorm(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	ns := c.args["normalized_shape"].ints()
	s := x.Type.Shape
	k := len(ns)
	if k == 0 || k >= s.Rank() || !ir.Shape(ns).Equal(s[s.Rank()-k:]) {
		l.errorf(c.pos(), "layernorm: normalized_shape %v must match the trailing dimensions of %v", ns, x.Type)
		return value{}, false
	}
	d := x.Type.DType
	w := l.newParam(c, "weight", ir.Type{DType: d, Shape: ir.Shape(ns).Clone()}, ir.Init{Kind: "ones"}, false)
	b := l.newParam(c, "bias", ir.Type{DType: d, Shape: ir.Shape(ns).Clone()}, ir.Init{Kind: "zeros"}, false)
	var axes []int
	for i := s.Rank() - k; i < s.Rank(); i++ {
		axes = append(axes, i)
	}
	e := &emitter{l: l, pos: c.pos()}
	red := ir.Attrs{"axes": axes, "keepdims": true}
	xc := e.op(ir.OpSub, nil, x, e.op(ir.OpMean, red, x))
	v := e.op(ir.OpMean, red, e.op(ir.OpSquare, nil, xc))
	inv := e.op(ir.OpRecip, nil, e.op(ir.OpSqrt, nil, e.op(ir.OpAdd, nil, v, e.konst(d, c.num("eps")))))
	y := e.op(ir.OpAdd, nil, e.op(ir.OpMul, nil, e.op(ir.OpMul, nil, xc, inv), w), b)
	return e.result()(y)
}

func allAxes(rank int) []int {
	out := make([]int, rank)
	for i := range out {
		out[i] = i
	}
	return out
}
