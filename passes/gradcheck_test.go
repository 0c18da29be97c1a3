package passes

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/ir/interp"
)

// Finite-difference gradient checks: each case builds a small program in
// float64 arithmetic (the interpreter's), reduces its output to a loss
// with fixed random weights, so that every output element matters, and
// compares Autodiff's gradients with central differences of the loss in
// every element of every parameter and requested input. The program's
// batch is 4 and the checks run with 3 rows, to catch code that confuses
// the two.

const (
	gcBatch = 4
	gcN     = 3
	gcStep  = 1e-6
	gcTol   = 1e-6
	// gcFloor bounds the denominator of the relative error: the central
	// difference of a loss L carries a rounding error of about 1e-16·|L|/gcStep,
	// so gradients below gcFloor are held to an absolute error of 1e-8.
	gcFloor = 1e-2
)

// gen draws one element of a leaf's data.
type gen func(r *rand.Rand) float64

// away is uniform on ±[0.1, 1]: away from the kinks of relu, abs and
// friends at 0, by far more than the finite-difference step.
func away(r *rand.Rand) float64 {
	x := 0.1 + 0.9*r.Float64()
	if r.IntN(2) == 0 {
		return -x
	}
	return x
}

func positive(r *rand.Rand) float64 { return 0.5 + 1.5*r.Float64() }
func prob(r *rand.Rand) float64     { return 0.1 + 0.8*r.Float64() }
func classes(k int) gen             { return func(r *rand.Rand) float64 { return float64(r.IntN(k)) } }

// gcBuilder builds a gradcheck program: leaves with their data
// generators, then ops through an ir.Builder.
type gcBuilder struct {
	p      *ir.Program
	b      *ir.Builder
	gens   map[string]gen
	inputs []string // inputs whose gradients are checked
}

func (c *gcBuilder) param(name string, g gen, dims ...int) *ir.Value {
	q := &ir.Param{Name: name, Type: ir.T(ir.F32, dims...), Init: ir.Init{Kind: "zeros"}}
	c.p.Params = append(c.p.Params, q)
	c.gens[name] = g
	return c.b.Param(q)
}

// input declares a float input whose gradient is checked.
func (c *gcBuilder) input(name string, g gen, dims ...int) *ir.Value {
	c.inputs = append(c.inputs, name)
	return c.target(name, ir.F32, g, dims...)
}

// target declares an input whose gradient is not asked for.
func (c *gcBuilder) target(name string, d ir.DType, g gen, dims ...int) *ir.Value {
	decl := &ir.Decl{Name: name, Role: "input", Type: ir.T(d, dims...)}
	c.p.Inputs = append(c.p.Inputs, decl)
	c.gens[name] = g
	return c.b.Input(decl)
}

func (c *gcBuilder) op(op ir.Op, attrs ir.Attrs, args ...*ir.Value) *ir.Value {
	return c.b.Must(op, attrs, args...)
}

func (c *gcBuilder) linear(x *ir.Value, prefix string, in, out int) *ir.Value {
	w := c.param(prefix+".weight", away, out, in)
	b := c.param(prefix+".bias", away, out)
	return c.op(ir.OpAdd, nil, c.op(ir.OpMatMul, ir.Attrs{"tb": true}, x, w), b)
}

// gradCase is one program to check: op names the op it is for (0 for a
// composite program), build returns the values the loss weights.
type gradCase struct {
	name  string
	op    ir.Op
	build func(c *gcBuilder) []*ir.Value
}

// unaryCase checks a one-argument op on an input [B,3] and a parameter [2,3].
func unaryCase(op ir.Op, attrs ir.Attrs, g gen) gradCase {
	return gradCase{op.String(), op, func(c *gcBuilder) []*ir.Value {
		return []*ir.Value{c.op(op, attrs, c.input("x", g, ir.B, 3)), c.op(op, attrs, c.param("w", g, 2, 3))}
	}}
}

