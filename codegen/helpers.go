package codegen

import (
	"github.com/dave/jennifer/jen"
)

// Helpers are small functions the kernels call. A helper is emitted once,
// only when some kernel uses it; T is the program's float type.
var helperDecls = map[string]func(g *gen) jen.Code{
	"sign": func(g *gen) jen.Code {
		return g.tFunc("sign", "sign is -1, 0 or 1 as x is negative, zero (or NaN) or positive.", "x").Block(
			jen.Switch().Block(
				jen.Case(id("x").Op(">").Lit(0)).Return(lit(1)),
				jen.Case(id("x").Op("<").Lit(0)).Return(lit(-1)),
			),
			jen.Return(lit(0)))
	},
	"greater": func(g *gen) jen.Code {
		return g.tFunc("greater", "greater is 1 where a > b, else 0.", "a", "b").Block(
			jen.If(id("a").Op(">").Id("b")).Block(jen.Return(lit(1))),
			jen.Return(lit(0)))
	},
	"reluGrad": func(g *gen) jen.Code {
		return g.tFunc("reluGrad", "reluGrad is dy where x > 0, else dy·0.", "x", "dy").Block(
			jen.If(id("x").Op(">").Lit(0)).Block(jen.Return(id("dy"))),
			jen.Return(id("dy").Op("*").Lit(0)))
	},
	"leakyRelu": func(g *gen) jen.Code {
		return g.tFunc("leakyRelu", "leakyRelu is x where x > 0, else alpha·x.", "x", "alpha").Block(
			jen.If(id("x").Op(">").Lit(0)).Block(jen.Return(id("x"))),
			jen.Return(id("x").Op("*").Id("alpha")))
	},
	"leakyReluGrad": func(g *gen) jen.Code {
		return g.tFunc("leakyReluGrad", "leakyReluGrad is dy where x > 0, else alpha·dy.", "x", "dy", "alpha").Block(
			jen.If(id("x").Op(">").Lit(0)).Block(jen.Return(id("dy"))),
			jen.Return(id("dy").Op("*").Id("alpha")))
	},
	"sigmoid": func(g *gen) jen.Code {
		return f64Func("sigmoid", "sigmoid is the logistic function, computed without overflow.", "x").Block(
			jen.If(id("x").Op(">=").Lit(0)).Block(
				jen.Return(lit(1).Op("/").Parens(lit(1).Op("+").Qual("math", "Exp").Call(jen.Op("-").Id("x"))))),
			define("e", jen.Qual("math", "Exp").Call(id("x"))),
			jen.Return(id("e").Op("/").Parens(lit(1).Op("+").Id("e"))))
	},
	"gelu": func(g *gen) jen.Code {
		return f64Func("gelu", "gelu is x·Φ(x), the exact (erf) form.", "x").Block(
			jen.Return(id("x").Op("*").Lit(0.5).Op("*").Parens(lit(1).Op("+").Qual("math", "Erf").Call(id("x").Op("/").Qual("math", "Sqrt2")))))
	},
	"geluGrad": func(g *gen) jen.Code {
		return f64Func("geluGrad", "geluGrad is dy·(Φ(x) + x·φ(x)).", "x", "dy").Block(
			define("cdf", jen.Lit(0.5).Op("*").Parens(lit(1).Op("+").Qual("math", "Erf").Call(id("x").Op("/").Qual("math", "Sqrt2")))),
			define("pdf", jen.Qual("math", "Exp").Call(jen.Lit(-0.5).Op("*").Id("x").Op("*").Id("x")).Op("/").
				Qual("math", "Sqrt").Call(lit(2).Op("*").Qual("math", "Pi"))),
			jen.Return(id("dy").Op("*").Parens(id("cdf").Op("+").Id("x").Op("*").Id("pdf"))))
	},
	"bce": func(g *gen) jen.Code {
		logc := func(x jen.Code) jen.Code { return jen.Id("max").Call(jen.Qual("math", "Log").Call(x), lit(-100)) }
		return f64Func("bce", "bce is torch.nn.BCELoss of one element: each log is clamped at -100.", "p", "y").Block(
			jen.Return(jen.Op("-").Parens(id("y").Op("*").Add(logc(id("p"))).Op("+").
				Parens(lit(1).Op("-").Id("y")).Op("*").Add(logc(lit(1).Op("-").Id("p"))))))
	},
	"bceGrad": func(g *gen) jen.Code {
		return f64Func("bceGrad", "bceGrad is PyTorch's binary_cross_entropy_backward, eps 1e-12 in the denominator.", "p", "y", "dy").Block(
			jen.Return(id("dy").Op("*").Parens(id("p").Op("-").Id("y")).Op("/").
				Id("max").Call(jen.Parens(lit(1).Op("-").Id("p")).Op("*").Id("p"), jen.Lit(1e-12))))
	},
	"bceLogits": func(g *gen) jen.Code {
		return f64Func("bceLogits", "bceLogits is the binary cross-entropy of sigmoid(z), max(z,0) - z·y + log(1+exp(-|z|)).", "z", "y").Block(
			jen.Return(jen.Id("max").Call(id("z"), lit(0)).Op("-").Id("z").Op("*").Id("y").Op("+").
				Qual("math", "Log1p").Call(jen.Qual("math", "Exp").Call(jen.Op("-").Qual("math", "Abs").Call(id("z"))))))
	},
	"bceLogits32": func(g *gen) jen.Code {
		return g.tFunc("bceLogits32", "bceLogits32 is bceLogits in float32, e^-|z| by exp32.", "z", "y").Block(
			jen.Return(jen.Id("max").Call(id("z"), lit(0)).Op("-").Id("z").Op("*").Id("y").Op("+").
				Float32().Call(jen.Qual("math", "Log1p").Call(jen.Float64().Call(
				g.elemHelper("exp32").Call(jen.Op("-").Id("max").Call(id("z"), jen.Op("-").Id("z"))))))))
	},
	"bceLogitsGrad": func(g *gen) jen.Code {
		return f64Func("bceLogitsGrad", "bceLogitsGrad is dy·(sigmoid(z) - y).", "z", "y", "dy").Block(
			jen.Return(id("dy").Op("*").Parens(g.helper("sigmoid").Call(id("z")).Op("-").Id("y"))))
	},
	"dot": func(g *gen) jen.Code {
		acc := []string{"s0", "s1", "s2", "s3"}
		var sum []jen.Code
		for j, s := range acc {
			sum = append(sum, id(s).Op("+=").Id("a").Index(id("i").Op("+").Lit(j)).Op("*").Id("b").Index(id("i").Op("+").Lit(j)))
		}
		return jen.Comment("dot is Σ a[i]·b[i] over len(a) elements, with four accumulators.").Line().
			Func().Id("dot").Params(id("a"), id("b").Index().Add(g.ft())).Add(g.ft()).Block(
			id("b").Op("=").Id("b").Index(jen.Empty(), jen.Len(id("a"))),
			jen.Var().Id("s0").Op(",").Id("s1").Op(",").Id("s2").Op(",").Id("s3").Add(g.ft()),
			define("i", lit(0)),
			jen.For(jen.Empty(), id("i").Op("+").Lit(4).Op("<=").Len(id("a")), id("i").Op("+=").Lit(4)).Block(
				id("a4").Op(":=").Id("a").Index(id("i"), id("i").Op("+").Lit(4), id("i").Op("+").Lit(4)),
				id("b4").Op(":=").Id("b").Index(id("i"), id("i").Op("+").Lit(4), id("i").Op("+").Lit(4)),
				id("s0").Op("+=").Id("a4").Index(lit(0)).Op("*").Id("b4").Index(lit(0)),
				id("s1").Op("+=").Id("a4").Index(lit(1)).Op("*").Id("b4").Index(lit(1)),
				id("s2").Op("+=").Id("a4").Index(lit(2)).Op("*").Id("b4").Index(lit(2)),
				id("s3").Op("+=").Id("a4").Index(lit(3)).Op("*").Id("b4").Index(lit(3)),
			),
			jen.For(jen.Empty(), id("i").Op("<").Len(id("a")), id("i").Op("++")).Block(
				id("s0").Op("+=").Id("a").Index(id("i")).Op("*").Id("b").Index(id("i"))),
			jen.Return(id("s0").Op("+").Id("s1").Op("+").Parens(id("s2").Op("+").Id("s3"))))
	},
	"convRange": func(g *gen) jen.Code {
		return jen.Comment("convRange is the range [lo, hi) of output positions i < out whose input").Line().
			Comment("position i*stride + off lies in [0, in).").Line().
			Func().Id("convRange").Params(id("in"), id("out"), id("stride"), id("off").Int()).Params(id("lo"), id("hi").Int()).Block(
			jen.If(id("off").Op("<").Lit(0)).Block(id("lo").Op("=").Parens(jen.Op("-").Id("off").Op("+").Id("stride").Op("-").Lit(1)).Op("/").Id("stride")),
			id("hi").Op("=").Id("out"),
			jen.If(id("lim").Op(":=").Id("in").Op("-").Id("off"), id("lim").Op("<=").Lit(0)).Block(
				id("hi").Op("=").Lit(0),
			).Else().Block(
				id("hi").Op("=").Id("min").Call(id("out"), jen.Parens(id("lim").Op("+").Id("stride").Op("-").Lit(1)).Op("/").Id("stride")),
			),
			jen.Return(id("lo"), jen.Id("max").Call(id("lo"), id("hi"))))
	},
	"poison": func(g *gen) jen.Code {
		return jen.Comment("poison fills s with NaN before a kernel writes it (dlc build -d=poison).").Line().
			Func().Id("poison").Params(id("s").Index().Add(g.ft())).Block(
			jen.For(id("i").Op(":=").Range().Id("s")).Block(id("s").Index(id("i")).Op("=").Add(g.ft()).Call(jen.Qual("math", "NaN").Call())))
	},
	"poisonInts": func(g *gen) jen.Code {
		return jen.Comment("poisonInts fills s with -1 before a kernel writes it (dlc build -d=poison).").Line().
			Func().Id("poisonInts").Params(id("s").Index().Int32()).Block(
			jen.For(id("i").Op(":=").Range().Id("s")).Block(id("s").Index(id("i")).Op("=").Lit(-1)))
	},
	"poisonBytes": func(g *gen) jen.Code {
		return jen.Comment("poisonBytes fills s with 255, past the offsets of windows under 256 taps, before a kernel").Line().
			Comment("writes it (dlc build -d=poison).").Line().
			Func().Id("poisonBytes").Params(id("s").Index().Uint8()).Block(
			jen.For(id("i").Op(":=").Range().Id("s")).Block(id("s").Index(id("i")).Op("=").Lit(255)))
	},
	"idError": func(g *gen) jen.Code {
		return jen.Comment("idError reports an id or class label outside [0, limit).").Line().
			Func().Id("idError").Params(id("what").String(), id("i").Int(), id("id").Int32(), id("limit").Int()).Error().Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(g.opts.Package+": %s %d (element %d) is outside [0, %d)"),
				id("what"), id("id"), id("i"), id("limit"))))
	},
}

