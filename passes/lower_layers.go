package passes

import (
	"math"

	"github.com/dlc-lang/dlc/ir"
)

// layers are the builtins that own parameters. Each expands into primitive
// ops; parameter names and layouts are PyTorch's.
var layers = map[string]builtin{
	"dense": {layer: true, lower: lowerDense, sig: []param{tensorX,
		{name: "units", kind: kNumber, integer: true, required: true},
		{name: "activation", kind: kFunc, def: value{kind: kFunc, str: "none"}},
		{name: "bias", kind: kBool, def: value{kind: kBool, b: true}}}},
	"linear": {layer: true, lower: lowerLinear, sig: []param{tensorX,
		{name: "in_features", kind: kNumber, integer: true, required: true},
		{name: "out_features", kind: kNumber, integer: true, required: true},
		{name: "bias", kind: kBool, def: value{kind: kBool, b: true}}}},
	"conv2d": {layer: true, lower: lowerConv2d, sig: []param{tensorX,
		{name: "in_channels", kind: kNumber, integer: true, required: true},
		{name: "out_channels", kind: kNumber, integer: true, required: true},
		{name: "kernel_size", pair: true, required: true},
		{name: "stride", pair: true, def: numVal(1, true)},
		{name: "padding", pair: true, orString: true, def: numVal(0, true)},
		{name: "dilation", pair: true, def: numVal(1, true)},
		{name: "bias", kind: kBool, def: value{kind: kBool, b: true}}}},
	"maxpool2d":        poolLayer(ir.OpMaxPool2d),
	"avgpool2d":        poolLayer(ir.OpAvgPool2d),
	"global_avgpool2d": {lower: lowerGlobalAvgPool, sig: []param{tensorX}},
	"dropout": {lower: lowerDropout, sig: []param{tensorX,
		{name: "p", kind: kNumber, def: numVal(0.5, false)}}},
	"batchnorm1d": batchNormLayer(),
	"batchnorm2d": batchNormLayer(),
	"layernorm": {layer: true, lower: lowerLayerNorm, sig: []param{tensorX,
		{name: "normalized_shape", kind: kList, required: true},
		{name: "eps", kind: kNumber, def: numVal(1e-5, false)}}},
	"embedding": {layer: true, lower: lowerEmbedding, sig: []param{{name: "ids", kind: kTensor, required: true},
		{name: "num_embeddings", kind: kNumber, integer: true, required: true},
		{name: "embedding_dim", kind: kNumber, integer: true, required: true}}},
	"lstm": rnnLayer(lowerLSTM, true),
	"gru":  rnnLayer(lowerGRU, false),
}

// newParam declares the layer's parameter c.name+"."+suffix and returns a
// reference to it in the current func.
func (l *lowerer) newParam(c *callCtx, suffix string, t ir.Type, init ir.Init, buffer bool) *ir.Value {
	p := l.addParam(&ir.Param{Name: c.name + "." + suffix, Type: t, Init: init, Pos: irPos(c.pos())}, buffer, c.pos())
	l.b.Pos = irPos(c.pos())
	return l.b.Param(p)
}

func uniform(bound float64) ir.Init { return ir.Init{Kind: "uniform", Args: []float64{-bound, bound}} }

// affine is x·Wᵀ + b with PyTorch's Linear init: U(±1/√in) for both.
func (l *lowerer) affine(c *callCtx, x *ir.Value, in, out int, bias bool) (value, bool) {
	d := x.Type.DType
	bound := 1 / math.Sqrt(float64(in))
	w := l.newParam(c, "weight", ir.T(d, out, in), uniform(bound), false)
	y, ok := l.op(c.pos(), ir.OpMatMul, ir.Attrs{"tb": true}, x, w)
	if !ok || !bias {
		return y, ok
	}
	b := l.newParam(c, "bias", ir.T(d, out), uniform(bound), false)
	return l.op(c.pos(), ir.OpAdd, nil, y.t, b)
}

func (l *lowerer) checkFeatures(c *callCtx, x *ir.Value) bool {
	r := x.Type.Shape.Rank()
	if r < 2 || r > 3 || !x.Type.DType.IsFloat() {
		hint := ""
		if r > 3 {
			hint = " (insert flatten)"
		}
		l.errorf(c.pos(), "%s expects a rank-2 input, got %v%s", c.call.Func.Name, x.Type, hint)
		return false
	}
	return true
}