// binaryCase checks op(a, b) for leaves a and b made by mk.
func binaryCase(name string, op ir.Op, attrs ir.Attrs, mk func(c *gcBuilder) (a, b *ir.Value)) gradCase {
	return gradCase{name, op, func(c *gcBuilder) []*ir.Value {
		a, b := mk(c)
		return []*ir.Value{c.op(op, attrs, a, b)}
	}}
}

// oneCase checks op on the leaves mk makes.
func oneCase(name string, op ir.Op, attrs ir.Attrs, mk func(c *gcBuilder) []*ir.Value) gradCase {
	return gradCase{name, op, func(c *gcBuilder) []*ir.Value {
		return []*ir.Value{c.op(op, attrs, mk(c)...)}
	}}
}

func in(name string, g gen, dims ...int) func(c *gcBuilder) *ir.Value {
	return func(c *gcBuilder) *ir.Value { return c.input(name, g, dims...) }
}

func par(name string, g gen, dims ...int) func(c *gcBuilder) *ir.Value {
	return func(c *gcBuilder) *ir.Value { return c.param(name, g, dims...) }
}

func leaves(fs ...func(c *gcBuilder) *ir.Value) func(c *gcBuilder) []*ir.Value {
	return func(c *gcBuilder) []*ir.Value {
		vs := make([]*ir.Value, len(fs))
		for i, f := range fs {
			vs[i] = f(c)
		}
		return vs
	}
}

func pair2(a, b func(c *gcBuilder) *ir.Value) func(c *gcBuilder) (*ir.Value, *ir.Value) {
	return func(c *gcBuilder) (*ir.Value, *ir.Value) { return a(c), b(c) }
}

