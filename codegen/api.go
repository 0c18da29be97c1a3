package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// emitAPI emits the entry points (Forward, Evaluate, TrainStep), the run
// methods behind them and the argument checks.
func (g *gen) emitAPI(file *jen.File) error {
	for _, f := range g.funcs {
		var err error
		switch f.Name {
		case "infer":
			err = g.emitForward(file, f)
		case "eval":
			err = g.emitEvaluate(file, f)
		case "train":
			err = g.emitTrainStep(file, f)
		}
		if err != nil {
			return fmt.Errorf("func %s: %v", f.Name, err)
		}
	}
	for _, f := range g.funcs {
		if err := g.emitRun(file, f); err != nil {
			return fmt.Errorf("func %s: %v", f.Name, err)
		}
	}
	g.emitChecks(file)
	return nil
}

// checkArgs renders the validation of an entry point's slices, which
// leaves the batch size in n; fail returns from the entry point with err.
func (g *gen) checkArgs(fn string, args []entryArg, fail func(err jen.Code) jen.Code) []jen.Code {
	var out []jen.Code
	haveN := false
	for _, a := range args {
		row := id(g.names.row[a.name])
		switch {
		case a.typ.Shape.Batched() && !haveN:
			haveN = true
			out = append(out,
				jen.List(id("n"), id("err")).Op(":=").Id("batchRows").Call(jen.Lit(fn), jen.Lit(a.name), jen.Len(id(a.local)), row),
				jen.If(id("err").Op("!=").Nil()).Block(fail(id("err"))))
		default:
			want := jen.Add(row)
			if a.typ.Shape.Batched() {
				want = id("n").Op("*").Add(row)
			}
			out = append(out, jen.If(id("err").Op(":=").Id("checkLen").Call(jen.Lit(fn), jen.Lit(a.name), jen.Len(id(a.local)), want),
				id("err").Op("!=").Nil()).Block(fail(id("err"))))
		}
	}
	if !haveN {
		out = append([]jen.Code{define("n", lit(1))}, out...)
	}
	return out
}

// params renders the entry point's parameter list.
func (g *gen) params(args []entryArg) []jen.Code {
	var ps []jen.Code
	for _, a := range args {
		ps = append(ps, id(a.local).Index().Add(g.T(a.typ.DType)))
	}
	return ps
}

// argDoc describes the slices of an entry point for its doc comment.
func (g *gen) argDoc(args []entryArg) string {
	var parts []string
	for _, a := range args {
		size := g.names.row[a.name]
		if a.typ.Shape.Batched() {
			size = "n*" + size
		}
		parts = append(parts, fmt.Sprintf("%s (%v, %s elements)", a.local, a.typ, size))
	}
	return strings.Join(parts, ", ")
}