func lowerDense(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	if !l.checkFeatures(c, x) {
		return value{}, false
	}
	units := c.int("units")
	if units <= 0 {
		l.errorf(c.pos(), "dense: units must be positive, got %d", units)
		return value{}, false
	}
	in := x.Type.Shape[x.Type.Shape.Rank()-1]
	y, ok := l.affine(c, x, in, units, c.args["bias"].b)
	if !ok {
		return y, ok
	}
	return l.activation(c, c.args["activation"].str, y.t)
}

func lowerLinear(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	if !l.checkFeatures(c, x) {
		return value{}, false
	}
	in, out := c.int("in_features"), c.int("out_features")
	if got := x.Type.Shape[x.Type.Shape.Rank()-1]; got != in {
		l.errorf(c.pos(), "linear: input has %d features, linear(%d, %d) expects %d: got %v", got, in, out, in, x.Type)
		return value{}, false
	}
	if out <= 0 {
		l.errorf(c.pos(), "linear: out_features must be positive, got %d", out)
		return value{}, false
	}
	return l.affine(c, x, in, out, c.args["bias"].b)
}

// activationOps are the activations a layer's activation= argument names.
var activationOps = map[string]ir.Op{
	"relu": ir.OpRelu, "sigmoid": ir.OpSigmoid, "tanh": ir.OpTanh, "gelu": ir.OpGelu,
	"leaky_relu": ir.OpLeakyRelu, "softmax": ir.OpSoftmax, "log_softmax": ir.OpLogSoftmax,
}

func (l *lowerer) activation(c *callCtx, name string, x *ir.Value) (value, bool) {
	switch name {
	case "none", "linear", "":
		return tensorVal(x), true
	}
	op, ok := activationOps[name]
	if !ok {
		names := []string{"none", "relu", "sigmoid", "tanh", "gelu", "leaky_relu", "softmax", "log_softmax"}
		l.unknownf(c.pos(), name, names, "%s: unknown activation %s", c.call.Func.Name, name)
		return value{}, false
	}
	var attrs ir.Attrs
	switch op {
	case ir.OpLeakyRelu:
		attrs = ir.Attrs{"alpha": 0.01}
	case ir.OpSoftmax, ir.OpLogSoftmax:
		attrs = ir.Attrs{"axis": x.Type.Shape.Rank() - 1}
	}
	return l.op(c.pos(), op, attrs, x)
}

func (l *lowerer) checkImage(c *callCtx, x *ir.Value) bool {
	if x.Type.Shape.Rank() != 4 || !x.Type.DType.IsFloat() {
		l.errorf(c.pos(), "%s expects an input [N, C, H, W], got %v", c.call.Func.Name, x.Type)
		return false
	}
	return true
}

func lowerConv2d(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	if !l.checkImage(c, x) {
		return value{}, false
	}
	in, out := c.int("in_channels"), c.int("out_channels")
	k, stride, dil := c.args["kernel_size"].pairOf(), c.args["stride"].pairOf(), c.args["dilation"].pairOf()
	if got := x.Type.Shape[1]; got != in {
		l.errorf(c.pos(), "conv2d: input has %d channels, conv2d(%d, %d, ...) expects %d: got %v", got, in, out, in, x.Type)
		return value{}, false
	}
	if out <= 0 || k[0] <= 0 || k[1] <= 0 || stride[0] <= 0 || stride[1] <= 0 || dil[0] <= 0 || dil[1] <= 0 {
		l.errorf(c.pos(), "conv2d: channels, kernel size, stride and dilation must be positive")
		return value{}, false
	}
	pad, ok := l.convPadding(c, k, stride, dil)
	if !ok {
		return value{}, false
	}
	d := x.Type.DType
	fanIn := in * k[0] * k[1]
	bound := 1 / math.Sqrt(float64(fanIn))
	w := l.newParam(c, "weight", ir.T(d, out, in, k[0], k[1]), uniform(bound), false)
	y, ok := l.op(c.pos(), ir.OpConv2d, ir.Attrs{"stride": stride, "pad": pad, "dilation": dil}, x, w)
	if !ok || !c.args["bias"].b {
		return y, ok
	}
	b := l.newParam(c, "bias", ir.T(d, out), uniform(bound), false)
	b3, ok := l.op(c.pos(), ir.OpReshape, ir.Attrs{"shape": []int{out, 1, 1}}, b)
	if !ok {
		return value{}, false
	}
	return l.op(c.pos(), ir.OpAdd, nil, y.t, b3.t)
}

