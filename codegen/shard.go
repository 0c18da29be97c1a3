package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
)

// A split train step (ir.Func.Shards, passes.Shard) runs its batch in
// parts: part c gets rows [c·n/S, (c+1)·n/S) and a shard, the memory of
// one part: the c-th slice of each arena, scratch, a gradient block and a
// job without pool (shard 0 shares the model's scratch and gradients).
// runTrain runs the parts through the pool, one per thread, each part's
// kernels on its thread; sumParts then combines the parts' losses, and
// the parallel optimizer update (or sumParts, without one) adds their
// gradients into the gradient block. The parts depend only on n, so
// results are the same on every thread count.
//
// The shards' jobs have no pool: a part's kernels run each loop as one
// call on its thread, as on a one-thread model, and need one chunk's
// scratch.

// splitPacks reports whether the parts of a split train step read packed
// weights: on more than one thread each part then packs its own copy,
// where its kernels read it (part 0 the model's, in its part), instead of
// the calling thread packing one copy for all before the parts start.
func (g *gen) splitPacks() bool {
	f := g.splitTrain()
	return f != nil && g.readsPacked(f)
}

// splitTrain returns the train func when it is split, else nil.
func (g *gen) splitTrain() *ir.Func {
	if f := g.p.Lookup("train"); f != nil && f.Shards > 1 {
		return f
	}
	return nil
}

// registerPartAdd registers the vector add of sumParts.
func (g *gen) registerPartAdd() {
	if g.splitTrain() == nil || !useElemAsm || g.float != ir.F32 {
		return
	}
	arg := func(i int) *asm.ElemExpr { return &asm.ElemExpr{Op: "arg", Arg: i} }
	g.partAdd = g.elem(&asm.ElemExpr{Op: "add", Args: []*asm.ElemExpr{arg(0), arg(1)}}, 2, false)
}

// shardFields are the Model fields of a split train step.
func (g *gen) shardFields() []jen.Code {
	f := g.splitTrain()
	if f == nil {
		return nil
	}
	return []jen.Code{
		id("shards").Index(lit(f.Shards)).Id("shard").Comment("the parts of a train step"),
		id("targs").Id("trainArgs").Comment("the arguments of the running train step, for trainParts"),
		id("tbody").Func().Params(jen.List(id("lo"), id("hi")).Int()).Comment("trainParts as a method value, built once"),
	}
}

// shardInit is New's statements for a split train step: shard 0 shares
// the model's memory, the others get their own.
func (g *gen) shardInit() []jen.Code {
	f := g.splitTrain()
	if f == nil {
		return nil
	}
	ft := g.ft()
	_, _, _, scratch := g.arenaSizes()
	pl := f.Plan
	mk := func(t jen.Code, n int) jen.Code { return jen.Make(jen.Index().Add(t), lit(n)) }
	// Part i's arenas are the i-th slices of the model's (sized for all parts).
	part := func(arena string, n int) jen.Code {
		lo := id("i").Op("*").Lit(n)
		hi := jen.Parens(id("i").Op("+").Lit(1)).Op("*").Lit(n)
		return id("m").Dot(arena).Index(lo, hi.Clone(), hi)
	}
	sp := func(f string) *jen.Statement { return id("s").Dot(f) }
	loop := []jen.Code{define("s", jen.Op("&").Id("m").Dot("shards").Index(id("i")))}
	for _, a := range []struct {
		name string
		n    int
	}{{"arena", pl.ArenaElems}, {"iarena", pl.IntArena.Elems}, {"u8arena", pl.U8Arena.Elems}} {
		if a.n > 0 {
			loop = append(loop, sp(a.name).Op("=").Add(part(a.name, a.n)))
		}
	}
	loop = append(loop,
		jen.List(sp("scratch"), sp("grads")).Op("=").List(id("m").Dot("scratch"), id("m").Dot("grads")),
		jen.If(id("i").Op(">").Lit(0)).Block(
			jen.List(sp("scratch"), sp("grads")).Op("=").List(mk(ft, scratch), mk(ft, g.pSize))),
		sp("job").Dot("body").Op("=").Add(sp("job").Dot("exec")),
	)
	if g.splitPacks() {
		loop = append(loop, sp("packed").Op("=").Id("m").Dot("packed"))
	}
	return []jen.Code{
		jen.For(id("i").Op(":=").Range().Id("m").Dot("shards")).Block(loop...),
		id("m").Dot("tbody").Op("=").Id("m").Dot("trainParts"),
	}
}

