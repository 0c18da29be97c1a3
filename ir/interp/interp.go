package interp

import (
	"fmt"

	"github.com/dlc-lang/dlc/ir"
)

// Env is what a call of a Func receives: the batch size N (the size of B,
// 1..Program.Batch), input and target tensors by name, parameter and buffer
// tensors by name, and the training step that seeds dropout masks.
type Env struct {
	N      int
	Inputs map[string]*Tensor
	Params map[string]*Tensor
	Step   int
	// Masks fixes the keep masks of dropout layers by layer name (the
	// dropout_mask's layer attribute): 0/1 tensors of the mask's shape,
	// used scaled by 1/(1-p) instead of a draw, as generated code's
	// SetDropoutMask does.
	Masks map[string]*Tensor
}

// call is one op application: the value, its evaluated arguments and the
// concrete shape of its result.
type call struct {
	v    *ir.Value
	args []*Tensor
	out  []int // v's shape with B resolved
	env  *Env
	vals map[*ir.Value]*Tensor // every value computed so far
}

// kernel evaluates one op. It returns a tensor of shape c.out.
type kernel func(c *call) (*Tensor, error)

// kernels holds one row per op; elementwise ops share evalElementwise.
var kernels = map[ir.Op]kernel{
	ir.OpInput:       evalInput,
	ir.OpParam:       evalParam,
	ir.OpConst:       evalConst,
	ir.OpDropoutMask: evalDropoutMask,
	ir.OpCast:        evalCast,

	ir.OpSum:     evalSum,
	ir.OpMean:    evalMean,
	ir.OpMax:     evalMax,
	ir.OpMaxGrad: evalMaxGrad,

	ir.OpReshape:   evalReshape,
	ir.OpTranspose: evalTranspose,
	ir.OpBroadcast: evalBroadcast,
	ir.OpSlice:     evalSlice,
	ir.OpSliceGrad: evalSliceGrad,
	ir.OpMeanGrad:  evalMeanGrad,
	ir.OpConcat:    evalConcat,

	ir.OpMatMul:           evalMatMul,
	ir.OpConv2d:           evalConv2d,
	ir.OpConv2dGradInput:  evalConv2dGradInput,
	ir.OpConv2dGradWeight: evalConv2dGradWeight,
	ir.OpMaxPool2d:        evalMaxPool2d,
	ir.OpMaxPool2dGrad:    evalMaxPool2dGrad,
	ir.OpMaxPool2dArgmax:  evalMaxPool2dArgmax,
	ir.OpMaxPool2dGradIdx: evalMaxPool2dGradIdx,
	ir.OpAvgPool2d:        evalAvgPool2d,
	ir.OpAvgPool2dGrad:    evalAvgPool2dGrad,

	ir.OpSoftmax:          evalSoftmax,
	ir.OpLogSoftmax:       evalLogSoftmax,
	ir.OpSoftmaxGrad:      evalSoftmaxGrad,
	ir.OpLogSoftmaxGrad:   evalLogSoftmaxGrad,
	ir.OpCrossEntropy:     evalCrossEntropy,
	ir.OpCrossEntropyGrad: evalCrossEntropyGrad,
	ir.OpNLL:              evalNLL,
	ir.OpNLLGrad:          evalNLLGrad,
	ir.OpGather:           evalGather,
	ir.OpScatterAdd:       evalScatterAdd,
}

func init() {
	for _, op := range ir.Ops() {
		if op.IsElementwise() {
			kernels[op] = evalElementwise
		}
	}
}

// Run evaluates f, a func of p, and returns its results by name. f must
// pass ir.Verify; Run checks the environment (batch size, presence and size
// of every input and parameter f reads) and data-dependent conditions such
// as class labels in range, and reports those as errors.
func Run(p *ir.Program, f *ir.Func, env Env) (map[string]*Tensor, error) {
	if env.N < 1 || env.N > p.Batch {
		return nil, fmt.Errorf("batch size %d is outside 1..%d", env.N, p.Batch)
	}
	vals := make(map[*ir.Value]*Tensor, len(f.Values))
	for _, v := range f.Values {
		c := &call{v: v, out: Resolve(v.Type.Shape, env.N), env: &env, vals: vals}
		for _, a := range v.Args {
			t, ok := vals[a]
			if !ok {
				return nil, fmt.Errorf("%s: v%d: argument v%d is not defined before use", f.Name, v.ID, a.ID)
			}
			c.args = append(c.args, t)
		}
		k, ok := kernels[v.Op]
		if !ok {
			return nil, fmt.Errorf("%s: v%d: no kernel for op %s", f.Name, v.ID, v.Op)
		}
		t, err := k(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %s: %v", f.Name, v.Pos, v.Op, err)
		}
		if !sameShape(t.Shape, c.out) || len(t.Data) != numElems(c.out) {
			return nil, fmt.Errorf("%s: v%d: %s produced shape %v, want %v", f.Name, v.ID, v.Op, t.Shape, c.out)
		}
		applyEpilogue(c, t)
		vals[v] = t
	}
	res := make(map[string]*Tensor, len(f.Results))
	for _, r := range f.Results {
		res[r.Name] = vals[r.Value].Clone()
	}
	return res, nil
}

func evalInput(c *call) (*Tensor, error) {
	return lookup(c, "input", c.env.Inputs)
}

func evalParam(c *call) (*Tensor, error) {
	return lookup(c, "parameter", c.env.Params)
}

// lookup returns a copy of the named tensor after checking its size and,
// when it has one, its shape.
func lookup(c *call, what string, m map[string]*Tensor) (*Tensor, error) {
	name := c.v.Attrs.Str("name")
	t, ok := m[name]
	if !ok || t == nil {
		return nil, fmt.Errorf("no %s %q given", what, name)
	}
	if len(t.Data) != numElems(c.out) || (t.Shape != nil && !sameShape(t.Shape, c.out)) {
		return nil, fmt.Errorf("%s %q is %v with %d elements, want shape %v", what, name, t.Shape, len(t.Data), c.out)
	}
	return FromData(c.out, append([]float64{}, t.Data...)), nil
}

func evalConst(c *call) (*Tensor, error) {
	t := NewTensor(c.out...)
	x := c.v.Attrs.Float("value", 0)
	if c.v.Type.DType == ir.I32 {
		x = truncI32(x)
	}
	for i := range t.Data {
		t.Data[i] = x
	}
	return t, nil
}
