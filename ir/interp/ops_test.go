package interp

import (
	"math"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// opCase is one hand-worked example: op applied to args at batch size n
// (0 means 3) gives want, of shape shape.
type opCase struct {
	name  string
	op    ir.Op
	attrs ir.Attrs
	args  []arg
	typ   ir.Type // the type of a source op
	n     int
	shape []int
	want  []float64
}

var (
	phi1    = 0.8413447460685429  // Φ(1), the standard normal CDF at 1
	pdf1    = 0.24197072451914337 // φ(1), the standard normal density at 1
	ln2     = math.Ln2
	ln3     = math.Log(3)
	neg0to4 = []float64{-2, -0.5, 0, 1.5}
)

var opCases = []opCase{
	// Unary elementwise.
	{name: "neg", op: ir.OpNeg, args: []arg{f32(neg0to4, 4)}, shape: []int{4}, want: []float64{2, 0.5, 0, -1.5}},
	{name: "exp", op: ir.OpExp, args: []arg{f32([]float64{0, 1}, 2)}, shape: []int{2}, want: []float64{1, math.E}},
	{name: "log", op: ir.OpLog, args: []arg{f32([]float64{1, math.E, 0}, 3)}, shape: []int{3}, want: []float64{0, 1, math.Inf(-1)}},
	{name: "sqrt", op: ir.OpSqrt, args: []arg{f32([]float64{4, 0.25}, 2)}, shape: []int{2}, want: []float64{2, 0.5}},
	{name: "abs", op: ir.OpAbs, args: []arg{f32(neg0to4, 4)}, shape: []int{4}, want: []float64{2, 0.5, 0, 1.5}},
	{name: "sign", op: ir.OpSign, args: []arg{f32(neg0to4, 4)}, shape: []int{4}, want: []float64{-1, -1, 0, 1}},
	{name: "square", op: ir.OpSquare, args: []arg{f32(neg0to4, 4)}, shape: []int{4}, want: []float64{4, 0.25, 0, 2.25}},
	{name: "recip", op: ir.OpRecip, args: []arg{f32([]float64{-2, 0.5, 4}, 3)}, shape: []int{3}, want: []float64{-0.5, 2, 0.25}},
	{name: "relu", op: ir.OpRelu, args: []arg{f32(neg0to4, 4)}, shape: []int{4}, want: []float64{0, 0, 0, 1.5}},
	{name: "leaky_relu", op: ir.OpLeakyRelu, attrs: ir.Attrs{"alpha": 0.1}, args: []arg{f32(neg0to4, 4)}, shape: []int{4}, want: []float64{-0.2, -0.05, 0, 1.5}},
	{name: "sigmoid", op: ir.OpSigmoid, args: []arg{f32([]float64{0, ln3, -ln3, -800}, 4)}, shape: []int{4}, want: []float64{0.5, 0.75, 0.25, 0}},
	{name: "tanh", op: ir.OpTanh, args: []arg{f32([]float64{0, ln2}, 2)}, shape: []int{2}, want: []float64{0, 0.6}},
	{name: "gelu", op: ir.OpGelu, args: []arg{f32([]float64{0, 1, -1}, 3)}, shape: []int{3}, want: []float64{0, phi1, -(1 - phi1)}},
	{name: "fused", op: ir.OpFused, attrs: ir.Attrs{"expr": "relu_grad(add(a0,a1),scale{value=2.0}(a1))"}, args: []arg{f32(neg0to4, 4), f32([]float64{1}, 1)}, shape: []int{4}, want: []float64{0, 2, 2, 2}},
	{name: "scale", op: ir.OpScale, attrs: ir.Attrs{"value": -3.0}, args: []arg{f32(neg0to4, 4)}, shape: []int{4}, want: []float64{6, 1.5, 0, -4.5}},

	// Binary elementwise, with broadcasting and the batch dimension.
	{name: "add row", op: ir.OpAdd, args: []arg{f32(seq(6), ir.B, 3), f32([]float64{10, 20, 30}, 3)}, n: 2, shape: []int{2, 3}, want: []float64{11, 22, 33, 14, 25, 36}},
	{name: "sub scalar", op: ir.OpSub, args: []arg{f32([]float64{10}), f32(seq(4), 2, 2)}, shape: []int{2, 2}, want: []float64{9, 8, 7, 6}},
	{name: "mul outer", op: ir.OpMul, args: []arg{f32([]float64{1, 2}, 2, 1), f32([]float64{3, 4, 5}, 3)}, shape: []int{2, 3}, want: []float64{3, 4, 5, 6, 8, 10}},
	{name: "div column", op: ir.OpDiv, args: []arg{f32(seq(6), ir.B, 3), f32([]float64{2, 4}, ir.B, 1)}, n: 2, shape: []int{2, 3}, want: []float64{0.5, 1, 1.5, 1, 1.25, 1.5}},
	{name: "pow", op: ir.OpPow, args: []arg{f32([]float64{2, 9, 4}, 3), f32([]float64{3, 0.5, -1}, 3)}, shape: []int{3}, want: []float64{8, 3, 0.25}},
	{name: "maximum", op: ir.OpMaximum, args: []arg{f32(neg0to4, 4), f32([]float64{0}, 1)}, shape: []int{4}, want: []float64{0, 0, 0, 1.5}},
	{name: "minimum", op: ir.OpMinimum, args: []arg{f32(neg0to4, 4), f32([]float64{-1}, 1)}, shape: []int{4}, want: []float64{-2, -1, -1, -1}},
	{name: "greater", op: ir.OpGreater, args: []arg{f32(neg0to4, 4), f32([]float64{-0.5}, 1)}, shape: []int{4}, want: []float64{0, 0, 1, 1}},
	{name: "relu_grad", op: ir.OpReluGrad, args: []arg{f32(neg0to4, 4), f32([]float64{5}, 1)}, shape: []int{4}, want: []float64{0, 0, 0, 5}},
	{name: "leaky_relu_grad", op: ir.OpLeakyReluGrad, attrs: ir.Attrs{"alpha": 0.1}, args: []arg{f32(neg0to4, 4), f32([]float64{5}, 1)}, shape: []int{4}, want: []float64{0.5, 0.5, 0.5, 5}},
	{name: "sigmoid_grad", op: ir.OpSigmoidGrad, args: []arg{f32([]float64{0.5, 0.25}, 2), f32([]float64{4, 2}, 2)}, shape: []int{2}, want: []float64{1, 0.375}},
	{name: "tanh_grad", op: ir.OpTanhGrad, args: []arg{f32([]float64{0.6, 0}, 2), f32([]float64{2, 3}, 2)}, shape: []int{2}, want: []float64{1.28, 3}},
	{name: "gelu_grad", op: ir.OpGeluGrad, args: []arg{f32([]float64{0, 1}, 2), f32([]float64{2, 1}, 2)}, shape: []int{2}, want: []float64{1, phi1 + pdf1}},
	{name: "bce", op: ir.OpBCE, args: []arg{f32([]float64{0.5, 0, 0, 0.25}, 4), f32([]float64{1, 0, 1, 0}, 4)}, shape: []int{4}, want: []float64{ln2, 0, 100, -math.Log(0.75)}},
	{name: "bce_grad", op: ir.OpBCEGrad, args: []arg{f32([]float64{0.5, 0}, 2), f32([]float64{1, 1}, 2), f32([]float64{2, 1}, 2)}, shape: []int{2}, want: []float64{-4, -1e12}},
	{name: "bce_logits", op: ir.OpBCELogits, args: []arg{f32([]float64{0, 2, -1000, 1000}, 4), f32([]float64{1, 1, 0, 0}, 4)}, shape: []int{4}, want: []float64{ln2, math.Log1p(math.Exp(-2)), 0, 1000}},
	{name: "bce_logits_grad", op: ir.OpBCELogitsGrad, args: []arg{f32([]float64{0, ln3}, 2), f32([]float64{1, 0}, 2), f32([]float64{2, 4}, 2)}, shape: []int{2}, want: []float64{-1, 3}},

	// Reductions over x = [[1,5,3],[4,2,6]].
	{name: "sum axis 0", op: ir.OpSum, attrs: ir.Attrs{"axes": []int{0}}, args: []arg{f32([]float64{1, 5, 3, 4, 2, 6}, 2, 3)}, shape: []int{3}, want: []float64{5, 7, 9}},
	{name: "sum axis 1 keepdims", op: ir.OpSum, attrs: ir.Attrs{"axes": []int{-1}, "keepdims": true}, args: []arg{f32([]float64{1, 5, 3, 4, 2, 6}, 2, 3)}, shape: []int{2, 1}, want: []float64{9, 12}},
	{name: "sum no axes", op: ir.OpSum, args: []arg{f32([]float64{1, 5}, 2)}, shape: []int{2}, want: []float64{1, 5}},
	{name: "mean over B", op: ir.OpMean, attrs: ir.Attrs{"axes": []int{0, 1}}, args: []arg{f32([]float64{1, 5, 3, 4, 2, 6}, ir.B, 3)}, n: 2, shape: []int{}, want: []float64{3.5}},
	{name: "mean axis 1", op: ir.OpMean, attrs: ir.Attrs{"axes": []int{1}}, args: []arg{f32([]float64{1, 5, 3, 4, 2, 6}, 2, 3)}, shape: []int{2}, want: []float64{3, 4}},
	{name: "max axis 0", op: ir.OpMax, attrs: ir.Attrs{"axes": []int{0}, "keepdims": true}, args: []arg{f32([]float64{1, 5, 3, 4, 2, 6}, 2, 3)}, shape: []int{1, 3}, want: []float64{4, 5, 6}},
	{name: "max nan", op: ir.OpMax, attrs: ir.Attrs{"axes": []int{0}}, args: []arg{f32([]float64{1, math.NaN(), 3}, 3)}, shape: []int{}, want: []float64{math.NaN()}},
	{name: "max_grad first wins", op: ir.OpMaxGrad, attrs: ir.Attrs{"axes": []int{1}},
		args:  []arg{f32([]float64{2, 2, 1, 3}, 2, 2), f32([]float64{2, 3}, 2), f32([]float64{10, 20}, 2)},
		shape: []int{2, 2}, want: []float64{10, 0, 0, 20}},

	// Layout.
	{name: "reshape", op: ir.OpReshape, attrs: ir.Attrs{"shape": []int{ir.B, 3, 1}}, args: []arg{f32(seq(6), ir.B, 3)}, n: 2, shape: []int{2, 3, 1}, want: seq(6)},
	{name: "transpose", op: ir.OpTranspose, attrs: ir.Attrs{"perm": []int{1, 0}}, args: []arg{f32(seq(6), 2, 3)}, shape: []int{3, 2}, want: []float64{1, 4, 2, 5, 3, 6}},
	{name: "transpose 3d", op: ir.OpTranspose, attrs: ir.Attrs{"perm": []int{0, 2, 1}}, args: []arg{f32(seq(8), ir.B, 2, 2)}, n: 2, shape: []int{2, 2, 2}, want: []float64{1, 3, 2, 4, 5, 7, 6, 8}},
	{name: "broadcast", op: ir.OpBroadcast, attrs: ir.Attrs{"shape": []int{ir.B, 2, 3}}, args: []arg{f32([]float64{1, 2}, 2, 1)}, n: 2, shape: []int{2, 2, 3}, want: []float64{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}},
	{name: "slice step", op: ir.OpSlice, attrs: ir.Attrs{"axis": 1, "start": 0, "end": 5, "step": 2}, args: []arg{f32(seq(10), ir.B, 5)}, n: 2, shape: []int{2, 3}, want: []float64{1, 3, 5, 6, 8, 10}},
	{name: "slice_grad", op: ir.OpSliceGrad, attrs: ir.Attrs{"axis": 1, "start": 1, "end": 5, "step": 2, "shape": []int{ir.B, 5}}, args: []arg{f32(seq(4), ir.B, 2)}, n: 2, shape: []int{2, 5}, want: []float64{0, 1, 0, 2, 0, 0, 3, 0, 4, 0}},
	{name: "concat", op: ir.OpConcat, attrs: ir.Attrs{"axis": 1}, args: []arg{f32([]float64{1, 2}, ir.B, 1), f32([]float64{3, 4, 5, 6}, ir.B, 2)}, n: 2, shape: []int{2, 3}, want: []float64{1, 3, 4, 2, 5, 6}},

	// Compute.
	{name: "matmul", op: ir.OpMatMul, args: []arg{f32(seq(4), 2, 2), f32([]float64{5, 6, 7, 8}, 2, 2)}, shape: []int{2, 2}, want: []float64{19, 22, 43, 50}},
	{name: "matmul ta", op: ir.OpMatMul, attrs: ir.Attrs{"ta": true}, args: []arg{f32(seq(4), 2, 2), f32([]float64{5, 6, 7, 8}, 2, 2)}, shape: []int{2, 2}, want: []float64{26, 30, 38, 44}},
	{name: "matmul tb", op: ir.OpMatMul, attrs: ir.Attrs{"tb": true}, args: []arg{f32(seq(4), 2, 2), f32([]float64{5, 6, 7, 8}, 2, 2)}, shape: []int{2, 2}, want: []float64{17, 23, 39, 53}},
	{name: "matmul ta tb", op: ir.OpMatMul, attrs: ir.Attrs{"ta": true, "tb": true}, args: []arg{f32(seq(4), 2, 2), f32([]float64{5, 6, 7, 8}, 2, 2)}, shape: []int{2, 2}, want: []float64{23, 31, 34, 46}},
	{name: "matmul leading dims", op: ir.OpMatMul, args: []arg{f32(seq(8), ir.B, 2, 2), f32([]float64{1, 0, 0, 2}, 2, 2)}, n: 2, shape: []int{2, 2, 2}, want: []float64{1, 4, 3, 8, 5, 12, 7, 16}},
	{name: "conv2d", op: ir.OpConv2d, args: []arg{f32(seq(9), ir.B, 1, 3, 3), f32([]float64{1, 0, 0, 1}, 1, 1, 2, 2)}, n: 1, shape: []int{1, 1, 2, 2}, want: []float64{6, 8, 12, 14}},
	{name: "conv2d stride pad", op: ir.OpConv2d, attrs: ir.Attrs{"stride": []int{2, 2}, "pad": []int{1, 1}}, args: []arg{f32(seq(9), ir.B, 1, 3, 3), f32([]float64{1, 0, 0, 1}, 1, 1, 2, 2)}, n: 1, shape: []int{1, 1, 2, 2}, want: []float64{1, 3, 7, 14}},
	{name: "conv2d dilation", op: ir.OpConv2d, attrs: ir.Attrs{"dilation": []int{2, 2}}, args: []arg{f32(seq(9), 1, 1, 3, 3), f32([]float64{1, 0, 0, 1}, 1, 1, 2, 2)}, shape: []int{1, 1, 1, 1}, want: []float64{10}},
	{name: "conv2d_grad_input", op: ir.OpConv2dGradInput, attrs: ir.Attrs{"shape": []int{1, 1, 3, 3}}, args: []arg{f32([]float64{1, 2, 3, 4}, 1, 1, 2, 2), f32([]float64{1, 0, 0, 1}, 1, 1, 2, 2)}, shape: []int{1, 1, 3, 3}, want: []float64{1, 2, 0, 3, 5, 2, 0, 3, 4}},
	{name: "conv2d_grad_weight", op: ir.OpConv2dGradWeight, attrs: ir.Attrs{"shape": []int{1, 1, 2, 2}}, args: []arg{f32(seq(9), 1, 1, 3, 3), f32([]float64{1, 0, 0, 1}, 1, 1, 2, 2)}, shape: []int{1, 1, 2, 2}, want: []float64{6, 8, 12, 14}},
	{name: "maxpool2d", op: ir.OpMaxPool2d, attrs: ir.Attrs{"kernel": []int{2, 2}}, args: []arg{f32(seq(16), ir.B, 1, 4, 4)}, n: 1, shape: []int{1, 1, 2, 2}, want: []float64{6, 8, 14, 16}},
	{name: "maxpool2d pad", op: ir.OpMaxPool2d, attrs: ir.Attrs{"kernel": []int{2, 2}, "stride": []int{1, 1}, "pad": []int{1, 1}}, args: []arg{f32([]float64{-1, -2, -3, -4}, 1, 1, 2, 2)}, shape: []int{1, 1, 3, 3}, want: []float64{-1, -1, -2, -1, -1, -2, -3, -3, -4}},
	{name: "maxpool2d_grad ties", op: ir.OpMaxPool2dGrad, attrs: ir.Attrs{"kernel": []int{2, 2}, "stride": []int{1, 1}}, args: []arg{f32([]float64{1, 1, 1, 1, 1, 1}, 1, 1, 2, 3), f32([]float64{5, 7}, 1, 1, 1, 2)}, shape: []int{1, 1, 2, 3}, want: []float64{5, 7, 0, 0, 0, 0}},
	// A window of more than 256 taps keeps i32 offsets (u8 ones come only from maxpool2d_argmax: TestMaxPoolArgmaxGrad).
	{name: "maxpool2d_grad_idx", op: ir.OpMaxPool2dGradIdx, attrs: ir.Attrs{"kernel": []int{1, 257}, "stride": []int{1, 1}, "shape": []int{1, 1, 1, 258}}, args: []arg{i32([]float64{256, 0}, 1, 1, 1, 2), f32([]float64{5, 7}, 1, 1, 1, 2)}, shape: []int{1, 1, 1, 258}, want: sparse(258, 256, 5, 1, 7)},
	{name: "mean_grad", op: ir.OpMeanGrad, attrs: ir.Attrs{"axes": []int{0, 2}, "shape": []int{ir.B, 2, 2}}, args: []arg{f32([]float64{4, 8}, 1, 2, 1)}, n: 2, shape: []int{2, 2, 2}, want: []float64{1, 1, 2, 2, 1, 1, 2, 2}},
	{name: "avgpool2d", op: ir.OpAvgPool2d, attrs: ir.Attrs{"kernel": []int{2, 2}, "stride": []int{1, 1}, "pad": []int{1, 1}}, args: []arg{f32(seq(4), 1, 1, 2, 2)}, shape: []int{1, 1, 3, 3}, want: []float64{0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1}},
	{name: "avgpool2d_grad", op: ir.OpAvgPool2dGrad, attrs: ir.Attrs{"kernel": []int{2, 2}, "shape": []int{1, 1, 2, 4}}, args: []arg{f32([]float64{4, 8}, 1, 1, 1, 2)}, shape: []int{1, 1, 2, 4}, want: []float64{1, 1, 2, 2, 1, 1, 2, 2}},
	{name: "softmax", op: ir.OpSoftmax, attrs: ir.Attrs{"axis": 1}, args: []arg{f32([]float64{0, ln3, 1000, 1000}, 2, 2)}, shape: []int{2, 2}, want: []float64{0.25, 0.75, 0.5, 0.5}},
	{name: "softmax axis 0", op: ir.OpSoftmax, attrs: ir.Attrs{"axis": 0}, args: []arg{f32([]float64{0, 5, ln3, 5}, 2, 2)}, shape: []int{2, 2}, want: []float64{0.25, 0.5, 0.75, 0.5}},
	{name: "log_softmax", op: ir.OpLogSoftmax, attrs: ir.Attrs{"axis": 1}, args: []arg{f32([]float64{0, ln3}, 1, 2)}, shape: []int{1, 2}, want: []float64{math.Log(0.25), math.Log(0.75)}},
	{name: "softmax_grad", op: ir.OpSoftmaxGrad, attrs: ir.Attrs{"axis": 1}, args: []arg{f32([]float64{0.25, 0.75}, 1, 2), f32([]float64{1, 0}, 1, 2)}, shape: []int{1, 2}, want: []float64{0.1875, -0.1875}},
	{name: "log_softmax_grad", op: ir.OpLogSoftmaxGrad, attrs: ir.Attrs{"axis": 1}, args: []arg{f32([]float64{math.Log(0.25), math.Log(0.75)}, 1, 2), f32([]float64{1, 0}, 1, 2)}, shape: []int{1, 2}, want: []float64{0.75, -0.75}},
	{name: "cross_entropy", op: ir.OpCrossEntropy, args: []arg{f32([]float64{0, ln3, 0, ln3}, ir.B, 2), i32([]float64{1, 0}, ir.B)}, n: 2, shape: []int{2}, want: []float64{-math.Log(0.75), -math.Log(0.25)}},
	{name: "cross_entropy_grad", op: ir.OpCrossEntropyGrad, args: []arg{f32([]float64{0, ln3}, 1, 2), i32([]float64{1}, 1), f32([]float64{2}, 1)}, shape: []int{1, 2}, want: []float64{0.5, -0.5}},
	{name: "nll", op: ir.OpNLL, args: []arg{f32([]float64{-1, -2, -3}, 1, 3), i32([]float64{2}, 1)}, shape: []int{1}, want: []float64{3}},
	{name: "nll_grad", op: ir.OpNLLGrad, attrs: ir.Attrs{"shape": []int{ir.B, 3}}, args: []arg{i32([]float64{2, 0}, ir.B), f32([]float64{4, 1}, ir.B)}, n: 2, shape: []int{2, 3}, want: []float64{0, 0, -4, -1, 0, 0}},
	{name: "gather", op: ir.OpGather, args: []arg{f32(seq(6), 3, 2), i32([]float64{2, 0, 2}, ir.B)}, n: 3, shape: []int{3, 2}, want: []float64{5, 6, 1, 2, 5, 6}},
	{name: "scatter_add", op: ir.OpScatterAdd, attrs: ir.Attrs{"shape": []int{3, 2}}, args: []arg{i32([]float64{2, 0, 2}, ir.B), f32([]float64{1, 1, 2, 2, 3, 3}, ir.B, 2)}, n: 3, shape: []int{3, 2}, want: []float64{2, 2, 0, 0, 4, 4}},
	{name: "cast i32", op: ir.OpCast, attrs: ir.Attrs{"dtype": "i32"}, args: []arg{f32([]float64{1.7, -1.7, 2}, 3)}, shape: []int{3}, want: []float64{1, -1, 2}},
	{name: "cast f32", op: ir.OpCast, attrs: ir.Attrs{"dtype": "f32"}, args: []arg{i32([]float64{3, -2}, 2)}, shape: []int{2}, want: []float64{3, -2}},
	{name: "const", op: ir.OpConst, attrs: ir.Attrs{"value": 2.5}, typ: ir.T(ir.F32, ir.B, 2), n: 3, shape: []int{3, 2}, want: []float64{2.5, 2.5, 2.5, 2.5, 2.5, 2.5}},
	{name: "input", op: ir.OpInput, attrs: ir.Attrs{"name": "a0"}, args: []arg{f32(seq(4), ir.B, 2)}, typ: ir.T(ir.F32, ir.B, 2), n: 2, shape: []int{2, 2}, want: seq(4)},
}

func TestOps(t *testing.T) {
	for _, tc := range opCases {
		n := tc.n
		if n == 0 {
			n = 3
		}
		got, err := evalValue(n, tc.op, tc.typ, tc.attrs, tc.args...)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		checkTensor(t, tc.name, got, tc.shape, tc.want, 1e-12)
	}
}

// TestEveryOpHasAnExample fails when an op has no kernel or no worked
// example here or in another test of this package.
func TestEveryOpHasAnExample(t *testing.T) {
	covered := map[ir.Op]bool{
		ir.OpParam:           true, // TestParams
		ir.OpDropoutMask:     true, // TestDropoutMask
		ir.OpMaxPool2dArgmax: true, // TestMaxPoolArgmaxGrad
	}
	for _, tc := range opCases {
		covered[tc.op] = true
	}
	for _, op := range ir.Ops() {
		if kernels[op] == nil {
			t.Errorf("op %s has no kernel", op)
		}
		if !covered[op] {
			t.Errorf("op %s has no worked example", op)
		}
	}
}