var gradCases = []gradCase{
	unaryCase(ir.OpNeg, nil, away),
	unaryCase(ir.OpExp, nil, away),
	unaryCase(ir.OpLog, nil, positive),
	unaryCase(ir.OpSqrt, nil, positive),
	unaryCase(ir.OpAbs, nil, away),
	unaryCase(ir.OpSign, nil, away),
	unaryCase(ir.OpSquare, nil, away),
	unaryCase(ir.OpRecip, nil, away),
	unaryCase(ir.OpRelu, nil, away),
	unaryCase(ir.OpLeakyRelu, ir.Attrs{"alpha": 0.2}, away),
	unaryCase(ir.OpSigmoid, nil, away),
	unaryCase(ir.OpTanh, nil, away),
	unaryCase(ir.OpGelu, nil, away),
	unaryCase(ir.OpScale, ir.Attrs{"value": -1.5}, away),

	binaryCase("add bias", ir.OpAdd, nil, pair2(in("x", away, ir.B, 3), par("b", away, 3))),
	binaryCase("sub", ir.OpSub, nil, pair2(par("w", away, 3), in("x", away, ir.B, 3))),
	binaryCase("mul outer", ir.OpMul, nil, pair2(in("x", away, ir.B, 3, 1), par("w", away, 1, 4))),
	oneCase("mul self", ir.OpMul, nil, func(c *gcBuilder) []*ir.Value { x := c.input("x", away, ir.B, 2); return []*ir.Value{x, x} }),
	binaryCase("div", ir.OpDiv, nil, pair2(in("x", away, ir.B, 3), par("w", positive, 3))),
	binaryCase("pow", ir.OpPow, nil, pair2(in("x", positive, ir.B, 3), par("w", away, 3))),
	binaryCase("maximum", ir.OpMaximum, nil, pair2(in("x", away, ir.B, 3), par("w", away, 3))),
	binaryCase("minimum", ir.OpMinimum, nil, pair2(in("x", away, ir.B, 1), par("w", away, 1, 3))),
	binaryCase("greater", ir.OpGreater, nil, pair2(in("x", away, ir.B, 3), par("w", away, 3))),
	binaryCase("bce", ir.OpBCE, nil, pair2(in("p", prob, ir.B, 2), in("y", prob, ir.B, 2))),
	binaryCase("bce_logits", ir.OpBCELogits, nil, pair2(in("z", away, ir.B, 2), par("y", prob, 2))),

	oneCase("sum", ir.OpSum, ir.Attrs{"axes": []int{1}}, leaves(in("x", away, ir.B, 2, 3))),
	oneCase("sum keepdims over B", ir.OpSum, ir.Attrs{"axes": []int{0, 2}, "keepdims": true}, leaves(in("x", away, ir.B, 2, 3))),
	oneCase("mean over B", ir.OpMean, ir.Attrs{"axes": []int{0, 2}}, leaves(in("x", away, ir.B, 2, 3))),
	oneCase("mean keepdims", ir.OpMean, ir.Attrs{"axes": []int{-1}, "keepdims": true}, leaves(in("x", away, ir.B, 2, 3))),
	oneCase("mean all", ir.OpMean, ir.Attrs{"axes": []int{0, 1}}, leaves(par("w", away, 2, 3))),
	oneCase("max", ir.OpMax, ir.Attrs{"axes": []int{1, 2}}, leaves(in("x", away, ir.B, 2, 3))),
	oneCase("max over B keepdims", ir.OpMax, ir.Attrs{"axes": []int{0}, "keepdims": true}, leaves(in("x", away, ir.B, 3))),

	oneCase("reshape", ir.OpReshape, ir.Attrs{"shape": []int{ir.B, 3, 2}}, leaves(in("x", away, ir.B, 2, 3))),
	oneCase("transpose", ir.OpTranspose, ir.Attrs{"perm": []int{0, 2, 1}}, leaves(in("x", away, ir.B, 2, 3))),
	oneCase("transpose param", ir.OpTranspose, ir.Attrs{"perm": []int{2, 0, 1}}, leaves(par("w", away, 2, 3, 4))),
	oneCase("broadcast", ir.OpBroadcast, ir.Attrs{"shape": []int{ir.B, 2, 3}}, leaves(par("w", away, 2, 1))),
	oneCase("slice", ir.OpSlice, ir.Attrs{"axis": 2, "start": 1, "end": 5, "step": 2}, leaves(in("x", away, ir.B, 2, 5))),
	oneCase("concat", ir.OpConcat, ir.Attrs{"axis": 1}, leaves(in("x", away, ir.B, 2), in("y", away, ir.B, 3))),
	oneCase("concat params", ir.OpConcat, ir.Attrs{"axis": 0}, leaves(par("a", away, 2, 3), par("b", away, 1, 3))),

	oneCase("matmul", ir.OpMatMul, nil, leaves(in("x", away, ir.B, 4), par("w", away, 4, 3))),
	oneCase("matmul tb", ir.OpMatMul, ir.Attrs{"tb": true}, leaves(in("x", away, ir.B, 4), par("w", away, 3, 4))),
	oneCase("matmul ta batched", ir.OpMatMul, ir.Attrs{"ta": true}, leaves(in("x", away, ir.B, 4), in("y", away, ir.B, 3))),
	oneCase("matmul ta", ir.OpMatMul, ir.Attrs{"ta": true}, leaves(par("a", away, 3, 2), par("b", away, 3, 4))),
	oneCase("matmul ta tb", ir.OpMatMul, ir.Attrs{"ta": true, "tb": true}, leaves(par("a", away, 4, 2), par("b", away, 3, 4))),
	oneCase("matmul leading dims", ir.OpMatMul, nil, leaves(in("x", away, ir.B, 2, 4), par("w", away, 4, 3))),
	oneCase("matmul leading dims tb", ir.OpMatMul, ir.Attrs{"tb": true}, leaves(in("x", away, ir.B, 2, 2, 4), par("w", away, 3, 4))),
	oneCase("matmul unbatched leading dims", ir.OpMatMul, nil, leaves(par("a", away, 2, 2, 4), par("w", away, 4, 3))),
	oneCase("conv2d", ir.OpConv2d, ir.Attrs{"stride": []int{2, 1}, "pad": []int{1, 1}}, leaves(in("x", away, ir.B, 2, 5, 5), par("w", away, 3, 2, 3, 3))),
	oneCase("conv2d dilation", ir.OpConv2d, ir.Attrs{"dilation": []int{2, 1}, "pad": []int{0, 1}}, leaves(in("x", away, ir.B, 1, 6, 5), par("w", away, 2, 1, 2, 2))),
	oneCase("maxpool2d", ir.OpMaxPool2d, ir.Attrs{"kernel": []int{3, 2}, "stride": []int{2, 1}, "pad": []int{1, 1}}, leaves(in("x", away, ir.B, 2, 5, 5))),
	oneCase("avgpool2d", ir.OpAvgPool2d, ir.Attrs{"kernel": []int{2, 3}, "stride": []int{1, 2}, "pad": []int{1, 1}}, leaves(in("x", away, ir.B, 2, 4, 5))),
	oneCase("softmax", ir.OpSoftmax, ir.Attrs{"axis": 1}, leaves(in("x", away, ir.B, 4))),
	oneCase("softmax over B", ir.OpSoftmax, ir.Attrs{"axis": 0}, leaves(in("x", away, ir.B, 2))),
	oneCase("log_softmax", ir.OpLogSoftmax, ir.Attrs{"axis": 2}, leaves(in("x", away, ir.B, 2, 3))),
	oneCase("cross_entropy", ir.OpCrossEntropy, nil, func(c *gcBuilder) []*ir.Value {
		return []*ir.Value{c.input("z", away, ir.B, 4), c.target("labels", ir.I32, classes(4), ir.B)}
	}),
	oneCase("nll", ir.OpNLL, nil, func(c *gcBuilder) []*ir.Value {
		return []*ir.Value{c.input("logp", away, ir.B, 4), c.target("labels", ir.I32, classes(4), ir.B)}
	}),
	oneCase("gather", ir.OpGather, nil, func(c *gcBuilder) []*ir.Value {
		return []*ir.Value{c.param("table", away, 5, 3), c.target("ids", ir.I32, classes(5), ir.B, 2)}
	}),
	oneCase("cast f64", ir.OpCast, ir.Attrs{"dtype": "f64"}, leaves(in("x", away, ir.B, 3))),
	{"cast through i32", ir.OpCast, func(c *gcBuilder) []*ir.Value {
		x := c.input("x", away, ir.B, 3)
		k := c.op(ir.OpCast, ir.Attrs{"dtype": "i32"}, c.op(ir.OpScale, ir.Attrs{"value": 3.0}, x))
		return []*ir.Value{c.op(ir.OpMul, nil, x, c.op(ir.OpCast, ir.Attrs{"dtype": "f32"}, k))}
	}},

	{"mlp with dropout", 0, buildMLP},
	{"conv net", 0, buildConvNet},
	{"lstm cell unrolled", 0, buildLSTM},
	{"softmax cross-entropy", 0, buildSoftmaxXent},
	{"sigmoid bce", 0, func(c *gcBuilder) []*ir.Value {
		p := c.op(ir.OpSigmoid, nil, c.linear(c.input("x", away, ir.B, 3), "fc", 3, 2))
		l := c.op(ir.OpBCE, nil, p, c.target("y", ir.F32, prob, ir.B, 2))
		return []*ir.Value{c.op(ir.OpMean, ir.Attrs{"axes": []int{0, 1}}, l)}
	}},
	{"batchnorm", 0, buildBatchNorm},
	{"overlapping and strided slices", 0, func(c *gcBuilder) []*ir.Value {
		x := c.input("x", away, ir.B, 6)
		sl := func(start, end, step int) *ir.Value {
			return c.op(ir.OpSlice, ir.Attrs{"axis": 1, "start": start, "end": end, "step": step}, x)
		}
		return []*ir.Value{sl(0, 3, 1), sl(2, 5, 1), sl(5, 6, 1), sl(0, 6, 2), sl(3, 4, 1)}
	}},
}

