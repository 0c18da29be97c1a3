package codegen

import (
	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// The optimizer update on the pool. The update is elementwise over the
// parameter, gradient and state blocks, so it splits at any element
// without changing a result: optimize stores its scalars in the model
// (optArgs) and runs optimBlocks, a method value built once in New, over
// blocks of optimBlock elements through the model's pool; on one thread
// that is a single call over the whole range, as before.

// optimBlock is the elements per block of the parallel update: a multiple
// of every vector width, so that chunks split between vectors.
const optimBlock = 4096

// optimGrain is the fewest blocks a thread of the parallel update gets:
// 16K elements, 5-10 µs of memory-bound work, against a hand-off of about
// a microsecond.
const optimGrain = 4

// optimPar describes the parallel update: the one parameter range it
// covers and the names of the vector kernel's scalar arguments.
type optimPar struct {
	lo, hi  int
	scalars []string
}

// parallelOptim returns the parallel update's plan, or ok false when the
// update stays a serial loop: without the vector kernel, or when the
// trainable parameters are not one range.
func (g *gen) parallelOptim() (optimPar, bool) {
	o := g.p.Optimizer
	if o == nil || g.p.Lookup("train") == nil || !useElemAsm || g.float != ir.F32 || !g.parOK() {
		return optimPar{}, false
	}
	if _, ok := hyperNames[o.Kind]; !ok {
		return optimPar{}, false
	}
	ranges := g.gradRanges()
	if len(ranges) != 1 {
		return optimPar{}, false
	}
	_, scalars := optimStep(o.Kind, hypers(o.Kind, o.Hyper), g.stateKeys())
	return optimPar{lo: ranges[0][0], hi: ranges[0][1], scalars: scalars}, true
}

// optimFields are the Model fields of the parallel update.
func (g *gen) optimFields() []jen.Code {
	p, ok := g.parallelOptim()
	if !ok {
		return nil
	}
	return []jen.Code{
		id("optArgs").Index(lit(len(p.scalars))).Add(g.ft()).Comment("the optimizer kernel's scalars for optimBlocks"),
		id("optBody").Func().Params(jen.List(id("lo"), id("hi")).Int()).Comment("optimBlocks as a method value, built once"),
	}
}

// optimInit is New's statement for the parallel update.
func (g *gen) optimInit() []jen.Code {
	if _, ok := g.parallelOptim(); !ok {
		return nil
	}
	return []jen.Code{id("m").Dot("optBody").Op("=").Id("m").Dot("optimBlocks")}
}

// emitOptimParallel renders optimize's call of the update through the
// pool and emits optimBlocks; keys are the state blocks in order.
func (g *gen) emitOptimParallel(file *jen.File, p optimPar, keys []string) []jen.Code {
	size := p.hi - p.lo
	blocks := (size + optimBlock - 1) / optimBlock
	var sc []jen.Code
	for _, s := range p.scalars {
		sc = append(sc, id(s))
	}
	call := []jen.Code{
		id("m").Dot("optArgs").Op("=").Index(lit(len(p.scalars))).Add(g.ft()).Values(sc...),
		// A block streams 2+len(keys) arrays through a few operations per
		// element; optimGrain blocks make a chunk worth a hand-off.
		id("m").Dot("job").Dot("pool").Dot("ForGrain").Call(lit(blocks), lit(optimGrain), id("m").Dot("optBody")),
	}
	span := func(base string, off int) jen.Code {
		if off == 0 {
			return id(base).Index(id("a"), id("b"))
		}
		return id(base).Index(id("a").Op("+").Lit(off), id("b").Op("+").Lit(off))
	}
	args := []jen.Code{span("m.params", p.lo), span("m.grads", p.lo)}
	for s := range keys {
		args = append(args, span("m.state", s*g.pSize+p.lo))
	}
	for i := range p.scalars {
		args = append(args, id("m").Dot("optArgs").Index(lit(i)))
	}
	file.Commentf("optimBlocks applies the optimizer update to blocks [lo, hi) of %d elements of the", optimBlock)
	file.Comment("trainable parameters (optimize runs it through the pool).")
	body := []jen.Code{
		jen.List(id("a"), id("b")).Op(":=").List(id("lo").Op("*").Lit(optimBlock), id("min").Call(id("hi").Op("*").Lit(optimBlock), lit(size))),
	}
	if g.partSumInOptim() {
		file.Comment("The parts of the split train step are summed here, block by block, while the blocks are in cache.")
		body = append(body, g.partSum(span("m.grads", p.lo), func(base string) jen.Code { return span(base, p.lo) })...)
	}
	body = append(body, id(optimStepName).Call(args...))
	file.Func().Params(id("m").Op("*").Id("Model")).Id("optimBlocks").Params(jen.List(id("lo"), id("hi")).Int()).Block(body...)
	file.Line()
	return call
}
