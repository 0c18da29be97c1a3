package codegen

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
)

// hyperNames are the hyper-parameters each optimizer reads, torch.optim's
// names; others are an error, so that a typo does not pass silently.
var hyperNames = map[string][]string{
	"sgd":     {"lr", "momentum", "dampening", "nesterov", "weight_decay"},
	"adam":    {"lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"},
	"adamw":   {"lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"},
	"rmsprop": {"lr", "alpha", "eps", "weight_decay", "momentum", "centered"},
}

// optDefaults are torch.optim's constructor defaults, used for
// hyper-parameters the program leaves out (SGD has no default lr).
var optDefaults = map[string]map[string]float64{
	"sgd":     {"momentum": 0, "dampening": 0, "nesterov": 0, "weight_decay": 0},
	"adam":    {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0, "amsgrad": 0},
	"adamw":   {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": 0},
	"rmsprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0, "centered": 0},
}

// hypers returns the optimizer's hyper-parameters with defaults filled in.
func hypers(kind string, set map[string]float64) map[string]float64 {
	h := map[string]float64{}
	for k, v := range optDefaults[kind] {
		h[k] = v
	}
	for k, v := range set {
		h[k] = v
	}
	return h
}

// gradRanges are the [lo, hi) ranges of the parameter block whose
// parameters have a gradient result in the train func, merged where they
// touch: the optimizer skips parameters without gradients, as torch.optim
// skips those whose grad is None.
func (g *gen) gradRanges() [][2]int {
	f := g.p.Lookup("train")
	var rs [][2]int
	for i, q := range g.p.Params {
		if f.Result("grad."+q.Name) == nil {
			continue
		}
		lo, hi := g.pOff[i], g.pOff[i]+q.Type.Shape.Elems(1)
		if n := len(rs); n > 0 && rs[n-1][1] == lo {
			rs[n-1][1] = hi
		} else {
			rs = append(rs, [2]int{lo, hi})
		}
	}
	return rs
}

// emitOptimizer emits Model.optimize: one fused loop per range of the
// parameter block, reading the gradient and state blocks at the same index.
func (g *gen) emitOptimizer(file *jen.File) error {
	o := g.p.Optimizer
	if o == nil {
		return nil
	}
	names, ok := hyperNames[o.Kind]
	if !ok {
		return fmt.Errorf("unknown optimizer %q", o.Kind)
	}
	var unknown []string
	for k := range o.Hyper {
		if !slices.Contains(names, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("optimizer %s: unknown hyper-parameters %s", o.Kind, strings.Join(unknown, ", "))
	}
	h := hypers(o.Kind, o.Hyper)
	if _, ok := h["lr"]; !ok {
		return fmt.Errorf("optimizer %s needs a learning rate", o.Kind)
	}
	keys := g.stateKeys()
	ranges := g.gradRanges()
	if len(ranges) == 0 {
		return fmt.Errorf("optimizer %s: the train func has no gradient results", o.Kind)
	}
	var pre, step []jen.Code
	switch o.Kind {
	case "sgd":
		pre, step = g.sgd(h)
	case "adam", "adamw":
		pre, step = g.adam(o.Kind == "adamw", h)
	case "rmsprop":
		pre, step = g.rmsprop(h)
	}
	body := append([]jen.Code{define("lr", id("m").Dot("lr"))}, pre...)
	if useElemAsm && g.float == ir.F32 {
		// One vector kernel (asm.MultiSpec) per range, with the loop above as its
		// Go twin.
		spec, scalars := optimStep(o.Kind, h, keys)
		spec.Source = fmt.Sprintf("optimizer %s (%s)", o.Kind, hyperDoc(h))
		g.multis = append(g.multis, spec)
		if par, ok := g.parallelOptim(); ok {
			body = append(body, g.emitOptimParallel(file, par, keys)...)
			ranges = nil
		}
		for _, r := range ranges {
			size := r[1] - r[0]
			args := []jen.Code{window("m.params", L(r[0]), lit(size)), window("m.grads", L(r[0]), lit(size))}
			for s := range keys {
				args = append(args, window("m.state", L(s*g.pSize+r[0]), lit(size)))
			}
			for _, sc := range scalars {
				args = append(args, id(sc))
			}
			body = append(body, id(spec.Name).Call(args...))
		}
		ranges = nil
	}
	for _, r := range ranges {
		size := r[1] - r[0]
		block := []jen.Code{
			define("p", window("m.params", L(r[0]), lit(size))),
			define("g", window("m.grads", L(r[0]), lit(size))),
		}
		for s, key := range keys {
			block = append(block, define(stateVar(key), window("m.state", L(s*g.pSize+r[0]), lit(size))))
		}
		block = append(block, jen.For(jen.List(id("i"), id("pv")).Op(":=").Range().Id("p")).Block(
			append([]jen.Code{define("gv", id("g").Index(id("i")))}, step...)...))
		body = append(body, jen.Block(block...))
	}
	body = append(body, g.markStale()...) // the packed weights (packed.go)
	file.Commentf("optimize applies one %s step with torch.optim's formulas to every parameter that has a", o.Kind)
	file.Comment("gradient, as one loop over the parameter, gradient and state blocks. m.step counts this step.")
	file.Comment("Hyper-parameters: " + hyperDoc(h) + ".")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("optimize").Params().Block(body...)
	return nil
}

func hyperDoc(h map[string]float64) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, h[k])
	}
	return strings.Join(parts, ", ")
}

