package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// entryArg is one slice argument of an entry point and its run method.
type entryArg struct {
	name  string // model name of the input, target or output
	local string // Go parameter name
	typ   ir.Type
	out   bool
}

// entryArgs are the slices an entry point takes: Forward the inputs then
// the outputs, Evaluate and TrainStep the inputs then the targets.
func (g *gen) entryArgs(f *ir.Func) []entryArg {
	var args []entryArg
	decls := g.names.inputs
	if f.Name != "infer" {
		decls = append(append([]*ir.Decl(nil), decls...), g.names.targets...)
	}
	for _, d := range decls {
		args = append(args, entryArg{name: d.Name, local: g.names.local[d.Name], typ: d.Type})
	}
	if f.Name == "infer" {
		for _, r := range f.Results {
			args = append(args, entryArg{name: r.Name, local: g.names.local[r.Name], typ: r.Value.Type, out: true})
		}
	}
	return args
}

// runName is the method that runs f: runInfer, runEval, runTrain.
func runName(f *ir.Func) string { return "run" + upperFirst(camel(f.Name)) }

// view renders the slice holding v in f, with n the batch size in scope.
func (g *gen) view(f *ir.Func, v *ir.Value) *jen.Statement {
	loc, ok := f.Plan.Loc[v]
	if !ok {
		panic(fmt.Sprintf("codegen: v%d of func %s has no location", v.ID, f.Name))
	}
	size := sizeCode(prod(dims(v.Type.Shape)))
	switch loc.Space {
	case ir.SpaceInput, ir.SpaceOutput:
		return id(g.names.local[loc.Name])
	case ir.SpaceArena:
		return window(g.recv+".arena", L(loc.Offset), size)
	case ir.SpaceIntArena:
		return window(g.recv+".iarena", L(loc.Offset), size)
	case ir.SpaceU8Arena:
		return window(g.recv+".u8arena", L(loc.Offset), size)
	case ir.SpaceParam:
		return window("m.params", L(loc.Offset), size)
	case ir.SpaceGrad:
		return window(g.recv+".grads", L(loc.Offset), size)
	case ir.SpaceBuffer:
		return window("m.buffers", L(loc.Offset), size)
	}
	panic(fmt.Sprintf("codegen: v%d of func %s in unknown space %v", v.ID, f.Name, loc.Space))
}

// first renders the first element of v's slice, for scalar results.
func (g *gen) first(f *ir.Func, v *ir.Value) *jen.Statement {
	r := g.recv
	base := map[ir.Space]string{ir.SpaceArena: r + ".arena", ir.SpaceIntArena: r + ".iarena", ir.SpaceU8Arena: r + ".u8arena", ir.SpaceParam: "m.params",
		ir.SpaceGrad: r + ".grads", ir.SpaceBuffer: "m.buffers"}
	if loc := f.Plan.Loc[v]; base[loc.Space] != "" {
		return id(base[loc.Space]).Index(lit(loc.Offset))
	}
	return g.view(f, v).Index(lit(0))
}

// emitRun emits the method that runs f's kernels in schedule order and
// then moves its results where the model keeps them; a split train step
// gets the methods of shard.go instead.
func (g *gen) emitRun(file *jen.File, f *ir.Func) error {
	if f.Shards > 1 {
		return g.emitSplitRun(file, f)
	}
	params := []jen.Code{id("n").Int()}
	for _, a := range g.entryArgs(f) {
		params = append(params, id(a.local).Index().Add(g.T(a.typ.DType)))
	}
	calls, err := g.runCalls(f)
	if err != nil {
		return err
	}
	body := append(g.repackIfStale(f), calls...)
	body = append(body, jen.Return(jen.Nil()))
	file.Commentf("%s runs func %s on n rows.", runName(f), f.Name)
	file.Func().Params(id("m").Op("*").Id("Model")).Id(runName(f)).Params(params...).Error().Block(body...)
	file.Line()
	return nil
}