// convPadding resolves padding=N, [H, W], "valid" or "same" (stride 1, symmetric).
func (l *lowerer) convPadding(c *callCtx, k, stride, dil []int) ([]int, bool) {
	p := c.args["padding"]
	if p.kind != kString {
		pad := p.pairOf()
		if pad[0] < 0 || pad[1] < 0 {
			l.errorf(c.pos(), "%s: padding must not be negative", c.call.Func.Name)
			return nil, false
		}
		return pad, true
	}
	switch p.str {
	case "valid":
		return []int{0, 0}, true
	case "same":
		if stride[0] != 1 || stride[1] != 1 {
			l.errorf(c.pos(), "%s: padding=\"same\" needs stride 1, as in PyTorch", c.call.Func.Name)
			return nil, false
		}
		pad := []int{0, 0}
		for i := range pad {
			total := dil[i] * (k[i] - 1)
			if total%2 != 0 {
				l.errorf(c.pos(), "%s: padding=\"same\" with an even kernel needs asymmetric padding, which is not supported", c.call.Func.Name)
				return nil, false
			}
			pad[i] = total / 2
		}
		return pad, true
	}
	l.errorf(c.pos(), "%s: padding must be a number, a pair, \"same\" or \"valid\", got %q", c.call.Func.Name, p.str)
	return nil, false
}

func poolLayer(op ir.Op) builtin {
	return builtin{sig: []param{tensorX,
		{name: "kernel_size", pair: true, required: true},
		{name: "stride", pair: true},
		{name: "padding", pair: true, def: numVal(0, true)}},
		lower: func(l *lowerer, c *callCtx) (value, bool) {
			x := c.x()
			if !l.checkImage(c, x) {
				return value{}, false
			}
			k := c.args["kernel_size"].pairOf()
			stride := k
			if c.has("stride") {
				stride = c.args["stride"].pairOf()
			}
			return l.op(c.pos(), op, ir.Attrs{"kernel": k, "stride": stride, "pad": c.args["padding"].pairOf()}, x)
		}}
}

func lowerGlobalAvgPool(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	if !l.checkImage(c, x) {
		return value{}, false
	}
	return l.op(c.pos(), ir.OpMean, ir.Attrs{"axes": []int{2, 3}, "keepdims": false}, x)
}

// lowerDropout is the identity outside training; in training it multiplies
// by a fresh mask each step, scaled by 1/(1-p) as in PyTorch.
func lowerDropout(l *lowerer, c *callCtx) (value, bool) {
	x, p := c.x(), c.num("p")
	if p < 0 || p >= 1 {
		l.errorf(c.pos(), "dropout: p must be in [0, 1), got %v", p)
		return value{}, false
	}
	seed := l.drop
	l.drop++
	if l.mode != "train" || p == 0 {
		return tensorVal(x), true
	}
	l.b.Pos = irPos(c.pos())
	// layer names the mask for SetDropoutMask (and interp.Env.Masks).
	mask := l.b.Source(ir.OpDropoutMask, x.Type, ir.Attrs{"p": p, "seed": seed, "layer": c.name})
	return l.op(c.pos(), ir.OpMul, nil, x, mask)
}

func lowerEmbedding(l *lowerer, c *callCtx) (value, bool) {
	ids := c.args["ids"].t
	if ids.Type.DType != ir.I32 {
		l.errorf(c.pos(), "embedding: ids must be i32, got %v", ids.Type)
		return value{}, false
	}
	n, dim := c.int("num_embeddings"), c.int("embedding_dim")
	if n <= 0 || dim <= 0 {
		l.errorf(c.pos(), "embedding: sizes must be positive")
		return value{}, false
	}
	w := l.newParam(c, "weight", ir.T(l.floatType(), n, dim), ir.Init{Kind: "normal", Args: []float64{0, 1}}, false)
	return l.op(c.pos(), ir.OpGather, nil, w, ids)
}

// floatType is the program's floating-point type.
func (l *lowerer) floatType() ir.DType {
	if l.opts.DType == ir.F64 {
		return ir.F64
	}
	for _, d := range l.prog.Inputs {
		if d.Type.DType.IsFloat() {
			return d.Type.DType
		}
	}
	return ir.F32
}
