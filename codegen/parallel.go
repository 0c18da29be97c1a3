package codegen

import (
	"strconv"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
	rt "github.com/dlc-lang/dlc/runtime"
)

// Parallel kernels. A Model owns a runtime.Pool (SetThreads; a new Model
// runs on GOMAXPROCS threads, and runtime.Grain's cost rule keeps loops too
// small to repay a hand-off, such as the LSTM's per-step products, on the
// caller) and one job, the loop of the kernel that runs: a Model runs one
// kernel at a time. A parallel kernel takes jb *job first,
// stores its slices in jb.f and a non-capturing func literal in jb.run,
// then runs jb.body (the method value jb.exec, built once in New) through
// the pool: no allocation per call.
//
// Loops are split only over independent rows (the samples of a
// convolution, the rows of a GEMM), each row computed by the same code
// whatever the chunk, so results are bit-identical for every thread count.
// Chunk c of a loop that needs scratch memory uses tmp[c·size:][:size]; the
// model's scratch block holds Threads such blocks (SetThreads grows it).

// jobSlots is the number of float slices a job carries, jobIntSlots the
// number of int32 slices (labels, the argmax of windows over 256 taps) and
// jobByteSlots the number of uint8 slices (max pooling's window offsets),
// which jobs have only in models that use them (gen.u8).
const (
	jobSlots     = 8
	jobIntSlots  = 2
	jobByteSlots = 2
)

// parallel renders the outer part of a loop over rows [0, rows) split
// across the pool: each row costs work floating-point operations and, when
// size > 0, a chunk needs size elements of scratch. body renders the loop
// over [lo, hi), with the kernel's slice parameters, n and (when size > 0)
// tmp, the chunk's scratch, in scope. ok is false when the kernel's
// parameters do not fit a job; the caller then emits the serial loop.
// A kernel may render several parallel loops, one after the other.
func (k *kernel) parallel(rows jen.Code, work, size int, body []jen.Code) (jen.Code, bool) {
	if !k.g.parOK() {
		return nil, false
	}
	// The slices: dst, companions, args (tmp is passed apart).
	var fnames, inames, bnames []string
	add := func(name string, t ir.DType) bool {
		switch t {
		case k.g.float:
			fnames = append(fnames, name)
		case ir.I32:
			inames = append(inames, name)
		case ir.U8:
			bnames = append(bnames, name)
		default:
			return false
		}
		return true
	}
	ok := add("dst", k.v.Type.DType)
	for i, c := range k.companions {
		ok = ok && add("dst"+strconv.Itoa(i+1), c.Type.DType)
	}
	for i, a := range k.args {
		ok = ok && add("x"+strconv.Itoa(i), a.Type.DType)
	}
	if !ok || len(fnames) > jobSlots || len(inames) > jobIntSlots || len(bnames) > jobByteSlots || len(bnames) > 0 && !k.g.u8 {
		return nil, false
	}
	k.par = true
	k.usesN = true
	if size > 0 {
		k.parScratch = size
	}
	inner := []jen.Code{define("n", id("jb").Dot("n"))}
	used := []jen.Code{id("n")}
	blanks := []jen.Code{id("_")}
	bind := func(names []string, field string) []jen.Code {
		var slots, locals, uses []jen.Code
		for i, nm := range names {
			slots = append(slots, id(nm))
			locals = append(locals, id(nm))
			uses = append(uses, id("jb").Dot(field).Index(lit(i)))
			used = append(used, id(nm))
			blanks = append(blanks, id("_"))
		}
		if len(names) > 0 {
			inner = append(inner, jen.List(locals...).Op(":=").List(uses...))
		}
		return slots
	}
	fslots := bind(fnames, "f")
	islots := bind(inames, "i")
	bslots := bind(bnames, "b")
	inner = append(inner, jen.List(blanks...).Op("=").List(used...))
	if size > 0 {
		inner = append(inner, define("tmp", id("jb").Dot("scratch").Call(id("lo"))))
	} else if k.scratch > 0 {
		inner = append(inner, define("tmp", id("jb").Dot("tmp")), id("_").Op("=").Id("tmp"))
	}
	inner = append(inner, body...)
	tmp := jen.Nil()
	if k.scratch > 0 {
		tmp = id("tmp")
	}
	args := []jen.Code{id("n"), rows, jen.Lit(rt.Grain(work)), jen.Lit(size), tmp,
		jen.Index(jen.Lit(jobSlots)).Index().Add(k.g.ft()).Values(fslots...),
		jen.Index(lit(jobIntSlots)).Index().Int32().Values(islots...)}
	if k.g.u8 {
		args = append(args, jen.Index(lit(jobByteSlots)).Index().Uint8().Values(bslots...))
	}
	fn := jen.Func().Params(id("jb").Op("*").Id("job"), jen.List(id("lo"), id("hi")).Int()).Block(inner...)
	return jen.Block(
		id("jb").Dot("set").Call(append(args, fn)...),
		id("jb").Dot("pool").Dot("ForGrain").Call(id("jb").Dot("rows"), id("jb").Dot("grain"), id("jb").Dot("body")),
	), true
}

// parOK reports whether kernels may be parallel.
func (g *gen) parOK() bool { return useParallel }

// useParallel turns parallel kernels on; tests may clear it.
var useParallel = true

// hasPar reports whether any kernel of the model is parallel.
func (g *gen) hasPar() bool {
	for _, c := range g.calls {
		if c.k.par {
			return true
		}
	}
	return false
}

