package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// arenaSizes are the largest arenas any generated func needs (float, i32
// and u8, in elements; the parts of a split func side by side), and the
// largest scratch any kernel needs.
func (g *gen) arenaSizes() (floats, ints, bytes, scratch int) {
	floats, ints, bytes = ir.ModelArenas(g.p)
	for _, c := range g.calls {
		scratch = max(scratch, c.k.scratch)
	}
	return floats, ints, bytes, scratch
}

// emitModel emits the constants, the Tensor and Model types, New and the
// accessors.
func (g *gen) emitModel(file *jen.File) {
	g.emitConsts(file)
	ft := g.ft()
	file.Comment("Tensor is a named view into a model's memory, in PyTorch's name and layout: a")
	file.Comment("parameter or, when Buffer is set, a buffer (running statistics, not trained).")
	file.Type().Id("Tensor").Struct(
		id("Name").String(),
		id("Shape").Index().Int(),
		id("Data").Index().Add(ft),
		id("Buffer").Bool(),
	)
	file.Line()
	file.Commentf("Model is the %s model. New allocates all its memory; Forward, TrainStep and", g.p.Name)
	file.Comment("Evaluate allocate nothing. A Model is not safe for concurrent use.")
	file.Type().Id("Model").Struct(append([]jen.Code{
		id("params").Index().Add(ft).Comment("parameter block, Params order"),
		id("grads").Index().Add(ft).Comment("gradient block, laid out like params"),
		id("state").Index().Add(ft).Comment("optimizer state: one block like params per state tensor"),
		id("buffers").Index().Add(ft).Comment("buffer block"),
		id("counters").Index().Int64().Comment("integer buffers (num_batches_tracked)"),
		id("arena").Index().Add(ft).Comment("scratch for intermediate values"),
		id("iarena").Index().Int32().Comment("scratch for integer values"),
		id("u8arena").Index().Uint8().Comment("scratch for max pooling's window offsets"),
		id("scratch").Index().Add(ft).Comment("working memory of kernels (im2col)"),
		id("lr").Add(ft),
		id("step").Int64().Comment("training steps taken"),
		id("gradRows").Int().Comment("rows of the last TrainStep, for InputGrad"),
		id("tensors").Index().Id("Tensor"),
		id("job").Id("job").Comment("the loop of the parallel kernel that runs, and the thread pool"),
	}, append(append(append(g.keepField(), g.packFields()...), g.optimFields()...), g.shardFields()...)...)...)
	file.Line()
	g.emitShardTypes(file)
	g.emitNew(file)
	_, _, _, scratch := g.arenaSizes()
	g.emitJob(file, scratch)
	g.emitAccessors(file)
}

func (g *gen) emitConsts(file *jen.File) {
	defs := []jen.Code{jen.Comment("MaxBatch is the largest number of rows a call may pass."), id("MaxBatch").Op("=").Lit(g.p.Batch)}
	doc := func(kind, name string, t ir.Type) string {
		per := "per row"
		if !t.Shape.Batched() {
			per = "in all (it has no batch axis)"
		}
		return fmt.Sprintf("%s is the number of elements %s of %s %s (%v).", g.names.row[name], per, kind, name, t)
	}
	add := func(kind, name string, t ir.Type) {
		defs = append(defs, jen.Comment(doc(kind, name, t)), id(g.names.row[name]).Op("=").Lit(t.Shape.RowElems()))
	}
	for _, d := range g.names.inputs {
		add("input", d.Name, d.Type)
	}
	for _, d := range g.names.targets {
		add("target", d.Name, d.Type)
	}
	for _, r := range g.names.outputs {
		add("output", r.Name, r.Value.Type)
	}
	defs = append(defs, g.memoryConsts()...)
	file.Const().Defs(defs...)
	file.Line()
}

