package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// kernel is one generated function under construction: it computes one IR
// value into dst from the slices of its arguments.
//
//	func name(n int, step uint64, keep []T, dst []T, tmp []T, x0 []T, x1 []int32, ...) error
//
// n (the batch size) appears when the body uses it, step when it draws
// random numbers, tmp when it needs scratch memory (the model's scratch
// block, shared by all kernels), and the error result when the op reads
// ids that may be out of range.
type kernel struct {
	g    *gen
	f    *ir.Func
	v    *ir.Value
	args []*ir.Value // the values passed after dst, in parameter order
	// companions are further results the kernel writes (ir.IsCompanion),
	// passed as dst1, dst2, ... after dst.
	companions []*ir.Value
	body       []jen.Code

	// loopStmts are statements the scalar expression of a loop body needs
	// before it (temporaries of a fused expression); see takeLoopStmts.
	loopStmts []jen.Code

	usesN, usesStep, errs bool
	// usesTotal marks a kernel of a part of a split train step (shard.go)
	// that needs the whole batch's row count, total, beside its own n.
	usesTotal bool
	keep      int               // 1 + the dropout layer whose fixed mask the kernel takes as keep, or 0
	scratch   int               // elements of scratch memory (parameter tmp) the kernel needs
	pack      int               // 1 + the packed weight (g.packs) passed as tmp instead of scratch, or 0
	views     map[int]sliceView // arguments read in place through slice views (sliceview.go)

	// par marks a parallel kernel (parallel.go): it takes jb *job first
	// and, when parScratch > 0, the whole scratch block as tmp, parScratch
	// elements per chunk.
	par        bool
	parScratch int
}

// arg registers argument i of the value as a parameter and returns its name.
func (k *kernel) arg(i int) string {
	a := k.v.Args[i]
	for j, b := range k.args {
		if b == a {
			return fmt.Sprintf("x%d", j)
		}
	}
	k.args = append(k.args, a)
	return fmt.Sprintf("x%d", len(k.args)-1)
}

// add appends statements to the body.
func (k *kernel) add(code ...jen.Code) { k.body = append(k.body, code...) }

// dim is a size known up to the batch: k, or k·n when b.
type dim struct {
	k int
	b bool
}

// dims converts a static shape; B becomes the batch size n.
func dims(s ir.Shape) []dim {
	out := make([]dim, len(s))
	for i, d := range s {
		if d == ir.B {
			out[i] = dim{1, true}
		} else {
			out[i] = dim{d, false}
		}
	}
	return out
}

// prod is the product of ds.
func prod(ds []dim) dim {
	p := dim{k: 1}
	for _, d := range ds {
		p.k *= d.k
		p.b = p.b || d.b
	}
	return p
}

// batch is the most rows the kernel's func passes it: the compiled batch,
// or one part of it in a split train step.
func (k *kernel) batch() int { return k.f.ShardRows(k.g.p.Batch) }

// size renders a dim, marking n used when it is batched.
func (k *kernel) size(d dim) *jen.Statement {
	k.usesN = k.usesN || d.b
	return sizeCode(d)
}

// sizeCode renders a dim: k, or n*k with n the batch size in scope.
func sizeCode(d dim) *jen.Statement {
	switch {
	case !d.b:
		return lit(d.k)
	case d.k == 1:
		return id("n")
	}
	return id("n").Op("*").Lit(d.k)
}

// elems renders the number of elements of a value of shape s.
func (k *kernel) elems(s ir.Shape) *jen.Statement { return k.size(prod(dims(s))) }

// T is the element type of a value.
func (g *gen) T(d ir.DType) *jen.Statement {
	switch d {
	case ir.I32:
		return id("int32")
	case ir.U8:
		return id("uint8")
	case ir.F64:
		return id("float64")
	}
	return id("float32")
}

// ft is the program's float type.
func (g *gen) ft() *jen.Statement { return g.T(g.float) }

// signature renders the kernel's parameter list.
func (k *kernel) signature() []jen.Code {
	var ps []jen.Code
	if k.par {
		ps = append(ps, id("jb").Op("*").Id("job"))
	}
	if k.usesN {
		ps = append(ps, id("n").Int())
	}
	if k.usesTotal {
		ps = append(ps, id("total").Int())
	}
	if k.usesStep {
		ps = append(ps, id("step").Uint64())
	}
	if k.keep > 0 {
		ps = append(ps, id("keep").Index().Add(k.g.ft()))
	}
	ps = append(ps, id("dst").Index().Add(k.g.T(k.v.Type.DType)))
	for i, c := range k.companions {
		ps = append(ps, id(fmt.Sprintf("dst%d", i+1)).Index().Add(k.g.T(c.Type.DType)))
	}
	if k.scratch > 0 {
		ps = append(ps, id("tmp").Index().Add(k.g.ft()))
	}
	for i, a := range k.args {
		ps = append(ps, id(fmt.Sprintf("x%d", i)).Index().Add(k.g.T(a.Type.DType)))
	}
	return ps
}

// decl renders the kernel as a function named name.
func (k *kernel) decl(name string) *jen.Statement {
	s := jen.Func().Id(name).Params(k.signature()...)
	if k.errs {
		s = s.Error()
	}
	body := k.body
	if k.errs {
		body = append(append([]jen.Code(nil), body...), jen.Return(jen.Nil()))
	}
	return s.Block(body...)
}

// takeLoopStmts returns and clears the pending loop-body statements.
func (k *kernel) takeLoopStmts() []jen.Code {
	s := k.loopStmts
	k.loopStmts = nil
	return s
}