// buildMLP: two linear layers with relu and dropout, cross-entropy, mean.
func buildMLP(c *gcBuilder) []*ir.Value {
	h := c.op(ir.OpRelu, nil, c.linear(c.input("x", away, ir.B, 4), "fc1", 4, 5))
	mask := c.b.Source(ir.OpDropoutMask, h.Type, ir.Attrs{"p": 0.3, "seed": 1})
	z := c.linear(c.op(ir.OpMul, nil, h, mask), "fc2", 5, 3)
	l := c.op(ir.OpCrossEntropy, nil, z, c.target("labels", ir.I32, classes(3), ir.B))
	return []*ir.Value{c.op(ir.OpMean, ir.Attrs{"axes": []int{0}}, l)}
}

// buildConvNet: conv with bias, relu, max-pooling, linear, log_softmax, nll.
func buildConvNet(c *gcBuilder) []*ir.Value {
	x := c.input("x", away, ir.B, 1, 6, 6)
	y := c.op(ir.OpConv2d, ir.Attrs{"pad": []int{1, 1}}, x, c.param("conv.weight", away, 2, 1, 3, 3))
	y = c.op(ir.OpRelu, nil, c.op(ir.OpAdd, nil, y, c.param("conv.bias", away, 2, 1, 1)))
	y = c.op(ir.OpMaxPool2d, ir.Attrs{"kernel": []int{2, 2}}, y)
	y = c.op(ir.OpAvgPool2d, ir.Attrs{"kernel": []int{2, 2}, "stride": []int{1, 1}}, y)
	z := c.linear(c.op(ir.OpReshape, ir.Attrs{"shape": []int{ir.B, 8}}, y), "fc", 8, 3)
	logp := c.op(ir.OpLogSoftmax, ir.Attrs{"axis": 1}, z)
	l := c.op(ir.OpNLL, nil, logp, c.target("labels", ir.I32, classes(3), ir.B))
	return []*ir.Value{c.op(ir.OpMean, ir.Attrs{"axes": []int{0}}, l)}
}