// emitShardTypes emits the shard and trainArgs types.
func (g *gen) emitShardTypes(file *jen.File) {
	if g.splitTrain() == nil {
		return
	}
	ft := g.ft()
	file.Comment("shard is the memory of one part of a split train step (see runTrain).")
	fields := []jen.Code{
		id("n").Int().Comment("rows of the part in the running step"),
		id("err").Error().Comment("the part's error"),
		id("arena").Index().Add(ft.Clone()),
		id("iarena").Index().Int32(),
		id("u8arena").Index().Uint8(),
		id("scratch").Index().Add(ft.Clone()),
		id("grads").Index().Add(ft.Clone()).Comment("the part's gradients, laid out like params"),
		id("job").Id("job"),
	}
	if g.splitPacks() {
		fields = append(fields,
			id("packed").Index().Add(ft.Clone()).Comment("the packed weights the part reads: the model's, or on several threads its own copy"),
			id("ownPack").Bool().Comment("packed is the part's own copy"),
			id("packStale").Bool().Comment("the own copy may differ from params"),
		)
	}
	file.Type().Id("shard").Struct(fields...)
	file.Line()
	args := []jen.Code{id("n").Int()}
	for _, a := range g.entryArgs(g.splitTrain()) {
		args = append(args, id(a.local).Index().Add(g.T(a.typ.DType)))
	}
	file.Comment("trainArgs are the arguments of the running train step.")
	file.Type().Id("trainArgs").Struct(args...)
	file.Line()
}