// helper registers a helper as used and returns its name.
func (g *gen) helper(name string) *jen.Statement {
	g.helpers[name] = true
	return id(name)
}

// emitHelpers adds the used helpers to f, sorted by name. Emitting one may
// use another, so the set is closed first.
func (g *gen) emitHelpers(f *jen.File) {
	for done := 0; done != len(g.helpers); {
		done = len(g.helpers)
		for _, name := range sortedKeys((g.helpers)) {
			helperDecls[name](g)
		}
	}
	for _, name := range sortedKeys((g.helpers)) {
		f.Add(helperDecls[name](g))
		f.Line()
	}
}

// tFunc starts a documented func name(params T) T.
func (g *gen) tFunc(name, doc string, params ...string) *jen.Statement {
	ps := make([]jen.Code, len(params))
	for i, p := range params {
		ps[i] = id(p)
	}
	ps[len(ps)-1] = id(params[len(params)-1]).Add(g.ft())
	return jen.Comment(doc).Line().Func().Id(name).Params(ps...).Add(g.ft())
}

// f64Func starts a documented func name(params float64) float64.
func f64Func(name, doc string, params ...string) *jen.Statement {
	ps := make([]jen.Code, len(params))
	for i, p := range params {
		ps[i] = id(p)
	}
	ps[len(ps)-1] = id(params[len(params)-1]).Float64()
	return jen.Comment(doc).Line().Func().Id(name).Params(ps...).Float64()
}