// buildLSTM unrolls an LSTM cell over 3 steps of x [B,3,2] as lowering
// does: one input projection for all steps, then per step slices of it and
// of the gates.
func buildLSTM(c *gcBuilder) []*ir.Value {
	const T, I, H = 3, 2, 3
	x := c.input("x", away, ir.B, T, I)
	wih, whh, b := c.param("wih", away, 4*H, I), c.param("whh", away, 4*H, H), c.param("b", away, 4*H)
	xw := c.op(ir.OpAdd, nil, c.op(ir.OpMatMul, ir.Attrs{"tb": true}, x, wih), b)
	slice := func(v *ir.Value, axis, i, n int) *ir.Value {
		return c.op(ir.OpSlice, ir.Attrs{"axis": axis, "start": i * n, "end": (i + 1) * n, "step": 1}, v)
	}
	h := c.b.Const(ir.T(ir.F32, ir.B, H), 0)
	cell := c.b.Const(ir.T(ir.F32, ir.B, H), 0)
	for t := 0; t < T; t++ {
		g := c.op(ir.OpReshape, ir.Attrs{"shape": []int{ir.B, 4 * H}}, slice(xw, 1, t, 1))
		g = c.op(ir.OpAdd, nil, g, c.op(ir.OpMatMul, ir.Attrs{"tb": true}, h, whh))
		i, f := c.op(ir.OpSigmoid, nil, slice(g, 1, 0, H)), c.op(ir.OpSigmoid, nil, slice(g, 1, 1, H))
		gg, o := c.op(ir.OpTanh, nil, slice(g, 1, 2, H)), c.op(ir.OpSigmoid, nil, slice(g, 1, 3, H))
		cell = c.op(ir.OpAdd, nil, c.op(ir.OpMul, nil, f, cell), c.op(ir.OpMul, nil, i, gg))
		h = c.op(ir.OpMul, nil, o, c.op(ir.OpTanh, nil, cell))
	}
	return []*ir.Value{h}
}