// stateVar is the local name of a state block in the optimizer loop.
func stateVar(key string) string {
	return map[string]string{"momentum_buffer": "buf", "exp_avg": "m1", "exp_avg_sq": "v",
		"max_exp_avg_sq": "vmax", "square_avg": "sq", "grad_avg": "ga"}[key]
}

// weightDecay renders gv += weight_decay*pv when weight_decay is set.
func weightDecay(h map[string]float64) []jen.Code {
	if wd := h["weight_decay"]; wd != 0 {
		return []jen.Code{id("gv").Op("+=").Add(flit(wd)).Op("*").Id("pv")}
	}
	return nil
}

// sgd: g += wd·p; buf = g on the first step, else momentum·buf +
// (1-dampening)·g; nesterov: d = g + momentum·buf, else d = buf; p -= lr·d.
func (g *gen) sgd(h map[string]float64) (pre, step []jen.Code) {
	step = weightDecay(h)
	if mom := h["momentum"]; mom != 0 {
		pre = []jen.Code{
			jen.List(id("mb"), id("gb")).Op(":=").List(g.ft().Call(flit(mom)), g.ft().Call(flit(1-h["dampening"]))),
			jen.If(id("m").Dot("step").Op("==").Lit(1)).Block(
				jen.Comment("torch.optim.SGD starts the momentum buffer as a copy of the gradient"),
				jen.List(id("mb"), id("gb")).Op("=").List(lit(0), lit(1))),
		}
		step = append(step, define("b", id("mb").Op("*").Id("buf").Index(id("i")).Op("+").Id("gb").Op("*").Id("gv")),
			id("buf").Index(id("i")).Op("=").Id("b"))
		if h["nesterov"] != 0 {
			step = append(step, id("gv").Op("+=").Add(flit(mom)).Op("*").Id("b"))
		} else {
			step = append(step, id("gv").Op("=").Id("b"))
		}
	}
	step = append(step, id("p").Index(id("i")).Op("=").Id("pv").Op("-").Id("lr").Op("*").Id("gv"))
	return pre, step
}