// emitJob emits the job type and SetThreads.
func (g *gen) emitJob(file *jen.File, scratch int) {
	ft := g.ft()
	slice := jen.Index().Add(ft)
	jb := func() *jen.Statement { return id("jb") }
	file.Comment("job is the parallel loop of the kernel that runs: the kernel sets its arguments and run,")
	file.Comment("a func literal that captures nothing; body, the method value exec built once by New, is what")
	file.Comment("the pool calls, so a loop allocates nothing.")
	fields := []jen.Code{
		id("pool").Op("*").Qual(runtimePath, "Pool").Comment("nil: one thread"),
		id("n").Int().Comment("batch size"),
		jen.List(id("rows"), id("grain"), id("chunks")).Int().Comment("the loop: ForGrain(rows, grain) in chunks chunks"),
		id("size").Int().Comment("scratch elements per chunk"),
		id("at").Int().Comment("the first sample of the group a grouped loop works on"),
		id("tmp").Add(slice.Clone()).Comment("scratch: chunk c uses tmp[c*size:][:size]"),
		id("f").Index(jen.Lit(jobSlots)).Add(slice.Clone()).Comment("the kernel's slices"),
		id("i").Index(jen.Lit(jobIntSlots)).Index().Int32().Comment("the kernel's int32 slices"),
	}
	if g.u8 {
		fields = append(fields, id("b").Index(jen.Lit(jobByteSlots)).Index().Uint8().Comment("the kernel's uint8 slices"))
	}
	fields = append(fields,
		id("run").Func().Params(id("jb").Op("*").Id("job"), jen.List(id("lo"), id("hi")).Int()),
		id("body").Func().Params(jen.List(id("lo"), id("hi")).Int()),
	)
	file.Type().Id("job").Struct(fields...)
	file.Line()
	file.Comment("exec runs rows [lo, hi) of the loop.")
	file.Func().Params(jb().Op("*").Id("job")).Id("exec").Params(jen.List(id("lo"), id("hi")).Int()).Block(
		id("jb").Dot("run").Call(id("jb"), id("lo"), id("hi")))
	file.Line()
	file.Comment("set prepares a loop over rows rows of grain grain.")
	params := []jen.Code{
		jen.List(id("n"), id("rows"), id("grain"), id("size")).Int(), id("tmp").Add(slice.Clone()),
		id("f").Index(jen.Lit(jobSlots)).Add(slice.Clone()), id("i").Index(jen.Lit(jobIntSlots)).Index().Int32(),
	}
	names := []string{"tmp", "f", "i"}
	if g.u8 {
		params = append(params, id("b").Index(jen.Lit(jobByteSlots)).Index().Uint8())
		names = append(names, "b")
	}
	params = append(params, id("run").Func().Params(jen.Op("*").Id("job"), jen.Int(), jen.Int()))
	var slots, vals []jen.Code
	for _, nm := range append(names, "run") {
		slots, vals = append(slots, jb().Dot(nm)), append(vals, id(nm))
	}
	file.Func().Params(jb().Op("*").Id("job")).Id("set").Params(params...).Block(
		jen.List(jb().Dot("n"), jb().Dot("rows"), jb().Dot("grain"), jb().Dot("size")).Op("=").List(id("n"), id("rows"), id("grain"), id("size")),
		jen.List(slots...).Op("=").List(vals...),
		jb().Dot("chunks").Op("=").Add(jb().Dot("pool").Dot("Chunks").Call(id("rows"), id("grain"))),
	)
	file.Line()
	file.Comment("scratch returns the scratch of the chunk that starts at row lo (chunks as runtime.Pool cuts them).")
	file.Func().Params(jb().Op("*").Id("job")).Id("scratch").Params(id("lo").Int()).Add(slice.Clone()).Block(
		define("c", lit(0)),
		jen.If(jb().Dot("chunks").Op(">").Lit(1)).Block(
			jen.List(id("q"), id("r")).Op(":=").List(jb().Dot("rows").Op("/").Add(jb().Dot("chunks")), jb().Dot("rows").Op("%").Add(jb().Dot("chunks"))),
			jen.If(id("lo").Op("<").Id("r").Op("*").Parens(id("q").Op("+").Lit(1))).Block(
				id("c").Op("=").Id("lo").Op("/").Parens(id("q").Op("+").Lit(1)),
			).Else().Block(
				id("c").Op("=").Id("r").Op("+").Parens(id("lo").Op("-").Id("r").Op("*").Parens(id("q").Op("+").Lit(1))).Op("/").Id("q"),
			),
		),
		jen.Return(jb().Dot("tmp").Index(id("c").Op("*").Add(jb().Dot("size")), jen.Empty()).Index(jen.Empty(), jb().Dot("size"))),
	)
	file.Line()
	file.Comment("SetThreads sets the number of threads the heavy kernels (convolutions, large matrix")
	file.Comment("products) run on, splitting them over independent rows: results are bit-identical for")
	file.Comment("every thread count. n <= 0 means runtime.GOMAXPROCS(0), the count New sets; small layers")
	file.Comment("stay on the calling goroutine whatever the count (runtime.Grain's cost rule).")
	if f := g.splitTrain(); f != nil {
		file.Commentf("A train step runs its batch in %d parts, one per thread (see runTrain).", f.Shards)
	}
	file.Comment("The worker goroutines stop when the Model becomes unreachable. SetThreads allocates; it")
	file.Comment("must not be called during another method.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("SetThreads").Params(id("n").Int()).Block(
		define("p", jen.Qual(runtimePath, "NewPool").Call(id("n"))),
		id("m").Dot("job").Dot("pool").Op("=").Id("p"),
		jen.If(id("need").Op(":=").Id("p").Dot("Threads").Call().Op("*").Lit(scratch), id("len").Call(id("m").Dot("scratch")).Op("<").Id("need")).Block(
			id("m").Dot("scratch").Op("=").Make(slice.Clone(), id("need"))),
		g.shardSetThreads(),
	)
	file.Line()
}