// buildSoftmaxXent: softmax, log, and a soft-label cross-entropy.
func buildSoftmaxXent(c *gcBuilder) []*ir.Value {
	p := c.op(ir.OpSoftmax, ir.Attrs{"axis": 1}, c.linear(c.input("x", away, ir.B, 4), "fc", 4, 3))
	y := c.target("y", ir.F32, prob, ir.B, 3)
	l := c.op(ir.OpSum, ir.Attrs{"axes": []int{1}}, c.op(ir.OpMul, nil, y, c.op(ir.OpLog, nil, p)))
	return []*ir.Value{c.op(ir.OpNeg, nil, c.op(ir.OpMean, ir.Attrs{"axes": []int{0}}, l))}
}

// buildBatchNorm normalizes with batch statistics: means over B in both
// the centre and the variance.
func buildBatchNorm(c *gcBuilder) []*ir.Value {
	x := c.input("x", away, ir.B, 3)
	red := ir.Attrs{"axes": []int{0}, "keepdims": true}
	xc := c.op(ir.OpSub, nil, x, c.op(ir.OpMean, red, x))
	v := c.op(ir.OpMean, red.Clone(), c.op(ir.OpSquare, nil, xc))
	sd := c.op(ir.OpSqrt, nil, c.op(ir.OpAdd, nil, v, c.b.Const(ir.T(ir.F32), 1e-5)))
	y := c.op(ir.OpMul, nil, c.op(ir.OpDiv, nil, xc, sd), c.param("gamma", away, 3))
	return []*ir.Value{c.op(ir.OpAdd, nil, y, c.param("beta", away, 3))}
}

// gradCheckProgram builds tc's program with a loss that weights every
// output element with fixed random weights (inputs gw0, gw1, ...).
func gradCheckProgram(tc gradCase) (*ir.Program, *gcBuilder) {
	p := &ir.Program{Name: "gradcheck", Batch: gcBatch}
	f := &ir.Func{Name: "train"}
	p.Funcs = []*ir.Func{f}
	c := &gcBuilder{p: p, b: ir.NewBuilder(f), gens: map[string]gen{}}
	var loss *ir.Value
	for i, o := range tc.build(c) {
		w := c.target(fmt.Sprintf("gw%d", i), o.Type.DType, away, o.Type.Shape...)
		axes := make([]int, o.Type.Shape.Rank())
		for j := range axes {
			axes[j] = j
		}
		s := c.op(ir.OpSum, ir.Attrs{"axes": axes}, c.op(ir.OpMul, nil, o, w))
		if loss == nil {
			loss = s
		} else {
			loss = c.op(ir.OpAdd, nil, loss, s)
		}
	}
	f.Results = []ir.Result{{Name: "loss", Value: loss}}
	return p, c
}

// gradCheckEnv draws every leaf's data for batch size gcN.
func gradCheckEnv(p *ir.Program, c *gcBuilder, r *rand.Rand) interp.Env {
	env := interp.Env{N: gcN, Inputs: map[string]*interp.Tensor{}, Params: map[string]*interp.Tensor{}, Step: 5}
	fill := func(name string, t ir.Type) *interp.Tensor {
		x := interp.NewTensor(interp.Resolve(t.Shape, gcN)...)
		for i := range x.Data {
			x.Data[i] = c.gens[name](r)
		}
		return x
	}
	for _, d := range p.Inputs {
		env.Inputs[d.Name] = fill(d.Name, d.Type)
	}
	for _, q := range p.Params {
		env.Params[q.Name] = fill(q.Name, q.Type)
	}
	return env
}

func TestGradCheck(t *testing.T) {
	for i, tc := range gradCases {
		t.Run(tc.name, func(t *testing.T) { checkGradients(t, tc, uint64(i)) })
	}
}