// memoryConsts are the figures of the memory plan and the work of a step:
// a model's arenas serve every func, so the byte counts are the largest
// over its funcs. They count every arena (float, i32, u8), each value at
// its dtype's size.
func (g *gen) memoryConsts() []jen.Code {
	elem := g.float.Size()
	naive, lower := 0, 0
	var plan []string
	for _, f := range g.funcs {
		pl := f.Plan
		a, nv, lb := pl.Bytes(g.float)
		naive, lower = max(naive, nv), max(lower, lb)
		parts := ""
		if pl.Shards > 1 {
			parts = fmt.Sprintf("%d parts × ", pl.Shards)
		}
		plan = append(plan, fmt.Sprintf("func %s: arena %d B = %s(float %d + int %d + u8 %d), lower bound %d B, naive %d B",
			f.Name, a, parts, pl.ArenaElems*elem, pl.IntArena.Elems*ir.I32.Size(), pl.U8Arena.Elems*ir.U8.Size(), lb, nv))
	}
	_, params := ir.Layout(g.p.Params)
	step := g.p.Lookup("train")
	if step == nil {
		step = g.p.Lookup("infer")
	}
	flops := 0
	if step != nil {
		flops = ir.FLOPs(step, g.p.Batch)
	}
	c := func(doc, name string, x int) []jen.Code { return []jen.Code{jen.Comment(doc), id(name).Op("=").Lit(x)} }
	var out []jen.Code
	out = append(out, c("ArenaBytes is the scratch memory of a Model: the float, int and u8 arenas, planned by liveness.", "ArenaBytes",
		ir.ModelArenaBytes(g.p, g.float))...)
	out = append(out, c("LowerBoundBytes is the most arena bytes live at one point of any func, summed over its arenas: no plan uses less.", "LowerBoundBytes", lower)...)
	out = append(out, jen.Comment("The plan per func:"))
	for _, l := range plan {
		out = append(out, jen.Comment("  "+l))
	}
	out = append(out, c("NaiveBytes is the arenas of the largest func without reuse: every value its own memory.", "NaiveBytes", naive)...)
	out = append(out, c("ParamBytes is the size of the parameter block.", "ParamBytes", params*elem)...)
	out = append(out, jen.Comment("FLOPsPerStep counts 2·M·N·K over the products (matmuls, convolutions and their gradients)"))
	out = append(out, c("of one training step (Forward when the model does not train) at MaxBatch rows.", "FLOPsPerStep", flops)...)
	return out
}

// stateKeys are the optimizer's state tensors, in block order, under
// torch.optim's names.
func (g *gen) stateKeys() []string {
	o := g.p.Optimizer
	if o == nil || g.p.Lookup("train") == nil {
		return nil
	}
	h := hypers(o.Kind, o.Hyper)
	switch o.Kind {
	case "sgd":
		if h["momentum"] != 0 {
			return []string{"momentum_buffer"}
		}
	case "adam", "adamw":
		if h["amsgrad"] != 0 {
			return []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
		}
		return []string{"exp_avg", "exp_avg_sq"}
	case "rmsprop":
		keys := []string{"square_avg"}
		if h["momentum"] > 0 {
			keys = append(keys, "momentum_buffer")
		}
		if h["centered"] != 0 {
			keys = append(keys, "grad_avg")
		}
		return keys
	}
	return nil
}