// adam: (adamw: p *= 1 - lr·wd, else g += wd·p); m1 += (1-β1)(g-m1);
// v = β2·v + (1-β2)·g²; (amsgrad: vmax = max(vmax, v)); p -= lr/(1-β1ᵗ) ·
// m1 / (sqrt(v)/sqrt(1-β2ᵗ) + eps).
func (g *gen) adam(decoupled bool, h map[string]float64) (pre, step []jen.Code) {
	b1, b2, eps := h["beta1"], h["beta2"], h["eps"]
	ft := g.ft()
	pre = []jen.Code{
		define("t", jen.Float64().Call(id("m").Dot("step"))),
		define("stepSize", jen.Add(ft).Call(jen.Float64().Call(id("lr")).Op("/").Parens(lit(1).Op("-").Qual("math", "Pow").Call(flit(b1), id("t"))))),
		// 1/sqrt(1 - β2^t), so that each element multiplies rather than divides.
		define("rbc2", jen.Add(ft).Call(lit(1).Op("/").Qual("math", "Sqrt").Call(lit(1).Op("-").Qual("math", "Pow").Call(flit(b2), id("t"))))),
	}
	if decoupled {
		if wd := h["weight_decay"]; wd != 0 {
			pre = append(pre, define("decay", lit(1).Op("-").Id("lr").Op("*").Add(flit(wd))))
			step = append(step, id("pv").Op("*=").Id("decay"))
		}
	} else {
		step = weightDecay(h)
	}
	step = append(step,
		id("m1").Index(id("i")).Op("+=").Add(flit(1-b1)).Op("*").Parens(id("gv").Op("-").Id("m1").Index(id("i"))),
		id("v").Index(id("i")).Op("=").Add(flit(b2)).Op("*").Id("v").Index(id("i")).Op("+").Add(flit(1-b2)).Op("*").Id("gv").Op("*").Id("gv"),
		define("vv", id("v").Index(id("i"))))
	if h["amsgrad"] != 0 {
		step = append(step, id("vmax").Index(id("i")).Op("=").Id("max").Call(id("vmax").Index(id("i")), id("vv")),
			id("vv").Op("=").Id("vmax").Index(id("i")))
	}
	step = append(step,
		define("denom", jen.Add(ft).Call(g.sqrt(id("vv"))).Op("*").Id("rbc2").Op("+").Add(flit(eps))),
		id("p").Index(id("i")).Op("=").Id("pv").Op("-").Id("stepSize").Op("*").Id("m1").Index(id("i")).Op("/").Id("denom"))
	return pre, step
}

// rmsprop: g += wd·p; sq = α·sq + (1-α)·g²; centered: ga += (1-α)(g-ga),
// avg = sqrt(sq - ga²) + eps, else sqrt(sq) + eps; momentum: buf =
// momentum·buf + g/avg, p -= lr·buf; else p -= lr·g/avg.
func (g *gen) rmsprop(h map[string]float64) (pre, step []jen.Code) {
	alpha, eps := h["alpha"], h["eps"]
	ft := g.ft()
	step = weightDecay(h)
	step = append(step,
		id("sq").Index(id("i")).Op("=").Add(flit(alpha)).Op("*").Id("sq").Index(id("i")).Op("+").Add(flit(1-alpha)).Op("*").Id("gv").Op("*").Id("gv"),
		define("ms", id("sq").Index(id("i"))))
	if h["centered"] != 0 {
		step = append(step,
			id("ga").Index(id("i")).Op("+=").Add(flit(1-alpha)).Op("*").Parens(id("gv").Op("-").Id("ga").Index(id("i"))),
			id("ms").Op("-=").Id("ga").Index(id("i")).Op("*").Id("ga").Index(id("i")))
	}
	step = append(step, define("avg", jen.Add(ft).Call(g.sqrt(id("ms"))).Op("+").Add(flit(eps))))
	if mom := h["momentum"]; mom > 0 {
		step = append(step,
			id("buf").Index(id("i")).Op("=").Add(flit(mom)).Op("*").Id("buf").Index(id("i")).Op("+").Id("gv").Op("/").Id("avg"),
			id("p").Index(id("i")).Op("=").Id("pv").Op("-").Id("lr").Op("*").Id("buf").Index(id("i")))
	} else {
		step = append(step, id("p").Index(id("i")).Op("=").Id("pv").Op("-").Id("lr").Op("*").Id("gv").Op("/").Id("avg"))
	}
	return pre, step
}

// sqrt renders math.Sqrt of a float-typed expression, in float64.
func (g *gen) sqrt(e jen.Code) *jen.Statement {
	return jen.Qual("math", "Sqrt").Call(jen.Float64().Call(e))
}

// optimStepName is the vector kernel of the optimizer update.
const optimStepName = "optimStep"