// emitSplitRun emits runTrain for a split train step, and trainParts,
// trainPart and sumParts.
func (g *gen) emitSplitRun(file *jen.File, f *ir.Func) error {
	args := g.entryArgs(f)
	params := []jen.Code{id("n").Int()}
	store := []jen.Code{id("n")}
	for _, a := range args {
		params = append(params, id(a.local).Index().Add(g.T(a.typ.DType)))
		store = append(store, id(a.local))
	}
	var body []jen.Code
	if !g.splitPacks() {
		body = g.repackIfStale(f)
	}
	body = append(body,
		id("m").Dot("targs").Op("=").Id("trainArgs").Values(store...),
		id("m").Dot("job").Dot("pool").Dot("ForGrain").Call(lit(f.Shards), lit(1), id("m").Dot("tbody")),
		id("m").Dot("targs").Op("=").Id("trainArgs").Values(),
		jen.For(id("i").Op(":=").Range().Id("m").Dot("shards")).Block(
			jen.If(id("err").Op(":=").Id("m").Dot("shards").Index(id("i")).Dot("err"), id("err").Op("!=").Nil()).Block(jen.Return(id("err")))),
		id("m").Dot("sumParts").Call(id("n")),
		jen.Return(jen.Nil()),
	)
	file.Commentf("%s runs func train on n rows in %d parts, rows [c*n/%d, (c+1)*n/%d) in part c, each on", runName(f), f.Shards, f.Shards, f.Shards)
	file.Comment("memory of its own and on a thread of its own when the pool has them, then sums the parts.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id(runName(f)).Params(params...).Error().Block(body...)
	file.Line()

	// trainParts: the pool's loop body.
	var slices []jen.Code
	for _, a := range args {
		if a.typ.Shape.Batched() {
			row := id(g.names.row[a.name])
			slices = append(slices, id("t").Dot(a.local).Index(id("lo").Op("*").Add(row.Clone()), id("hi").Op("*").Add(row.Clone())))
		} else {
			slices = append(slices, id("t").Dot(a.local))
		}
	}
	file.Comment("trainParts runs parts [lo, hi) of the running train step.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("trainParts").Params(jen.List(id("c0"), id("c1")).Int()).Block(
		define("t", jen.Op("&").Id("m").Dot("targs")),
		jen.For(id("c").Op(":=").Id("c0"), id("c").Op("<").Id("c1"), id("c").Op("++")).Block(
			define("s", jen.Op("&").Id("m").Dot("shards").Index(id("c"))),
			jen.List(id("lo"), id("hi")).Op(":=").List(id("c").Op("*").Id("t").Dot("n").Op("/").Lit(f.Shards),
				jen.Parens(id("c").Op("+").Lit(1)).Op("*").Id("t").Dot("n").Op("/").Lit(f.Shards)),
			jen.List(id("s").Dot("n"), id("s").Dot("err")).Op("=").List(id("hi").Op("-").Id("lo"), jen.Nil()),
			jen.Add(g.partRepack()),
			jen.If(id("s").Dot("n").Op(">").Lit(0)).Block(
				id("s").Dot("err").Op("=").Id("m").Dot("trainPart").Call(append([]jen.Code{id("s"), id("s").Dot("n"), id("t").Dot("n")}, slices...)...)),
		),
	)
	file.Line()

	// trainPart: the kernels on one shard's memory.
	g.recv = "s"
	calls, err := g.runCalls(f)
	g.recv = "m"
	if err != nil {
		return err
	}
	pparams := []jen.Code{id("s").Op("*").Id("shard"), jen.List(id("n"), id("total")).Int()}
	pparams = append(pparams, params[1:]...)
	file.Comment("trainPart runs func train on n of the step's total rows, on the memory of s.")
	var pbody []jen.Code
	if !g.usesTotal(f) {
		pbody = append(pbody, id("_").Op("=").Id("total"))
	}
	pbody = append(append(pbody, calls...), jen.Return(jen.Nil()))
	file.Func().Params(id("m").Op("*").Id("Model")).Id("trainPart").Params(pparams...).Error().Block(pbody...)
	file.Line()
	sum, err := g.sumParts(f)
	if err != nil {
		return err
	}
	if g.partSumInOptim() {
		file.Comment("sumParts writes the loss of all n rows where part 0's is; optimBlocks sums the gradients.")
	} else {
		file.Comment("sumParts adds the parts' gradients into part 0's, the gradient block, and writes the loss of")
		file.Comment("all n rows where part 0's is.")
	}
	file.Func().Params(id("m").Op("*").Id("Model")).Id("sumParts").Params(id("n").Int()).Block(sum...)
	file.Line()
	return nil
}

// usesTotal reports whether a kernel of f takes the step's total rows.
func (g *gen) usesTotal(f *ir.Func) bool {
	for _, v := range f.Values {
		if c := g.calls[v]; c != nil && c.k.usesTotal {
			return true
		}
	}
	return false
}

// partRepack renders the packing of part c's weights, at its start: part 0
// packs the model's copy, a part with its own copy packs that one; parts
// that share the model's copy (one thread) run after part 0.
func (g *gen) partRepack() jen.Code {
	if !g.splitPacks() {
		return jen.Null()
	}
	return jen.If(id("c").Op("==").Lit(0).Op("&&").Id("m").Dot("packStale")).Block(
		id("m").Dot("repack").Call(),
	).Else().If(id("s").Dot("ownPack").Op("&&").Id("s").Dot("packStale")).Block(
		id("m").Dot("packInto").Call(id("s").Dot("packed")),
		id("s").Dot("packStale").Op("=").False(),
	)
}

// shardSetThreads is SetThreads' statement for the parts' packed weights:
// on several threads, parts after the first get their own copy (once).
func (g *gen) shardSetThreads() jen.Code {
	if !g.splitPacks() {
		return jen.Null()
	}
	s := func() *jen.Statement { return id("m").Dot("shards").Index(id("i")) }
	return jen.For(id("i").Op(":=").Lit(1), id("i").Op("<").Len(id("m").Dot("shards")), id("i").Op("++")).Block(
		jen.If(id("p").Dot("Threads").Call().Op("==").Lit(1)).Block(
			jen.List(s().Dot("packed"), s().Dot("ownPack")).Op("=").List(id("m").Dot("packed"), jen.False()),
		).Else().If(jen.Op("!").Add(s().Dot("ownPack"))).Block(
			jen.List(s().Dot("packed"), s().Dot("ownPack"), s().Dot("packStale")).Op("=").List(
				jen.Make(jen.Index().Add(g.ft()), lit(g.packSize())), jen.True(), jen.True()),
		))
}

// sumParts renders the body of sumParts.
func (g *gen) sumParts(f *ir.Func) ([]jen.Code, error) {
	loss := f.Result("loss")
	if loss == nil {
		return nil, fmt.Errorf("the train func needs a scalar result named loss")
	}
	loc := f.Plan.Loc[loss]
	if loc.Space != ir.SpaceArena {
		return nil, fmt.Errorf("split train step: the loss is not in the arena")
	}
	part := func(i jen.Code) *jen.Statement { return id("m").Dot("shards").Index(i) }
	// The loss: a mean weighs each part's by its rows.
	term := jen.Float64().Call(id("s").Dot("arena").Index(lit(loc.Offset)))
	total := jen.Id("l")
	if loss.Op == ir.OpMean {
		term = term.Op("*").Float64().Call(id("s").Dot("n"))
		total = jen.Id("l").Op("/").Float64().Call(id("n"))
	}
	body := []jen.Code{
		jen.Var().Id("l").Float64(),
		jen.For(id("i").Op(":=").Range().Id("m").Dot("shards")).Block(
			jen.If(id("s").Op(":=").Op("&").Add(part(id("i"))), id("s").Dot("n").Op(">").Lit(0)).Block(
				id("l").Op("+=").Add(term))),
		id("m").Dot("arena").Index(lit(loc.Offset)).Op("=").Add(g.ft()).Call(total),
	}
	if !g.partSumInOptim() {
		for _, r := range g.gradRanges() {
			body = append(body, g.partSum(window("m.grads", L(r[0]), lit(r[1]-r[0])),
				func(base string) jen.Code { return window(base, L(r[0]), lit(r[1]-r[0])) })...)
		}
	}
	return body, nil
}

// partSumInOptim reports whether the parallel optimizer update sums the
// parts' gradients, block by block, instead of sumParts.
func (g *gen) partSumInOptim() bool {
	_, ok := g.parallelOptim()
	return ok && g.splitTrain() != nil && g.partAdd != ""
}

// partSum renders the sum of the parts' gradients over one range: dst is
// the range of the gradient block, part(base) the same range of the
// gradient slice base. Part 0, the gradient block, is empty only when n
// is below the number of parts; its gradients are then stale.
func (g *gen) partSum(dst jen.Code, part func(base string) jen.Code) []jen.Code {
	var add jen.Code
	if g.partAdd != "" {
		add = id(g.partAdd).Call(dst, dst, part("s.grads"))
	} else {
		add = jen.For(jen.List(id("j"), id("v")).Op(":=").Range().Add(part("s.grads"))).Block(
			jen.Add(dst).Index(id("j")).Op("+=").Id("v"))
	}
	return []jen.Code{
		jen.If(id("m").Dot("shards").Index(lit(0)).Dot("n").Op("==").Lit(0)).Block(jen.Clear(dst)),
		jen.For(id("i").Op(":=").Lit(1), id("i").Op("<").Len(id("m").Dot("shards")), id("i").Op("++")).Block(
			jen.If(id("s").Op(":=").Op("&").Id("m").Dot("shards").Index(id("i")), id("s").Dot("n").Op(">").Lit(0)).Block(add)),
	}
}