func checkGradients(t *testing.T, tc gradCase, seed uint64) {
	p, c := gradCheckProgram(tc)
	fwd, err := ir.Parse(p.String())
	if err != nil {
		t.Fatalf("forward program does not parse: %v\n%s", err, p)
	}
	if err := Autodiff(p, p.Funcs[0], AutodiffOptions{Inputs: c.inputs}); err != nil {
		t.Fatal(err)
	}
	checkVerifiesAndRoundTrips(t, p)
	env := gradCheckEnv(p, c, rand.New(rand.NewPCG(seed, 17)))
	checkFiniteDifferences(t, fwd, p, env, c.inputs)
}

// checkFiniteDifferences compares the gradients p's train func computes
// (p being fwd after Autodiff) with central differences of fwd's loss, in
// every element of every parameter and of the named inputs.
func checkFiniteDifferences(t *testing.T, fwd, p *ir.Program, env interp.Env, inputs []string) {
	t.Helper()
	res, err := interp.Run(p, p.Lookup("train"), env)
	if err != nil {
		t.Fatal(err)
	}
	lossAt := func() float64 {
		r, err := interp.Run(fwd, fwd.Lookup("train"), env)
		if err != nil {
			t.Fatal(err)
		}
		return r["loss"].Data[0]
	}
	if l := lossAt(); l != res["loss"].Data[0] {
		t.Errorf("autodiff changed the loss from %v to %v", l, res["loss"].Data[0])
	}
	worst := 0.0 // the largest relative error
	defer func() { t.Logf("worst relative error %.2g", worst) }()
	check := func(name string, x *interp.Tensor) {
		grad := res[GradResult(name)]
		if grad == nil || len(grad.Data) != len(x.Data) {
			t.Fatalf("no gradient of %s of the right size: %v", name, grad)
		}
		for i, x0 := range x.Data {
			x.Data[i] = x0 + gcStep
			lp := lossAt()
			x.Data[i] = x0 - gcStep
			lm := lossAt()
			x.Data[i] = x0
			num, got := (lp-lm)/(2*gcStep), grad.Data[i]
			e := math.Abs(got-num) / math.Max(gcFloor, math.Max(math.Abs(got), math.Abs(num)))
			worst = math.Max(worst, e)
			if e > gcTol {
				t.Errorf("d loss / d %s[%d]: autodiff %.10g, finite differences %.10g", name, i, got, num)
			}
		}
	}
	for _, q := range p.Params {
		if q.Frozen {
			if res[GradResult(q.Name)] != nil {
				t.Errorf("frozen %s has a gradient result", q.Name)
			}
			continue
		}
		check(q.Name, env.Params[q.Name])
	}
	for _, name := range inputs {
		check(name, env.Inputs[name])
	}
}

// checkVerifiesAndRoundTrips checks that p verifies and that its text
// parses back to the same text.
func checkVerifiesAndRoundTrips(t *testing.T, p *ir.Program) {
	t.Helper()
	if err := ir.Verify(p); err != nil {
		t.Fatalf("after autodiff: %v\n%s", err, p)
	}
	var text bytes.Buffer
	if err := ir.Print(&text, p); err != nil {
		t.Fatal(err)
	}
	q, err := ir.Parse(text.String())
	if err != nil {
		t.Fatalf("printed IR does not parse: %v\n%s", err, text.String())
	}
	if q.String() != text.String() {
		t.Errorf("printed IR does not round-trip:\n%s\nvs\n%s", text.String(), q.String())
	}
}

// TestEveryDifferentiableOpIsChecked fails when an op that can appear in
// a forward graph has no gradient rule, or has one but no gradcheck case.
func TestEveryDifferentiableOpIsChecked(t *testing.T) {
	checked := map[ir.Op]bool{}
	for _, tc := range gradCases {
		checked[tc.op] = true
	}
	for _, op := range ir.Ops() {
		_, rule := gradRules[op]
		switch {
		case op.Kind() == ir.KindSource || backwardOnlyOps[op]:
			if rule {
				t.Errorf("op %s is a leaf or backward-only but has a gradient rule", op)
			}
		case !rule:
			t.Errorf("op %s has no gradient rule", op)
		case !checked[op]:
			t.Errorf("op %s has no gradcheck case", op)
		}
	}
}
