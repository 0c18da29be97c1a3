package passes

import (
	"math"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/dlc-lang/dlc/dsl"
	"github.com/dlc-lang/dlc/ir"
)

// builtin is a DSL function or layer: its signature and how it lowers.
type builtin struct {
	sig   []param
	layer bool // owns parameters, so it takes a name
	lower func(l *lowerer, c *callCtx) (value, bool)
}

// callCtx is one call being lowered: the call, its layer name and its bound arguments.
type callCtx struct {
	call *dsl.Call
	name string
	args map[string]value
}

func (c *callCtx) pos() lexer.Position     { return c.call.Pos }
func (c *callCtx) x() *ir.Value            { return c.args["x"].t }
func (c *callCtx) int(name string) int     { return int(c.args[name].num) }
func (c *callCtx) num(name string) float64 { return c.args[name].num }
func (c *callCtx) has(name string) bool    { _, ok := c.args[name]; return ok }

var tensorX = param{name: "x", kind: kTensor, required: true}

// builtins is every function and layer the DSL knows, keyed by name.
var builtins map[string]builtin

func init() {
	builtins = map[string]builtin{
		"relu":        unaryFn(ir.OpRelu),
		"sigmoid":     unaryFn(ir.OpSigmoid),
		"tanh":        unaryFn(ir.OpTanh),
		"gelu":        {sig: []param{tensorX, {name: "approximate", kind: kString, def: value{kind: kString, str: "none"}}}, lower: lowerGelu},
		"exp":         unaryFn(ir.OpExp),
		"log":         unaryFn(ir.OpLog),
		"sqrt":        unaryFn(ir.OpSqrt),
		"abs":         unaryFn(ir.OpAbs),
		"leaky_relu":  {sig: []param{tensorX, {name: "negative_slope", kind: kNumber, def: numVal(0.01, false)}}, lower: lowerLeakyRelu},
		"softmax":     {sig: []param{tensorX, {name: "axis", kind: kNumber, integer: true, def: numVal(-1, true)}}, lower: axisFn(ir.OpSoftmax)},
		"log_softmax": {sig: []param{tensorX, {name: "axis", kind: kNumber, integer: true, def: numVal(-1, true)}}, lower: axisFn(ir.OpLogSoftmax)},
		"pow":         {sig: []param{tensorX, {name: "y", kind: kTensor, required: true}}, lower: lowerPow},
		"sum":         reduceFn(ir.OpSum),
		"mean":        reduceFn(ir.OpMean),
		"max":         reduceFn(ir.OpMax),
		"reshape":     {sig: []param{tensorX, {name: "shape", kind: kList, raw: true, required: true}}, lower: lowerReshape},
		"transpose":   {sig: []param{tensorX, {name: "axes", kind: kList}}, lower: lowerTranspose},
		"concat":      {sig: []param{{name: "xs", kind: kList, required: true}, {name: "axis", kind: kNumber, integer: true, def: numVal(-1, true)}}, lower: lowerConcat},
		"matmul":      {sig: []param{tensorX, {name: "y", kind: kTensor, required: true}}, lower: func(l *lowerer, c *callCtx) (value, bool) { return l.matmul(c.pos(), c.x(), c.args["y"].t) }},
		"flatten":     {sig: []param{tensorX}, lower: lowerFlatten},
	}
	for name, b := range layers {
		builtins[name] = b
	}
}

func unaryFn(op ir.Op) builtin {
	return builtin{sig: []param{tensorX}, lower: func(l *lowerer, c *callCtx) (value, bool) {
		return l.op(c.pos(), op, nil, c.x())
	}}
}

func lowerLeakyRelu(l *lowerer, c *callCtx) (value, bool) {
	return l.op(c.pos(), ir.OpLeakyRelu, ir.Attrs{"alpha": c.num("negative_slope")}, c.x())
}

func axisFn(op ir.Op) func(l *lowerer, c *callCtx) (value, bool) {
	return func(l *lowerer, c *callCtx) (value, bool) {
		axis := c.int("axis")
		if axis < 0 {
			axis += c.x().Type.Shape.Rank()
		}
		return l.op(c.pos(), op, ir.Attrs{"axis": axis}, c.x())
	}
}

func lowerPow(l *lowerer, c *callCtx) (value, bool) {
	return l.op(c.pos(), ir.OpPow, nil, c.x(), c.args["y"].t)
}

func reduceFn(op ir.Op) builtin {
	sig := []param{tensorX, {name: "axes", kind: kList}, {name: "keepdims", kind: kBool, def: value{kind: kBool}}}
	return builtin{sig: sig, lower: func(l *lowerer, c *callCtx) (value, bool) {
		x := c.x()
		var axes []int
		if a, ok := c.args["axes"]; ok {
			axes = a.ints()
		} else {
			for i := range x.Type.Shape {
				axes = append(axes, i)
			}
		}
		norm, err := ir.NormAxes(axes, x.Type.Shape.Rank())
		if err != nil {
			l.errorf(c.pos(), "%s: %v", c.call.Func.Name, err)
			return value{}, false
		}
		return l.op(c.pos(), op, ir.Attrs{"axes": norm, "keepdims": c.args["keepdims"].b}, x)
	}}
}

