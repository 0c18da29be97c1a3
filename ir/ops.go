package ir

import (
	"fmt"
	"math"
)

// Op is an IR operation.
type Op uint8

// Kind groups ops that passes treat alike.
type Kind uint8

const (
	KindSource      Kind = iota + 1 // input, param, const: no args
	KindElementwise                 // one scalar formula applied with NumPy broadcasting
	KindReduce                      // sum/mean/max over axes
	KindLayout                      // reshape, transpose, broadcast, slice, concat: moves data
	KindCompute                     // everything else: matmul, conv, pooling, losses...
)

// The ops. Gradient helpers (…Grad) are ops of their own so that the
// backward graph stays ordinary IR that fusion and codegen handle like any other.
const (
	OpInvalid Op = iota

	// Sources.
	OpInput // {name}: a model input or target
	OpParam // {name}: a parameter or buffer
	OpConst // {value}: a tensor filled with one value

	// Elementwise, one argument.
	OpNeg
	OpExp
	OpLog
	OpSqrt
	OpAbs
	OpSign
	OpSquare
	OpRecip
	OpRelu
	OpLeakyRelu // {alpha}
	OpSigmoid
	OpTanh
	OpGelu  // exact (erf) form
	OpScale // {value}: x * value

	// Elementwise, two or more arguments, NumPy broadcasting.
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpPow
	OpMaximum
	OpMinimum
	OpGreater       // 1 where a > b, else 0
	OpReluGrad      // (x, dy): dy where x > 0
	OpLeakyReluGrad // (x, dy) {alpha}
	OpSigmoidGrad   // (y, dy): dy*y*(1-y), y = sigmoid(x)
	OpTanhGrad      // (y, dy): dy*(1-y*y), y = tanh(x)
	OpGeluGrad      // (x, dy)
	OpBCE           // (p, y): -(y*log p + (1-y)*log(1-p)), logs clamped at -100 as in PyTorch
	OpBCEGrad       // (p, y, dy)
	OpBCELogits     // (z, y): binary cross-entropy of sigmoid(z), computed stably
	OpBCELogitsGrad // (z, y, dy): dy*(sigmoid(z)-y)
	OpFused         // {expr}: variadic; the scalar Expr of ir/fused.go over a0, a1, ... (made by fusion)

	// Reductions {axes, keepdims}.
	OpSum
	OpMean
	OpMax
	OpMaxGrad // (x, y, dy) {axes, keepdims}: dy routed to the first maximum of each reduced group

	// Layout.
	OpReshape   // {shape}
	OpTranspose // {perm}
	OpBroadcast // {shape}: NumPy broadcast of the argument to shape
	OpSlice     // {axis, start, end, step}
	OpSliceGrad // (dy) {axis, start, end, step, shape}: dy written into zeros of shape
	OpMeanGrad  // (dy) {axes, shape}: dy broadcast to shape over the reduced axes, divided by their element count (n for B)
	OpConcat    // {axis}: variadic

	// Compute.
	OpMatMul           // (a, b) {ta, tb}: op(a) · op(b); a may have extra leading dims
	OpConv2d           // (x, w) {stride, pad, dilation}: NCHW cross-correlation, w [O,I,KH,KW]
	OpConv2dGradInput  // (dy, w) {stride, pad, dilation, shape}
	OpConv2dGradWeight // (x, dy) {stride, pad, dilation, shape}
	OpMaxPool2d        // (x) {kernel, stride, pad}
	OpMaxPool2dGrad    // (x, dy) {kernel, stride, pad}
	OpMaxPool2dArgmax  // (y) {kernel, stride, pad}: u8 (i32 past 256 taps), for y = maxpool2d(x) the offset of each maximum inside its window (PoolTap; a companion of y)
	OpMaxPool2dGradIdx // (idx, dy) {kernel, stride, pad, shape}: zeros(shape) with each dy added where its window offset idx (of maxpool2d_argmax) points
	OpAvgPool2d        // (x) {kernel, stride, pad}: padding counts toward the divisor, as PyTorch's default
	OpAvgPool2dGrad    // (dy) {kernel, stride, pad, shape}
	OpSoftmax          // (x) {axis}
	OpLogSoftmax       // (x) {axis}
	OpSoftmaxGrad      // (y, dy) {axis}
	OpLogSoftmaxGrad   // (y, dy) {axis}
	OpCrossEntropy     // (z, labels): per-row -log_softmax(z)[label], z [N,C], labels i32[N]
	OpCrossEntropyGrad // (z, labels, dy): dy[n]*(softmax(z)[n] - onehot(label))
	OpNLL              // (logp, labels): per-row -logp[label]
	OpNLLGrad          // (labels, dy) {shape}: -dy[n] at [n, label], zero elsewhere
	OpGather           // (table, ids): table[ids[...], :] (embedding lookup)
	OpScatterAdd       // (ids, dy) {shape}: zeros(shape) with dy rows added at ids
	OpDropoutMask      // {p, seed, layer}: 1/(1-p) with probability 1-p, else 0; drawn anew each step unless the layer's keep mask is given
	OpCast             // {dtype}

	numOps
)