// runCalls renders the kernel calls of f in schedule order, then the moves
// of its results, on the memory of g.recv.
func (g *gen) runCalls(f *ir.Func) ([]jen.Code, error) {
	var body []jen.Code
	for _, v := range f.Values {
		c := g.calls[v]
		if c == nil {
			continue
		}
		if g.opts.Poison {
			body = append(body, g.poison(f, v)...)
			for _, cv := range c.k.companions {
				body = append(body, g.poison(f, cv)...)
			}
		}
		args := []jen.Code{}
		if c.k.par {
			args = append(args, jen.Op("&").Id(g.recv).Dot("job"))
		}
		if c.k.usesN {
			args = append(args, id("n"))
		}
		if c.k.usesTotal {
			args = append(args, id("total"))
		}
		if c.k.usesStep {
			args = append(args, jen.Uint64().Call(id("m").Dot("step")))
		}
		if c.k.keep > 0 {
			args = append(args, id("m").Dot("keep").Index(lit(c.k.keep-1)))
		}
		args = append(args, g.view(f, v))
		for _, cv := range c.k.companions {
			args = append(args, g.view(f, cv))
		}
		if c.k.parScratch > 0 {
			args = append(args, id(g.recv).Dot("scratch"))
		} else if c.k.pack > 0 {
			args = append(args, g.packedView(c.k.pack-1))
		} else if c.k.scratch > 0 {
			args = append(args, window(g.recv+".scratch", L(0), lit(c.k.scratch)))
		}
		for _, a := range c.k.args {
			args = append(args, g.view(f, a))
		}
		if c.k.errs {
			body = append(body, jen.If(id("err").Op(":=").Id(c.name).Call(args...), id("err").Op("!=").Nil()).Block(jen.Return(id("err"))))
		} else {
			body = append(body, id(c.name).Call(args...))
		}
	}
	tail, err := g.resultMoves(f)
	if err != nil {
		return nil, err
	}
	return append(body, tail...), nil
}

// resultMoves copies results that were not computed in place: outputs into
// the caller's slices, gradients into the gradient block, and (last, since
// other results may read the old values) new buffer values into the buffer
// block.
func (g *gen) resultMoves(f *ir.Func) ([]jen.Code, error) {
	var moves, updates []jen.Code
	for _, r := range f.Results {
		loc := f.Plan.Loc[r.Value]
		size := r.Value.Type.Shape.Elems(1)
		switch {
		case f.Name == "infer":
			if loc != (ir.Loc{Space: ir.SpaceOutput, Name: r.Name}) {
				moves = append(moves, jen.Copy(id(g.names.local[r.Name]), g.view(f, r.Value)))
			}
		case strings.HasPrefix(r.Name, "grad.") && g.p.Decl(strings.TrimPrefix(r.Name, "grad.")) != nil:
			// The gradient of an input (dlc build -grad-input) is computed
			// but not exposed yet.
		case strings.HasPrefix(r.Name, "grad."):
			i := paramIndex(g.p.Params, strings.TrimPrefix(r.Name, "grad."))
			if i < 0 || r.Value.Type.Shape.Batched() || size != g.p.Params[i].Type.Shape.Elems(1) {
				return nil, fmt.Errorf("result %s of type %v is not the gradient of a parameter", r.Name, r.Value.Type)
			}
			if loc != (ir.Loc{Space: ir.SpaceGrad, Offset: g.pOff[i]}) {
				moves = append(moves, jen.Copy(window(g.recv+".grads", L(g.pOff[i]), lit(size)), g.view(f, r.Value)))
			}
		case strings.HasPrefix(r.Name, "update."):
			i := paramIndex(g.p.Buffers, strings.TrimPrefix(r.Name, "update."))
			if i < 0 || g.bOff[i] < 0 || r.Value.Type.Shape.Batched() || size != g.p.Buffers[i].Type.Shape.Elems(1) {
				return nil, fmt.Errorf("result %s of type %v is not the new value of a buffer", r.Name, r.Value.Type)
			}
			updates = append(updates, jen.Copy(window("m.buffers", L(g.bOff[i]), lit(size)), g.view(f, r.Value)))
		}
	}
	return append(moves, updates...), nil
}

func paramIndex(ps []*ir.Param, name string) int {
	for i, q := range ps {
		if q.Name == name {
			return i
		}
	}
	return -1
}

// poison renders the NaN (or -1, or 255) fill of v's memory when v lives
// in an arena; see Options.Poison.
func (g *gen) poison(f *ir.Func, v *ir.Value) []jen.Code {
	switch f.Plan.Loc[v].Space {
	case ir.SpaceArena:
		return []jen.Code{g.helper("poison").Call(g.view(f, v))}
	case ir.SpaceIntArena:
		return []jen.Code{g.helper("poisonInts").Call(g.view(f, v))}
	case ir.SpaceU8Arena:
		return []jen.Code{g.helper("poisonBytes").Call(g.view(f, v))}
	}
	return nil
}
