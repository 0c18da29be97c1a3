package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// emitter writes the body of the kernel of one value. The table has one row
// per op that needs a kernel; init adds the elementwise ops, which share one
// emitter. Sources other than const and dropout_mask, and reshapes (views),
// need no kernel.
var emitters = map[ir.Op]func(k *kernel) error{
	ir.OpConst:       emitConst,
	ir.OpDropoutMask: emitDropoutMask,
	ir.OpCast:        emitCast,

	ir.OpSum:     emitReduce,
	ir.OpMean:    emitReduce,
	ir.OpMax:     emitReduce,
	ir.OpMaxGrad: emitMaxGrad,

	ir.OpTranspose: emitTranspose,
	ir.OpBroadcast: emitElementwise,
	ir.OpSlice:     emitSlice,
	ir.OpSliceGrad: emitSliceGrad,
	ir.OpMeanGrad:  emitMeanGrad,
	ir.OpConcat:    emitConcat,

	ir.OpMatMul:           emitMatMul,
	ir.OpConv2d:           emitConv2d,
	ir.OpConv2dGradInput:  emitConv2dGradInput,
	ir.OpConv2dGradWeight: emitConv2dGradWeight,
	ir.OpMaxPool2d:        emitMaxPool2d,
	ir.OpMaxPool2dGrad:    emitMaxPool2dGrad,
	ir.OpMaxPool2dGradIdx: emitMaxPool2dGradIdxAsm,
	ir.OpAvgPool2d:        emitAvgPool2d,
	ir.OpAvgPool2dGrad:    emitAvgPool2dGrad,

	ir.OpSoftmax:          emitSoftmax,
	ir.OpLogSoftmax:       emitSoftmax,
	ir.OpSoftmaxGrad:      emitSoftmaxGrad,
	ir.OpLogSoftmaxGrad:   emitSoftmaxGrad,
	ir.OpCrossEntropy:     emitClassLoss,
	ir.OpCrossEntropyGrad: emitCrossEntropyGrad,
	ir.OpNLL:              emitClassLoss,
	ir.OpNLLGrad:          emitNLLGrad,
	ir.OpGather:           emitGather,
	ir.OpScatterAdd:       emitScatterAdd,
}

// viewOps need no kernel: their values live in memory the model already has.
var viewOps = map[ir.Op]bool{ir.OpInput: true, ir.OpParam: true, ir.OpReshape: true}

func init() {
	for _, op := range ir.Ops() {
		if op.IsElementwise() {
			emitters[op] = emitElementwise
		}
	}
}

// root follows reshapes to the value that owns the storage.
func root(v *ir.Value) *ir.Value {
	for v.Op == ir.OpReshape {
		v = v.Args[0]
	}
	return v
}

// inlinable reports whether an elementwise kernel reads a as a literal:
// its storage is a const, uniform whatever the shape.
func inlinable(a *ir.Value) bool { return root(a).Op == ir.OpConst }

// neededConsts are the consts some value reads from memory: those used by a
// non-elementwise op or as a result. The others are never materialized.
func neededConsts(f *ir.Func) map[*ir.Value]bool {
	need := map[*ir.Value]bool{}
	for _, v := range f.Values {
		if v.Op == ir.OpReshape || v.Op.IsElementwise() || v.Op == ir.OpBroadcast || v.Op == ir.OpMeanGrad {
			continue
		}
		for _, a := range v.Args {
			if inlinable(a) {
				need[root(a)] = true
			}
		}
	}
	for _, r := range f.Results {
		if inlinable(r.Value) {
			need[root(r.Value)] = true
		}
	}
	return need
}

// buildKernels builds the kernel of every value of f that needs one,
// sharing a function between values whose kernels are identical.
func (g *gen) buildKernels(f *ir.Func) error {
	need := neededConsts(f)
	companions := companionsOf(f)
	views := g.sliceViews(f)
	for _, v := range f.Values {
		if viewOps[v.Op] || (v.Op == ir.OpConst && !need[v]) || ir.IsCompanion(v) || views.elided[v] {
			continue // companions are written by their producer's kernel, elided slices read in place
		}
		emit, ok := emitters[v.Op]
		if !ok {
			return fmt.Errorf("v%d: no kernel for op %s", v.ID, v.Op)
		}
		k := &kernel{g: g, f: f, v: v, companions: companions[v], views: views.args[v]}
		if err := emit(k); err == nil {
			err = k.emitCompanionSums()
		} else {
			return fmt.Errorf("%s: %s: %v", g.pos(v), v.Op, err)
		}
		key := fmt.Sprintf("%#v", k.decl("kernel"))
		name, seen := g.kernelByBody[key]
		if !seen {
			name = kernelName(f, v)
			g.kernelByBody[key] = name
			g.kernelDecls = append(g.kernelDecls, g.kernelComment(f, v).Add(k.decl(name)))
		}
		g.calls[v] = &call{name: name, k: k}
	}
	return nil
}

// pos is v's source position as file:line:col.
func (g *gen) pos(v *ir.Value) string {
	if !v.Pos.IsValid() {
		return g.sourceName()
	}
	return fmt.Sprintf("%s:%d:%d", g.sourceName(), v.Pos.Line, v.Pos.Col)
}

// kernelComment quotes the DSL line of v and shows its IR:
//
//	// mlp.dl:8:5: fc1 = dense(x, H, activation=relu)
//	// train %3 = matmul %0, %1 {tb=true} : f32[B,10]
func (g *gen) kernelComment(f *ir.Func, v *ir.Value) *jen.Statement {
	var lines []string
	if v.Pos.IsValid() {
		src := ""
		if l := v.Pos.Line; l >= 1 && l <= len(g.opts.SourceLines) {
			src = strings.TrimSpace(g.opts.SourceLines[l-1])
		}
		line := g.pos(v)
		if src != "" {
			line += ": " + src
		}
		lines = append(lines, line)
	}
	text := fmt.Sprintf("%s %%%d = %s", f.Name, v.ID, v.Op)
	for i, a := range v.Args {
		sep := ", "
		if i == 0 {
			sep = " "
		}
		text += fmt.Sprintf("%s%%%d", sep, a.ID)
	}
	if len(v.Attrs) > 0 {
		text += " " + v.Attrs.String()
	}
	lines = append(lines, text+" : "+v.Type.String())
	s := jen.Null()
	for _, l := range lines {
		s.Comment(l).Line()
	}
	return s
}