func (g *gen) emitNew(file *jen.File) {
	ft := g.ft()
	arena, iarena, u8arena, scratch := g.arenaSizes()
	lr := 0.0
	if o := g.p.Optimizer; o != nil {
		lr = hypers(o.Kind, o.Hyper)["lr"]
	}
	alloc := func(name string, t jen.Code, n int) jen.Code {
		return id(name).Op(":").Make(jen.Index().Add(t), lit(n))
	}
	body := []jen.Code{
		define("m", jen.Op("&").Id("Model").Add(lines(append([]jen.Code{
			alloc("params", ft, g.pSize), alloc("grads", ft, g.pSize), alloc("state", ft, len(g.stateKeys())*g.pSize),
			alloc("buffers", ft, g.bSize), alloc("counters", jen.Int64(), len(g.counters)),
			alloc("arena", ft, arena), alloc("iarena", jen.Int32(), iarena), alloc("u8arena", jen.Uint8(), u8arena),
			alloc("scratch", ft, scratch),
			id("lr").Op(":").Add(flit(lr)),
		}, append(g.keepAlloc(), g.packAlloc()...)...)...))),
	}
	needRNG := false
	var inits, tensors []jen.Code
	for i, q := range g.p.Params {
		inits = append(inits, g.initParam(q, window("m.params", L(g.pOff[i]), lit(q.Type.Shape.Elems(1))), &needRNG)...)
		tensors = append(tensors, g.tensorLit(q, "m.params", g.pOff[i], false))
	}
	for i, q := range g.p.Buffers {
		if g.bOff[i] < 0 {
			continue
		}
		inits = append(inits, g.initParam(q, window("m.buffers", L(g.bOff[i]), lit(q.Type.Shape.Elems(1))), &needRNG)...)
		tensors = append(tensors, g.tensorLit(q, "m.buffers", g.bOff[i], true))
	}
	if needRNG {
		body = append(body, define("rng", jen.Qual(runtimePath, "NewRNG").Call(id("seed"))))
	}
	body = append(body, inits...)
	body = append(body, id("m").Dot("job").Dot("body").Op("=").Id("m").Dot("job").Dot("exec"))
	body = append(body, g.shardInit()...)
	body = append(body, g.optimInit()...)
	body = append(body, id("m").Dot("tensors").Op("=").Index().Id("Tensor").Add(lines(tensors...)))
	body = append(body, id("m").Dot("SetThreads").Call(lit(0)))
	body = append(body, jen.Return(id("m")))
	seed := id("seed")
	if !needRNG {
		seed = id("_")
	}
	file.Comment("New returns a model whose parameters and buffers are initialized as the source declares")
	file.Comment("(PyTorch's default schemes), drawing from a runtime.RNG seeded with seed, in parameter")
	file.Comment("order: the same seed gives the same model. It runs on runtime.GOMAXPROCS(0) threads (see")
	file.Comment("SetThreads).")
	file.Func().Id("New").Params(seed.Uint64()).Op("*").Id("Model").Block(body...)
	file.Line()
}

// initParam renders the initialization of one parameter or buffer.
func (g *gen) initParam(q *ir.Param, dst jen.Code, needRNG *bool) []jen.Code {
	a := q.Init.Args
	arg := func(i int) jen.Code { return flit(a[i]) }
	switch {
	case q.Init.Kind == "zeros" && len(a) == 0:
		return nil
	case q.Init.Kind == "ones" && len(a) == 0:
		return []jen.Code{jen.Qual(runtimePath, "Constant").Call(dst, lit(1))}
	case q.Init.Kind == "constant" && len(a) == 1:
		return []jen.Code{jen.Qual(runtimePath, "Constant").Call(dst, arg(0))}
	case q.Init.Kind == "uniform" && len(a) == 2:
		*needRNG = true
		return []jen.Code{jen.Qual(runtimePath, "Uniform").Call(dst, id("rng"), arg(0), arg(1))}
	case q.Init.Kind == "normal" && len(a) == 2:
		*needRNG = true
		return []jen.Code{jen.Qual(runtimePath, "Normal").Call(dst, id("rng"), arg(0), arg(1))}
	}
	panic(fmt.Sprintf("codegen: parameter %s: unsupported init %s%v", q.Name, q.Init.Kind, a))
}

// checkInits reports parameters whose init codegen cannot emit.
func (g *gen) checkInits() error {
	ok := map[string]int{"zeros": 0, "ones": 0, "constant": 1, "uniform": 2, "normal": 2}
	for _, q := range append(append([]*ir.Param(nil), g.p.Params...), g.p.Buffers...) {
		if q.Type.DType == ir.I32 {
			continue
		}
		if n, known := ok[q.Init.Kind]; !known || n != len(q.Init.Args) {
			return fmt.Errorf("parameter %s: unsupported init %s with %d arguments", q.Name, q.Init.Kind, len(q.Init.Args))
		}
	}
	return nil
}

