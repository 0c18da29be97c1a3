package passes

import (
	"math"

	"github.com/dlc-lang/dlc/dsl"
	"github.com/dlc-lang/dlc/ir"
)

// constExpr evaluates an expression that must be known at compile time:
// numbers, strings, bools, lists and constants combined with arithmetic.
func (l *lowerer) constExpr(e dsl.Expr) (value, bool) {
	switch e := dsl.Unparen(e).(type) {
	case *dsl.Number:
		return numVal(e.Float, e.IsInt), true
	case *dsl.String:
		return value{kind: kString, str: e.Value}, true
	case *dsl.Bool:
		return value{kind: kBool, b: e.Value}, true
	case *dsl.List:
		out := value{kind: kList}
		for _, x := range e.Elems {
			v, ok := l.constExpr(x)
			if !ok {
				return value{}, false
			}
			out.list = append(out.list, v)
		}
		return out, true
	case *dsl.Ident:
		if v, ok := l.consts[e.Name]; ok {
			return v, true
		}
		if e.Name == l.batchSym && l.batchSym != "" {
			l.errorf(e.Pos, "the batch dimension %s is not a constant", e.Name)
			return value{}, false
		}
		l.errorf(e.Pos, "%s is not a constant", e.Name)
		return value{}, false
	case *dsl.Unary:
		v, ok := l.constExpr(e.X)
		if !ok {
			return value{}, false
		}
		if v.kind != kNumber {
			l.errorf(e.Pos, "cannot negate %s", v.describe())
			return value{}, false
		}
		return numVal(-v.num, v.isInt), true
	case *dsl.Binary:
		x, ok1 := l.constExpr(e.X)
		y, ok2 := l.constExpr(e.Y)
		if !ok1 || !ok2 {
			return value{}, false
		}
		if x.kind != kNumber || y.kind != kNumber {
			l.errorf(e.OpPos, "operator %s needs numbers, got %s and %s", e.Op, x.describe(), y.describe())
			return value{}, false
		}
		return l.constArith(e, x, y)
	}
	l.errorf(e.Start(), "expected a constant expression")
	return value{}, false
}

func (l *lowerer) constArith(e *dsl.Binary, x, y value) (value, bool) {
	isInt := x.isInt && y.isInt
	switch e.Op {
	case dsl.Add:
		return numVal(x.num+y.num, isInt), true
	case dsl.Sub:
		return numVal(x.num-y.num, isInt), true
	case dsl.Mul:
		return numVal(x.num*y.num, isInt), true
	case dsl.Div:
		if y.num == 0 {
			l.errorf(e.OpPos, "division by zero")
			return value{}, false
		}
		if isInt {
			return numVal(math.Trunc(x.num/y.num), true), true
		}
		return numVal(x.num/y.num, false), true
	case dsl.Pow:
		return numVal(math.Pow(x.num, y.num), isInt && y.num >= 0), true
	}
	l.errorf(e.OpPos, "operator %s is not allowed in a constant expression", e.Op)
	return value{}, false
}

// constInt evaluates e as an integer constant; what names the role in errors.
func (l *lowerer) constInt(e dsl.Expr, what string) (int, bool) {
	v, ok := l.constExpr(e)
	if !ok {
		return 0, false
	}
	if v.kind != kNumber || !v.isInt {
		l.errorf(e.Start(), "%s must be an integer, got %s", what, v.describe())
		return 0, false
	}
	return int(v.num), true
}

// tensorType resolves a declared type; the batch symbol becomes ir.B.
func (l *lowerer) tensorType(tt *dsl.TensorType) (ir.Type, bool) {
	d, ok := ir.ParseDType(string(tt.DType))
	if !ok || d == ir.U8 { // u8 is internal: pooling window offsets
		l.errorf(tt.Pos, "unknown element type %s (want f32, f64 or i32)", tt.DType)
		return ir.Type{}, false
	}
	if d == ir.F32 && l.opts.DType == ir.F64 {
		d = ir.F64
	}
	t := ir.Type{DType: d, Shape: ir.Shape{}}
	for i, de := range tt.Dims {
		if id, isID := dsl.Unparen(de).(*dsl.Ident); isID && id.Name == l.batchSym {
			if i != 0 {
				l.errorf(de.Start(), "the batch dimension %s must be the first axis", id.Name)
				return ir.Type{}, false
			}
			t.Shape = append(t.Shape, ir.B)
			continue
		}
		n, ok := l.constInt(de, "a dimension")
		if !ok {
			return ir.Type{}, false
		}
		if n <= 0 {
			l.errorf(de.Start(), "dimension must be positive, got %d", n)
			return ir.Type{}, false
		}
		t.Shape = append(t.Shape, n)
	}
	return t, true
}