// lowerReshape accepts the batch symbol as the first dimension and one -1.
func lowerReshape(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	list := c.call.Keyword("shape")
	if list == nil {
		list = c.call.Positional()[len(c.call.Positional())-1]
	}
	lst, ok := dsl.Unparen(list).(*dsl.List)
	if !ok {
		l.errorf(list.Start(), "reshape: the shape must be a list like [%s, 400]", l.batchSym)
		return value{}, false
	}
	shape := make([]int, len(lst.Elems))
	infer := -1
	for i, e := range lst.Elems {
		if id, isID := dsl.Unparen(e).(*dsl.Ident); isID && id.Name == l.batchSym {
			shape[i] = ir.B
			continue
		}
		n, ok := l.constInt(e, "a dimension")
		if !ok {
			return value{}, false
		}
		if n == -1 {
			if infer >= 0 {
				l.errorf(e.Start(), "reshape: only one dimension can be -1")
				return value{}, false
			}
			infer = i
			n = 1
		}
		shape[i] = n
	}
	if infer >= 0 {
		known := ir.Shape(shape).RowElems()
		if x.Type.Shape.RowElems()%known != 0 {
			l.errorf(c.pos(), "reshape: cannot reshape %v to %v", x.Type, ir.Shape(shape))
			return value{}, false
		}
		shape[infer] = x.Type.Shape.RowElems() / known
	}
	return l.op(c.pos(), ir.OpReshape, ir.Attrs{"shape": shape}, x)
}

func lowerTranspose(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	r := x.Type.Shape.Rank()
	var perm []int
	if p, ok := c.args["axes"]; ok {
		for _, a := range p.ints() {
			if a < 0 {
				a += r
			}
			perm = append(perm, a)
		}
	} else if r >= 2 { // swap the last two axes
		for i := 0; i < r; i++ {
			perm = append(perm, i)
		}
		perm[r-2], perm[r-1] = r-1, r-2
	} else {
		l.errorf(c.pos(), "transpose: needs a tensor of rank 2 or more, got %v", x.Type)
		return value{}, false
	}
	return l.op(c.pos(), ir.OpTranspose, ir.Attrs{"perm": perm}, x)
}

func lowerConcat(l *lowerer, c *callCtx) (value, bool) {
	xs := c.args["xs"]
	if xs.kind != kList || len(xs.list) == 0 {
		l.errorf(c.pos(), "concat: needs a non-empty list of tensors")
		return value{}, false
	}
	var args []*ir.Value
	for _, v := range xs.list {
		if v.kind != kTensor {
			l.errorf(c.pos(), "concat: needs tensors, got %s", v.describe())
			return value{}, false
		}
		args = append(args, v.t)
	}
	axis := c.int("axis")
	if axis < 0 {
		axis += args[0].Type.Shape.Rank()
	}
	return l.op(c.pos(), ir.OpConcat, ir.Attrs{"axis": axis}, args...)
}

func lowerFlatten(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	s := x.Type.Shape
	if s.Rank() < 2 {
		return value{kind: kTensor, t: x}, true
	}
	return l.op(c.pos(), ir.OpReshape, ir.Attrs{"shape": []int{s[0], s[1:].Elems(0)}}, x)
}

// lowerGelu is the exact (erf) GELU, or with approximate="tanh" PyTorch's
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func lowerGelu(l *lowerer, c *callCtx) (value, bool) {
	x := c.x()
	switch c.args["approximate"].str {
	case "none":
		return l.op(c.pos(), ir.OpGelu, nil, x)
	case "tanh":
	default:
		l.errorf(c.pos(), "gelu: approximate must be \"none\" or \"tanh\", got %q", c.args["approximate"].str)
		return value{}, false
	}
	e := &emitter{l: l, pos: c.pos()}
	d := x.Type.DType
	cube := e.op(ir.OpMul, nil, e.op(ir.OpSquare, nil, x), x)
	inner := e.op(ir.OpMul, nil, e.op(ir.OpAdd, nil, x, e.op(ir.OpMul, nil, cube, e.konst(d, 0.044715))), e.konst(d, math.Sqrt(2/math.Pi)))
	t := e.op(ir.OpAdd, nil, e.op(ir.OpTanh, nil, inner), e.konst(d, 1))
	return e.result()(e.op(ir.OpMul, nil, e.op(ir.OpMul, nil, x, t), e.konst(d, 0.5)))
}