// shapeLit renders a PyTorch shape as []int{...}.
func shapeLit(s ir.Shape) jen.Code {
	ds := make([]jen.Code, len(s))
	for i, d := range s {
		ds[i] = lit(d)
	}
	return jen.Index().Int().Values(ds...)
}

func (g *gen) tensorLit(q *ir.Param, block string, off int, buffer bool) jen.Code {
	fields := []jen.Code{field("Name", jen.Lit(q.Name)), field("Shape", shapeLit(q.Type.Shape)),
		field("Data", window(block, L(off), lit(q.Type.Shape.Elems(1))))}
	if buffer {
		fields = append(fields, field("Buffer", jen.True()))
	}
	return jen.Values(fields...)
}

func (g *gen) emitAccessors(file *jen.File) {
	ft := g.ft()
	recv := func() *jen.Statement { return jen.Func().Params(id("m").Op("*").Id("Model")) }
	file.Comment("Params returns views of the parameters, then the float buffers, in declaration order.")
	file.Comment("The views share the model's memory; the slice itself must not be modified.")
	changed := []jen.Code{}
	if len(g.packs) > 0 {
		file.Comment("Changes made through the views before the next Forward, Evaluate or TrainStep take effect;")
		file.Comment("after that call, ask for the views again or call ParamsChanged before changing them again.")
		changed = g.markStale()
	}
	file.Add(recv().Id("Params").Params().Index().Id("Tensor").Block(append(changed, jen.Return(id("m").Dot("tensors")))...))
	file.Line()
	file.Comment("Grads returns the gradient block of the last TrainStep, laid out like ParamBlock.")
	file.Add(recv().Id("Grads").Params().Index().Add(ft).Block(jen.Return(id("m").Dot("grads"))))
	file.Line()
	if ir.TrainableElems(g.p.Params) < g.pSize {
		file.Comment("ParamBlock returns all parameters as one slice (the model's memory): the trainable ones in")
		file.Comment("Params order, then the frozen ones.")
	} else {
		file.Comment("ParamBlock returns all parameters as one slice (the model's memory), in Params order.")
	}
	if len(g.packs) > 0 {
		file.Comment("Changes made through it take effect as for Params: see ParamsChanged.")
	}
	file.Add(recv().Id("ParamBlock").Params().Index().Add(ft).Block(append(g.markStale(), jen.Return(id("m").Dot("params")))...))
	file.Line()
	g.emitRepack(file)
	file.Line()
	file.Comment("SetLR sets the optimizer's learning rate.")
	file.Add(recv().Id("SetLR").Params(id("lr").Add(ft)).Block(id("m").Dot("lr").Op("=").Id("lr")))
	file.Line()
	file.Comment("LR returns the optimizer's learning rate.")
	file.Add(recv().Id("LR").Params().Add(ft).Block(jen.Return(id("m").Dot("lr"))))
	file.Line()
	file.Comment("Step returns the number of training steps taken (saved as optimizer.step).")
	file.Add(recv().Id("Step").Params().Int64().Block(jen.Return(id("m").Dot("step"))))
	file.Line()
}