type opInfo struct {
	name  string
	kind  Kind
	arity int // -1: one or more
	infer func(v *Value) (Type, error)
	// scalar is the meaning of an elementwise op on one element: the
	// definition the reference interpreter and codegen's tests rely on.
	scalar func(x []float64, a Attrs) float64
}

var opTable [numOps]opInfo

func init() {
	for _, e := range []struct {
		op Op
		opInfo
	}{
		{OpInput, opInfo{"input", KindSource, 0, inferSource, nil}},
		{OpParam, opInfo{"param", KindSource, 0, inferSource, nil}},
		{OpConst, opInfo{"const", KindSource, 0, inferSource, nil}},

		{OpNeg, unary("neg", func(x float64, _ Attrs) float64 { return -x })},
		{OpExp, unary("exp", func(x float64, _ Attrs) float64 { return math.Exp(x) })},
		{OpLog, unary("log", func(x float64, _ Attrs) float64 { return math.Log(x) })},
		{OpSqrt, unary("sqrt", func(x float64, _ Attrs) float64 { return math.Sqrt(x) })},
		{OpAbs, unary("abs", func(x float64, _ Attrs) float64 { return math.Abs(x) })},
		{OpSign, unary("sign", sign)},
		{OpSquare, unary("square", func(x float64, _ Attrs) float64 { return x * x })},
		{OpRecip, unary("recip", func(x float64, _ Attrs) float64 { return 1 / x })},
		{OpRelu, unary("relu", func(x float64, _ Attrs) float64 { return math.Max(x, 0) })},
		{OpLeakyRelu, unary("leaky_relu", leakyRelu)},
		{OpSigmoid, unary("sigmoid", func(x float64, _ Attrs) float64 { return Sigmoid(x) })},
		{OpTanh, unary("tanh", func(x float64, _ Attrs) float64 { return math.Tanh(x) })},
		{OpGelu, unary("gelu", func(x float64, _ Attrs) float64 { return x * 0.5 * (1 + math.Erf(x/math.Sqrt2)) })},
		{OpScale, unary("scale", func(x float64, a Attrs) float64 { return x * a.Float("value", 1) })},

		{OpAdd, nary("add", 2, func(x []float64, _ Attrs) float64 { return x[0] + x[1] })},
		{OpSub, nary("sub", 2, func(x []float64, _ Attrs) float64 { return x[0] - x[1] })},
		{OpMul, nary("mul", 2, func(x []float64, _ Attrs) float64 { return x[0] * x[1] })},
		{OpDiv, nary("div", 2, func(x []float64, _ Attrs) float64 { return x[0] / x[1] })},
		{OpPow, nary("pow", 2, func(x []float64, _ Attrs) float64 { return math.Pow(x[0], x[1]) })},
		{OpMaximum, nary("maximum", 2, func(x []float64, _ Attrs) float64 { return math.Max(x[0], x[1]) })},
		{OpMinimum, nary("minimum", 2, func(x []float64, _ Attrs) float64 { return math.Min(x[0], x[1]) })},
		{OpGreater, nary("greater", 2, func(x []float64, _ Attrs) float64 { return b2f(x[0] > x[1]) })},
		{OpReluGrad, nary("relu_grad", 2, func(x []float64, _ Attrs) float64 { return x[1] * b2f(x[0] > 0) })},
		{OpLeakyReluGrad, nary("leaky_relu_grad", 2, leakyReluGrad)},
		{OpSigmoidGrad, nary("sigmoid_grad", 2, func(x []float64, _ Attrs) float64 { return x[1] * x[0] * (1 - x[0]) })},
		{OpTanhGrad, nary("tanh_grad", 2, func(x []float64, _ Attrs) float64 { return x[1] * (1 - x[0]*x[0]) })},
		{OpGeluGrad, nary("gelu_grad", 2, geluGrad)},
		{OpBCE, nary("bce", 2, bce)},
		{OpBCEGrad, nary("bce_grad", 3, bceGrad)},
		{OpBCELogits, nary("bce_logits", 2, bceLogits)},
		{OpBCELogitsGrad, nary("bce_logits_grad", 3, func(x []float64, _ Attrs) float64 { return x[2] * (Sigmoid(x[0]) - x[1]) })},
		{OpFused, opInfo{"fused", KindElementwise, -1, inferFused, fusedScalar}},

		{OpSum, opInfo{"sum", KindReduce, 1, inferReduce, nil}},
		{OpMean, opInfo{"mean", KindReduce, 1, inferReduce, nil}},
		{OpMax, opInfo{"max", KindReduce, 1, inferReduce, nil}},
		{OpMaxGrad, opInfo{"max_grad", KindCompute, 3, inferFirstArg, nil}},

		{OpReshape, opInfo{"reshape", KindLayout, 1, inferReshape, nil}},
		{OpTranspose, opInfo{"transpose", KindLayout, 1, inferTranspose, nil}},
		{OpBroadcast, opInfo{"broadcast", KindLayout, 1, inferBroadcastTo, nil}},
		{OpSlice, opInfo{"slice", KindLayout, 1, inferSlice, nil}},
		{OpSliceGrad, opInfo{"slice_grad", KindLayout, 1, inferSliceGrad, nil}},
		{OpMeanGrad, opInfo{"mean_grad", KindLayout, 1, inferMeanGrad, nil}},
		{OpConcat, opInfo{"concat", KindLayout, -1, inferConcat, nil}},

		{OpMatMul, opInfo{"matmul", KindCompute, 2, inferMatMul, nil}},
		{OpConv2d, opInfo{"conv2d", KindCompute, 2, inferConv2d, nil}},
		{OpConv2dGradInput, opInfo{"conv2d_grad_input", KindCompute, 2, inferShapeAttr(1), nil}},
		{OpConv2dGradWeight, opInfo{"conv2d_grad_weight", KindCompute, 2, inferShapeAttr(0), nil}},
		{OpMaxPool2d, opInfo{"maxpool2d", KindCompute, 1, inferPool2d, nil}},
		{OpMaxPool2dGrad, opInfo{"maxpool2d_grad", KindCompute, 2, inferFirstArg, nil}},
		{OpMaxPool2dArgmax, opInfo{"maxpool2d_argmax", KindCompute, 1, inferPoolArgmax, nil}},
		{OpMaxPool2dGradIdx, opInfo{"maxpool2d_grad_idx", KindCompute, 2, inferPoolGradIdx, nil}},
		{OpAvgPool2d, opInfo{"avgpool2d", KindCompute, 1, inferPool2d, nil}},
		{OpAvgPool2dGrad, opInfo{"avgpool2d_grad", KindCompute, 1, inferShapeAttr(0), nil}},
		{OpSoftmax, opInfo{"softmax", KindCompute, 1, inferAxisSame, nil}},
		{OpLogSoftmax, opInfo{"log_softmax", KindCompute, 1, inferAxisSame, nil}},
		{OpSoftmaxGrad, opInfo{"softmax_grad", KindCompute, 2, inferAxisSame, nil}},
		{OpLogSoftmaxGrad, opInfo{"log_softmax_grad", KindCompute, 2, inferAxisSame, nil}},
		{OpCrossEntropy, opInfo{"cross_entropy", KindCompute, 2, inferClassLoss, nil}},
		{OpCrossEntropyGrad, opInfo{"cross_entropy_grad", KindCompute, 3, inferClassLossGrad, nil}},
		{OpNLL, opInfo{"nll", KindCompute, 2, inferClassLoss, nil}},
		{OpNLLGrad, opInfo{"nll_grad", KindCompute, 2, inferNLLGrad, nil}},
		{OpGather, opInfo{"gather", KindCompute, 2, inferGather, nil}},
		{OpScatterAdd, opInfo{"scatter_add", KindCompute, 2, inferScatterAdd, nil}},
		{OpDropoutMask, opInfo{"dropout_mask", KindSource, 0, inferSource, nil}},
		{OpCast, opInfo{"cast", KindCompute, 1, inferCast, nil}},
	} {
		opTable[e.op] = e.opInfo
	}
	for op := Op(1); op < numOps; op++ {
		if opTable[op].name == "" {
			panic(fmt.Sprintf("ir: op %d has no table row", op))
		}
	}
}