func (g *gen) emitForward(file *jen.File, f *ir.Func) error {
	args := g.entryArgs(f)
	fail := func(err jen.Code) jen.Code { return jen.Return(err) }
	body := g.checkArgs("forward", args, fail)
	var call []jen.Code
	call = append(call, id("n"))
	for _, a := range args {
		call = append(call, id(a.local))
	}
	body = append(body, jen.Return(id("m").Dot(runName(f)).Call(call...)))
	docComment(file, "Forward runs the model in evaluation mode (no dropout, running statistics) on n rows, "+
		"1 <= n <= MaxBatch, reading the inputs and writing the outputs: "+g.argDoc(args)+
		". It returns an error, writing nothing, when the lengths disagree. The outputs must not overlap the inputs.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("Forward").Params(g.params(args)...).Error().Block(body...)
	file.Line()
	return nil
}

func (g *gen) emitTrainStep(file *jen.File, f *ir.Func) error {
	loss := f.Result("loss")
	if loss == nil || loss.Type.Shape.Elems(1) != 1 || loss.Type.Shape.Batched() {
		return fmt.Errorf("the train func needs a scalar result named loss")
	}
	args := g.entryArgs(f)
	fail := func(err jen.Code) jen.Code { return jen.Return(lit(0), err) }
	body := g.checkArgs("train step", args, fail)
	body = append(body, g.keepChecks(fail)...)
	call := []jen.Code{id("n")}
	for _, a := range args {
		call = append(call, id(a.local))
	}
	body = append(body,
		jen.If(id("err").Op(":=").Id("m").Dot(runName(f)).Call(call...), id("err").Op("!=").Nil()).Block(jen.Return(lit(0), id("err"))),
		define("loss", g.first(f, loss)),
		id("m").Dot("step").Op("++"),
		id("m").Dot("gradRows").Op("=").Id("n"))
	for i := range g.counters {
		body = append(body, id("m").Dot("counters").Index(lit(i)).Op("++"))
	}
	doc := "and leaves the parameters alone: the model declares no optimizer"
	if g.p.Optimizer != nil {
		body = append(body, id("m").Dot("optimize").Call())
		doc = fmt.Sprintf("then applies one %s step (torch.optim's formulas) to the parameters", g.p.Optimizer.Kind)
	}
	body = append(body, jen.Return(id("loss"), jen.Nil()))
	docComment(file, "TrainStep runs one training step on n rows, 1 <= n <= MaxBatch: the forward pass in training "+
		"mode, the loss and the backward pass (the gradients land in Grads), "+doc+", updates the buffers and "+
		"counts the step. It returns the loss before the update. Arguments: "+g.argDoc(args)+
		". On an error (bad lengths, a label out of range) the parameters, buffers and step count are unchanged.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("TrainStep").Params(g.params(args)...).Params(g.ft(), jen.Error()).Block(body...)
	file.Line()
	g.emitInputGrad(file, f)
	g.emitSetDropoutMask(file)
	return nil
}

// emitInputGrad emits InputGrad, which exposes the gradients of inputs
// requested with dlc build -grad-input (saliency maps and the like).
func (g *gen) emitInputGrad(file *jen.File, f *ir.Func) {
	var cases []jen.Code
	var names []string
	for _, r := range f.Results {
		name, ok := strings.CutPrefix(r.Name, "grad.")
		if d := g.p.Decl(name); !ok || d == nil || d.Role != "input" {
			continue
		}
		names = append(names, name)
		cases = append(cases, jen.Case(jen.Lit(name)).Block(jen.Return(g.view(f, r.Value))))
	}
	have := "This model was built without -grad-input, so InputGrad always returns nil."
	if len(names) > 0 {
		have = "This model has the gradients of: " + strings.Join(names, ", ") + "."
	}
	docComment(file, "InputGrad returns the gradient of the last TrainStep's loss with respect to the named input, "+
		"computed when the model is built with dlc build -grad-input NAME: n rows like the input, a view into the "+
		"model's scratch memory that the next call of any method overwrites. It returns nil for an input without "+
		"a gradient or before the first TrainStep. "+have)
	body := []jen.Code{define("n", id("m").Dot("gradRows")), jen.If(id("n").Op("==").Lit(0)).Block(jen.Return(jen.Nil()))}
	if len(cases) > 0 {
		body = append(body, jen.Switch(id("name")).Block(cases...))
	}
	body = append(body, jen.Return(jen.Nil()))
	file.Func().Params(id("m").Op("*").Id("Model")).Id("InputGrad").Params(id("name").String()).Index().Add(g.ft()).Block(body...)
	file.Line()
}

func (g *gen) emitEvaluate(file *jen.File, f *ir.Func) error {
	loss := f.Result("loss")
	if loss == nil || loss.Type.Shape.Elems(1) != 1 || loss.Type.Shape.Batched() {
		return fmt.Errorf("the eval func needs a scalar result named loss")
	}
	args := g.entryArgs(f)
	fail := func(err jen.Code) jen.Code { return jen.Return(lit(0), lit(0), err) }
	body := g.checkArgs("evaluate", args, fail)
	call := []jen.Code{id("n")}
	for _, a := range args {
		call = append(call, id(a.local))
	}
	body = append(body,
		jen.If(id("err").Op(":=").Id("m").Dot(runName(f)).Call(call...), id("err").Op("!=").Nil()).Block(jen.Return(lit(0), lit(0), id("err"))))
	accExpr, accDoc := g.accuracy(f)
	body = append(body, jen.Return(jen.Float64().Call(g.first(f, loss)), jen.Float64().Call(accExpr), jen.Nil()))
	docComment(file, "Evaluate computes the loss in evaluation mode on n rows, 1 <= n <= MaxBatch, and "+
		accDoc+" Arguments: "+g.argDoc(args)+".")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("Evaluate").Params(g.params(args)...).
		Params(id("loss"), id("acc").Float64(), id("err").Error()).Block(body...)
	file.Line()
	return nil
}

// accuracy renders the accuracy Evaluate reports and its documentation.
// The prediction is the eval result "loss.input" (or the loss's output)
// and the target the loss's target input.
func (g *gen) accuracy(f *ir.Func) (jen.Code, string) {
	none := "its accuracy is 0: the loss is not a classifier's."
	l := g.p.Loss
	if l == nil {
		return lit(0), none
	}
	pred := f.Result("loss.input")
	if pred == nil {
		pred = f.Result(l.Output)
	}
	target := g.p.Decl(l.Target)
	if pred == nil || target == nil || target.Role != "target" {
		return lit(0), none
	}
	ps, ts := pred.Type.Shape, target.Type.Shape
	switch l.Kind {
	case "cross_entropy", "nll":
		if ps.Rank() == 2 && ts.Rank() == 1 && target.Type.DType == ir.I32 && ps.Batched() && ts.Batched() {
			g.apiUsed["argmaxAccuracy"] = true
			return id("argmaxAccuracy").Call(g.view(f, pred), id(g.names.local[target.Name]), lit(ps[1])),
				"its accuracy: the fraction of rows whose highest score (the first, on ties) is the label."
		}
	case "binary_cross_entropy":
		if ps.Equal(ts) && target.Type.DType.IsFloat() {
			g.apiUsed["binaryAccuracy"] = true
			return id("binaryAccuracy").Call(g.view(f, pred), id(g.names.local[target.Name])),
				"its accuracy: the fraction of elements where (p > 0.5) == (y > 0.5)."
		}
	}
	return lit(0), none
}

// emitChecks emits the helpers of the entry points.
func (g *gen) emitChecks(file *jen.File) {
	pkg := g.opts.Package
	file.Comment("batchRows returns the number of rows n of a batched argument, checking 1 <= n <= MaxBatch.")
	file.Func().Id("batchRows").Params(id("fn"), id("name").String(), id("size"), id("row").Int()).Params(jen.Int(), jen.Error()).Block(
		define("n", id("size").Op("/").Id("row")),
		jen.If(id("n").Op("<").Lit(1).Op("||").Id("n").Op(">").Id("MaxBatch").Op("||").Id("n").Op("*").Id("row").Op("!=").Id("size")).Block(
			jen.Return(lit(0), jen.Qual("fmt", "Errorf").Call(jen.Lit(pkg+": %s: %s has %d elements, want n*%d with 1 <= n <= %d"),
				id("fn"), id("name"), id("size"), id("row"), id("MaxBatch")))),
		jen.Return(id("n"), jen.Nil()))
	file.Line()
	file.Comment("checkLen checks that an argument has want elements.")
	file.Func().Id("checkLen").Params(id("fn"), id("name").String(), id("size"), id("want").Int()).Error().Block(
		jen.If(id("size").Op("!=").Id("want")).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(pkg+": %s: %s has %d elements, want %d"), id("fn"), id("name"), id("size"), id("want")))),
		jen.Return(jen.Nil()))
	file.Line()
	ft := g.ft()
	if g.apiUsed["argmaxAccuracy"] {
		file.Comment("argmaxAccuracy is the fraction of rows of p (classes wide) whose first maximum is the label.")
		file.Func().Id("argmaxAccuracy").Params(id("p").Index().Add(ft), id("labels").Index().Int32(), id("classes").Int()).Add(ft).Block(
			define("hits", lit(0)),
			jen.For(jen.List(id("r"), id("label")).Op(":=").Range().Id("labels")).Block(
				define("row", id("p").Index(id("r").Op("*").Id("classes"), jen.Empty()).Index(jen.Empty(), id("classes"))),
				define("best", lit(0)),
				jen.For(jen.List(id("j"), id("v")).Op(":=").Range().Id("row")).Block(
					jen.If(id("v").Op(">").Id("row").Index(id("best"))).Block(id("best").Op("=").Id("j"))),
				jen.If(jen.Int32().Call(id("best")).Op("==").Id("label")).Block(id("hits").Op("++"))),
			jen.Return(jen.Add(ft).Call(id("hits")).Op("/").Add(ft).Call(jen.Len(id("labels")))))
		file.Line()
	}
	if g.apiUsed["binaryAccuracy"] {
		file.Comment("binaryAccuracy is the fraction of elements where (p > 0.5) == (y > 0.5).")
		file.Func().Id("binaryAccuracy").Params(id("p"), id("y").Index().Add(ft)).Add(ft).Block(
			define("hits", lit(0)),
			id("y").Op("=").Id("y").Index(jen.Empty(), jen.Len(id("p"))),
			jen.For(jen.List(id("i"), id("v")).Op(":=").Range().Id("p")).Block(
				jen.If(jen.Parens(id("v").Op(">").Lit(0.5)).Op("==").Parens(id("y").Index(id("i")).Op(">").Lit(0.5))).Block(id("hits").Op("++"))),
			jen.Return(jen.Add(ft).Call(id("hits")).Op("/").Add(ft).Call(jen.Len(id("p")))))
		file.Line()
	}
}