// initializer resolves param initializers to the runtime's schemes.
func (l *lowerer) initializer(c *dsl.Call, t ir.Type) (ir.Init, bool) {
	if c == nil {
		return ir.Init{Kind: "zeros"}, true
	}
	args, ok := l.bindConst(c, initSigs)
	if !ok {
		return ir.Init{}, false
	}
	fanIn, fanOut := fans(t.Shape)
	name := c.Func.Name
	switch name {
	case "zeros", "ones":
		return ir.Init{Kind: name}, true
	case "constant":
		return ir.Init{Kind: "constant", Args: []float64{args["value"].num}}, true
	case "uniform":
		return ir.Init{Kind: "uniform", Args: []float64{args["lo"].num, args["hi"].num}}, true
	case "normal":
		return ir.Init{Kind: "normal", Args: []float64{args["mean"].num, args["std"].num}}, true
	case "kaiming_uniform":
		fan := fanIn
		switch args["mode"].str {
		case "fan_in":
		case "fan_out":
			fan = fanOut
		default:
			l.errorf(c.Pos, "kaiming_uniform: mode must be \"fan_in\" or \"fan_out\", got %q", args["mode"].str)
			return ir.Init{}, false
		}
		gain, ok := kaimingGain(args["nonlinearity"].str, args["a"].num)
		if !ok {
			l.errorf(c.Pos, "kaiming_uniform: unknown nonlinearity %q (want relu, leaky_relu, linear, sigmoid or tanh)", args["nonlinearity"].str)
			return ir.Init{}, false
		}
		bound := gain * math.Sqrt(3/float64(fan))
		return ir.Init{Kind: "uniform", Args: []float64{-bound, bound}}, true
	case "xavier_uniform":
		bound := args["gain"].num * math.Sqrt(6/float64(fanIn+fanOut))
		return ir.Init{Kind: "uniform", Args: []float64{-bound, bound}}, true
	}
	return ir.Init{}, false
}

// fans follows torch.nn.init._calculate_fan_in_and_fan_out.
func fans(s ir.Shape) (in, out int) {
	switch len(s) {
	case 0:
		return 1, 1
	case 1:
		return s[0], s[0]
	}
	rf := s[2:].Elems(0)
	return s[1] * rf, s[0] * rf
}

var initSigs = map[string][]param{
	"zeros":    nil,
	"ones":     nil,
	"constant": {{name: "value", kind: kNumber, required: true}},
	"uniform":  {{name: "lo", kind: kNumber, def: numVal(0, false)}, {name: "hi", kind: kNumber, def: numVal(1, false)}},
	"normal":   {{name: "mean", kind: kNumber, def: numVal(0, false)}, {name: "std", kind: kNumber, def: numVal(1, false)}},
	"kaiming_uniform": {{name: "a", kind: kNumber, def: numVal(0, false)},
		{name: "mode", kind: kString, def: value{kind: kString, str: "fan_in"}},
		{name: "nonlinearity", kind: kString, def: value{kind: kString, str: "leaky_relu"}}},
	"xavier_uniform": {{name: "gain", kind: kNumber, def: numVal(1, false)}},
}

// kaimingGain is torch.nn.init.calculate_gain for the nonlinearities
// kaiming_uniform accepts.
func kaimingGain(nonlinearity string, a float64) (float64, bool) {
	switch nonlinearity {
	case "leaky_relu":
		return math.Sqrt(2 / (1 + a*a)), true
	case "relu":
		return math.Sqrt2, true
	case "linear", "sigmoid":
		return 1, true
	case "tanh":
		return 5.0 / 3, true
	}
	return 0, false
}