func unary(name string, f func(float64, Attrs) float64) opInfo {
	return opInfo{name, KindElementwise, 1, inferElementwise, func(x []float64, a Attrs) float64 { return f(x[0], a) }}
}

func nary(name string, arity int, f func([]float64, Attrs) float64) opInfo {
	return opInfo{name, KindElementwise, arity, inferElementwise, f}
}

func (op Op) String() string {
	if op > 0 && op < numOps {
		return opTable[op].name
	}
	return fmt.Sprintf("op(%d)", uint8(op))
}

// Kind returns the op's kind.
func (op Op) Kind() Kind { return opTable[op].kind }

// Arity is the number of arguments, or -1 for one or more.
func (op Op) Arity() int { return opTable[op].arity }

// IsElementwise reports whether op applies a scalar formula with broadcasting.
func (op Op) IsElementwise() bool { return opTable[op].kind == KindElementwise }

// Scalar evaluates an elementwise op on one element (in float64): the
// reference meaning of the op.
func (op Op) Scalar(x []float64, a Attrs) float64 { return opTable[op].scalar(x, a) }

// OpByName maps an op name as printed back to the Op.
func OpByName(name string) (Op, bool) {
	for op := Op(1); op < numOps; op++ {
		if opTable[op].name == name {
			return op, true
		}
	}
	return 0, false
}