// optimStep returns the optimizer update as a multi-output vector kernel
// over a0 = params, a1 = grads and the state blocks (keys, in order), and
// the names of its scalar arguments (locals of optimize). Its expressions
// are the loops of sgd, adam and rmsprop operation for operation, so the
// kernel's Go twin is that loop and its assembly rounds the same way.
func optimStep(kind string, h map[string]float64, keys []string) (asm.MultiSpec, []string) {
	arg := func(i int) *asm.ElemExpr { return &asm.ElemExpr{Op: "arg", Arg: i} }
	kl := func(x float64) *asm.ElemExpr { return &asm.ElemExpr{Op: "lit", Value: x} }
	op := func(o string, a ...*asm.ElemExpr) *asm.ElemExpr { return &asm.ElemExpr{Op: o, Args: a} }
	var scalars []string
	sc := func(name string) *asm.ElemExpr {
		i := slices.Index(scalars, name)
		if i < 0 {
			i = len(scalars)
			scalars = append(scalars, name)
		}
		return &asm.ElemExpr{Op: "scalar", Arg: i}
	}
	state := func(key string) int { return 2 + slices.Index(keys, key) }
	spec := asm.MultiSpec{Name: optimStepName, Slices: 2 + len(keys), FlushSubnormals: true, PrefetchWrite: []int{0}}
	out := func(slice int, e *asm.ElemExpr) { spec.Outs = append(spec.Outs, asm.MultiOut{Slice: slice, Expr: e}) }
	p, gv := arg(0), arg(1)
	if wd := h["weight_decay"]; wd != 0 && kind != "adamw" {
		gv = op("add", gv, op("mul", kl(wd), p)) // g += wd·p
	}
	switch kind {
	case "sgd":
		if mom := h["momentum"]; mom != 0 {
			buf := state("momentum_buffer")
			b := op("add", op("mul", sc("mb"), arg(buf)), op("mul", sc("gb"), gv))
			out(buf, b)
			if h["nesterov"] != 0 {
				gv = op("add", gv, op("mul", kl(mom), b))
			} else {
				gv = b
			}
		}
		out(0, op("sub", p, op("mul", sc("lr"), gv)))
	case "adam", "adamw":
		b1, b2 := h["beta1"], h["beta2"]
		if wd := h["weight_decay"]; kind == "adamw" && wd != 0 {
			p = op("mul", p, sc("decay")) // p *= 1 - lr·wd
		}
		m1, v := state("exp_avg"), state("exp_avg_sq")
		m1n := op("add", arg(m1), op("mul", kl(1-b1), op("sub", gv, arg(m1))))
		vn := op("add", op("mul", kl(b2), arg(v)), op("mul", op("mul", kl(1-b2), gv), gv))
		out(m1, m1n)
		out(v, vn)
		vv := vn
		if h["amsgrad"] != 0 {
			vmax := state("max_exp_avg_sq")
			vv = op("max", arg(vmax), vn)
			out(vmax, vv)
		}
		denom := op("add", op("mul", op("sqrt", vv), sc("rbc2")), kl(h["eps"]))
		out(0, op("sub", p, op("div", op("mul", sc("stepSize"), m1n), denom)))
	case "rmsprop":
		alpha := h["alpha"]
		sq := state("square_avg")
		ms := op("add", op("mul", kl(alpha), arg(sq)), op("mul", op("mul", kl(1-alpha), gv), gv))
		out(sq, ms)
		if h["centered"] != 0 {
			ga := state("grad_avg")
			gan := op("add", arg(ga), op("mul", kl(1-alpha), op("sub", gv, arg(ga))))
			out(ga, gan)
			ms = op("sub", ms, op("mul", gan, gan))
		}
		avg := op("add", op("sqrt", ms), kl(h["eps"]))
		if mom := h["momentum"]; mom > 0 {
			buf := state("momentum_buffer")
			b := op("add", op("mul", kl(mom), arg(buf)), op("div", gv, avg))
			out(buf, b)
			out(0, op("sub", p, op("mul", sc("lr"), b)))
		} else {
			out(0, op("sub", p, op("div", op("mul", sc("lr"), gv), avg)))
		}
	}
	spec.Scalars = len(scalars)
	doc := []string{"Arguments: a0 params, a1 grads"}
	for i, k := range keys {
		doc[0] += fmt.Sprintf(", a%d %s", i+2, k)
	}
	for i, n := range scalars {
		doc[0] += fmt.Sprintf(", c%d %s", i, n)
	}
	spec.Doc = []string{doc[0] + "."}
	return spec, scalars
}