// emitSaveLoad emits Save, Load and the slot table they share.
func (g *gen) emitSaveLoad(file *jen.File) {
	slotField := "F32"
	if g.float == ir.F64 {
		slotField = "F64"
	}
	slot := func(name string, shape ir.Shape, data jen.Code, group string) jen.Code {
		fs := []jen.Code{field("Name", jen.Lit(name)), field("Shape", shapeLit(shape)), field(slotField, data)}
		if group != "" {
			fs = append(fs, field("Group", jen.Lit(group)))
		}
		return jen.Values(fs...)
	}
	var slots []jen.Code
	for i, q := range g.p.Params {
		slots = append(slots, slot(q.Name, q.Type.Shape, window("m.params", L(g.pOff[i]), lit(q.Type.Shape.Elems(1))), ""))
	}
	c := 0
	for i, q := range g.p.Buffers {
		if g.bOff[i] >= 0 {
			slots = append(slots, slot(q.Name, q.Type.Shape, window("m.buffers", L(g.bOff[i]), lit(q.Type.Shape.Elems(1))), ""))
			continue
		}
		slots = append(slots, jen.Values(field("Name", jen.Lit(q.Name)), field("Shape", shapeLit(q.Type.Shape)),
			field("I64", jen.Op("&").Id("m").Dot("counters").Index(lit(c)))))
		c++
	}
	if g.p.Optimizer != nil && g.p.Lookup("train") != nil {
		for s, key := range g.stateKeys() {
			for i, q := range g.p.Params {
				if q.Frozen {
					continue // never stepped: no state, as in torch.optim
				}
				slots = append(slots, slot("optimizer.state."+q.Name+"."+key, q.Type.Shape,
					window("m.state", L(s*g.pSize+g.pOff[i]), lit(q.Type.Shape.Elems(1))), "optimizer"))
			}
		}
		slots = append(slots, jen.Values(field("Name", jen.Lit("optimizer.step")), field("Shape", shapeLit(nil)),
			field("I64", jen.Op("&").Id("m").Dot("step")), field("Group", jen.Lit("optimizer"))))
		// The learning rate is a group of its own, so that files without it
		// (PyTorch state_dicts, older saves) still load their state.
		slots = append(slots, slot("optimizer.lr", nil, id("lr"), "optimizer.lr"))
	}
	hasLR := g.p.Optimizer != nil && g.p.Lookup("train") != nil
	lrParam, lrArg, lrBack := []jen.Code{}, []jen.Code{}, []jen.Code{}
	if hasLR {
		lrParam = []jen.Code{id("lr").Index().Add(g.ft())}
		lrArg = []jen.Code{id("lr")}
		lrBack = []jen.Code{id("m").Dot("lr").Op("=").Id("lr").Index(lit(0))}
	}
	lrDecl := func() []jen.Code {
		if !hasLR {
			return nil
		}
		return []jen.Code{define("lr", jen.Index().Add(g.ft()).Values(id("m").Dot("lr")))}
	}
	file.Comment("slots lists every tensor Save writes and Load reads, with the memory that holds it;")
	file.Comment("lr holds the learning rate, which is not kept in a slice.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("slots").Params(lrParam...).Index().Qual(runtimePath, "Slot").Block(
		jen.Return(jen.Index().Qual(runtimePath, "Slot").Add(lines(slots...))))
	file.Line()
	pkg := g.opts.Package
	file.Comment("Save writes the model as safetensors: the parameters and buffers under their PyTorch")
	file.Comment("state_dict names, then the optimizer state as optimizer.state.<param>.<key>, the step")
	file.Comment("count as optimizer.step (I64) and the learning rate as optimizer.lr.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("Save").Params(id("w").Qual("io", "Writer")).Error().Block(append(lrDecl(),
		jen.If(id("err").Op(":=").Qual(runtimePath, "SaveTensors").Call(id("w"), id("m").Dot("slots").Call(lrArg...), jen.Nil()), id("err").Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(pkg+": save: %w"), id("err")))),
		jen.Return(jen.Nil()))...)
	file.Line()
	file.Comment("Load reads a safetensors file written by Save or a plain PyTorch state_dict (which leaves the")
	file.Comment("optimizer state and the learning rate alone). It checks every tensor's name, dtype and shape")
	file.Comment("before changing anything: on an error the model is unchanged. F32 and F64 data load into")
	file.Comment("either build.")
	load := append(append(append(g.markStale(), lrDecl()...),
		jen.If(id("err").Op(":=").Qual(runtimePath, "LoadTensors").Call(id("r"), id("m").Dot("slots").Call(lrArg...)), id("err").Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(pkg+": load: %w"), id("err"))))), lrBack...)
	file.Func().Params(id("m").Op("*").Id("Model")).Id("Load").Params(id("r").Qual("io", "Reader")).Error().Block(append(load,
		jen.Return(jen.Nil()))...)
	file.Line()
}