// Ops returns every op, for tests that must cover them all.
func Ops() []Op {
	ops := make([]Op, 0, numOps-1)
	for op := Op(1); op < numOps; op++ {
		ops = append(ops, op)
	}
	return ops
}

// InferType computes the type of v from its op, args and attrs.
func InferType(v *Value) (Type, error) {
	if v.Op <= OpInvalid || v.Op >= numOps {
		return Type{}, fmt.Errorf("invalid op %d", v.Op)
	}
	info := opTable[v.Op]
	if _, ok := v.Attrs["epilogue"]; ok && epilogueOps[v.Op] {
		return inferWithEpilogue(v)
	}
	if info.arity >= 0 && len(v.Args) != info.arity {
		return Type{}, fmt.Errorf("%s takes %d arguments, got %d", info.name, info.arity, len(v.Args))
	}
	if info.arity < 0 && len(v.Args) == 0 {
		return Type{}, fmt.Errorf("%s takes at least one argument", info.name)
	}
	t, err := info.infer(v)
	if err == nil && t.DType == U8 && v.Op != OpMaxPool2dArgmax {
		return Type{}, fmt.Errorf("%s: u8 holds pooling window offsets and only maxpool2d_argmax computes it", info.name)
	}
	return t, err
}

// Sigmoid is the logistic function, computed without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sign(x float64, _ Attrs) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func leakyRelu(x float64, a Attrs) float64 {
	if x > 0 {
		return x
	}
	return x * a.Float("alpha", 0.01)
}

func leakyReluGrad(x []float64, a Attrs) float64 {
	if x[0] > 0 {
		return x[1]
	}
	return x[1] * a.Float("alpha", 0.01)
}

func geluGrad(x []float64, _ Attrs) float64 {
	cdf := 0.5 * (1 + math.Erf(x[0]/math.Sqrt2))
	pdf := math.Exp(-0.5*x[0]*x[0]) / math.Sqrt(2*math.Pi)
	return x[1] * (cdf + x[0]*pdf)
}

// bce matches torch.nn.BCELoss: each log is clamped at -100.
func bce(x []float64, _ Attrs) float64 {
	p, y := x[0], x[1]
	return -(y*math.Max(math.Log(p), -100) + (1-y)*math.Max(math.Log(1-p), -100))
}

// bceGrad matches PyTorch's binary_cross_entropy_backward: eps 1e-12 in the denominator.
func bceGrad(x []float64, _ Attrs) float64 {
	p, y, dy := x[0], x[1], x[2]
	return dy * (p - y) / math.Max((1-p)*p, 1e-12)
}

// bceLogits is max(z,0) - z*y + log(1+exp(-|z|)), finite for any z.
func bceLogits(x []float64, _ Attrs) float64 {
	z, y := x[0], x[1]
	return math.Max(z, 0) - z*y + math.Log1p(math.Exp(-math.Abs(z)))
}
