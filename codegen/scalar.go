package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// scalarRules give the Go expression of each elementwise op on one element,
// the twin of ir's float64 op.Scalar. Arithmetic runs in the program's float
// type; exp, sigmoid and tanh run in float32 through
// the helpers of the elementwise kernels (vector.go) in float32 programs;
// other transcendental functions and the losses run in float64 through the
// helpers of helpers.go.
var scalarRules = map[ir.Op]func(g *gen, a ir.Attrs, x []jen.Code) jen.Code{
	ir.OpNeg:    func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code { return jen.Op("-").Add(x[0]) },
	ir.OpExp:    f32Call("exp32", mathCall("Exp")),
	ir.OpLog:    mathCall("Log"),
	ir.OpSqrt:   mathCall("Sqrt"),
	ir.OpAbs:    mathCall("Abs"),
	ir.OpTanh:   f32Call("tanh32", mathCall("Tanh")),
	ir.OpSign:   helperCall("sign"),
	ir.OpSquare: func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code { return binary(x[0], "*", x[0]) },
	ir.OpRecip:  func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code { return binary(lit(1), "/", x[0]) },
	ir.OpRelu:   func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code { return jen.Id("max").Call(x[0], lit(0)) },
	ir.OpLeakyRelu: func(g *gen, a ir.Attrs, x []jen.Code) jen.Code {
		return g.helper("leakyRelu").Call(x[0], flit(a.Float("alpha", 0.01)))
	},
	ir.OpSigmoid: f32Call("sigmoid32", helper64Call("sigmoid")),
	ir.OpGelu:    helper64Call("gelu"),
	ir.OpScale: func(g *gen, a ir.Attrs, x []jen.Code) jen.Code {
		return binary(x[0], "*", flit(a.Float("value", 1)))
	},

	ir.OpAdd:      binaryRule("+"),
	ir.OpSub:      binaryRule("-"),
	ir.OpMul:      binaryRule("*"),
	ir.OpDiv:      binaryRule("/"),
	ir.OpPow:      mathCall("Pow"),
	ir.OpMaximum:  func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code { return jen.Id("max").Call(x[0], x[1]) },
	ir.OpMinimum:  func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code { return jen.Id("min").Call(x[0], x[1]) },
	ir.OpGreater:  helperCall("greater"),
	ir.OpReluGrad: helperCall("reluGrad"),
	ir.OpLeakyReluGrad: func(g *gen, a ir.Attrs, x []jen.Code) jen.Code {
		return g.helper("leakyReluGrad").Call(x[0], x[1], flit(a.Float("alpha", 0.01)))
	},
	ir.OpSigmoidGrad: func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code {
		return binary(binary(x[1], "*", x[0]), "*", jen.Parens(binary(lit(1), "-", x[0])))
	},
	ir.OpTanhGrad: func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code {
		return binary(x[1], "*", jen.Parens(binary(lit(1), "-", binary(x[0], "*", x[0]))))
	},
	ir.OpGeluGrad: helper64Call("geluGrad"),
	ir.OpBCE:      helper64Call("bce"),
	ir.OpBCEGrad:  helper64Call("bceGrad"),
	ir.OpBCELogits: func(g *gen, a ir.Attrs, x []jen.Code) jen.Code {
		if g.float != ir.F32 {
			return helper64Call("bceLogits")(g, a, x)
		}
		return g.helper("bceLogits32").Call(x...)
	},
	ir.OpBCELogitsGrad: func(g *gen, a ir.Attrs, x []jen.Code) jen.Code {
		if g.float != ir.F32 {
			return helper64Call("bceLogitsGrad")(g, a, x)
		}
		// dy·(sigmoid(z) - y) in float32.
		return binary(x[2], "*", jen.Parens(binary(g.elemHelper("sigmoid32").Call(x[0]), "-", x[1])))
	},
}

// scalar renders op(args) for the elementwise value v.
func (g *gen) scalar(v *ir.Value, args []jen.Code) (jen.Code, error) {
	rule, ok := scalarRules[v.Op]
	if !ok {
		return nil, fmt.Errorf("no scalar rule for %s", v.Op)
	}
	return rule(g, v.Attrs, args), nil
}

// binary renders a op b; operands are atoms (indexed names, identifiers,
// parenthesized literals) or parenthesized by the caller.
func binary(a jen.Code, op string, b jen.Code) *jen.Statement {
	return jen.Add(a).Op(op).Add(b)
}

func binaryRule(op string) func(*gen, ir.Attrs, []jen.Code) jen.Code {
	return func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code { return binary(x[0], op, x[1]) }
}

// mathCall renders math.F(x...) in float64, converting from and back to the
// program's float type when it is float32.
func mathCall(fn string) func(*gen, ir.Attrs, []jen.Code) jen.Code {
	return func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code {
		return g.in64(jen.Qual("math", fn), x)
	}
}

// f32Call calls the float32 helper name of the elementwise kernels' file
// (vector.go) in float32 programs, else rule.
func f32Call(name string, rule func(*gen, ir.Attrs, []jen.Code) jen.Code) func(*gen, ir.Attrs, []jen.Code) jen.Code {
	return func(g *gen, a ir.Attrs, x []jen.Code) jen.Code {
		if g.float == ir.F32 {
			return g.elemHelper(name).Call(x...)
		}
		return rule(g, a, x)
	}
}

// helperCall calls a helper written in the program's float type.
func helperCall(name string) func(*gen, ir.Attrs, []jen.Code) jen.Code {
	return func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code { return g.helper(name).Call(x...) }
}

// helper64Call calls a float64 helper with conversions.
func helper64Call(name string) func(*gen, ir.Attrs, []jen.Code) jen.Code {
	return func(g *gen, _ ir.Attrs, x []jen.Code) jen.Code { return g.in64(g.helper(name), x) }
}

// in64 renders fn(x...) where fn takes and returns float64.
func (g *gen) in64(fn *jen.Statement, x []jen.Code) jen.Code {
	if g.float == ir.F64 {
		return fn.Call(x...)
	}
	conv := make([]jen.Code, len(x))
	for i, a := range x {
		conv[i] = jen.Float64().Call(a)
	}
	return jen.Float32().Call(fn.Call(conv...))
}
