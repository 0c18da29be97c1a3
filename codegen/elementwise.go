package codegen

import (
	"fmt"
	"math"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// operand is one input of a strided loop nest: a slice parameter read with
// one stride per loop axis (0 on broadcast axes), or a literal.
type operand struct {
	name    string
	literal jen.Code
	strides []int
	offset  int // of element 0 in the slice (slice views)
}

// contiguous are the row-major strides of ds (the batch axis, axis 0, never
// needs its stride to be known by n since nothing lies outside it).
func contiguous(ds []dim) []int {
	st := make([]int, len(ds))
	step := 1
	for i := len(ds) - 1; i >= 0; i-- {
		st[i] = step
		step *= ds[i].k
	}
	return st
}

// broadcastStrides are the strides with which NumPy broadcasting reads a
// value of shape from as a value of shape to: aligned at the last axis,
// with stride 0 on size-1 and missing leading axes.
func broadcastStrides(from, to ir.Shape) []int {
	st := make([]int, len(to))
	src := contiguous(dims(from))
	shift := len(to) - len(from)
	for i, d := range from {
		if d != 1 || to[i+shift] == 1 {
			st[i+shift] = src[i]
		}
	}
	return st
}

// collapse drops size-1 axes and merges neighbouring axes that every
// operand (and dst, contiguous) walks as one: stride[i] = stride[i+1]·dim[i+1].
func collapse(ds []dim, ops []operand) ([]dim, []operand) {
	dst := contiguous(ds)
	keep := func(i int) bool { return ds[i] != dim{k: 1} }
	var nd []dim
	var ndst []int
	nops := make([]operand, len(ops))
	for j := range ops {
		nops[j] = operand{name: ops[j].name, literal: ops[j].literal, offset: ops[j].offset}
	}
	for i := range ds {
		if !keep(i) {
			continue
		}
		last := len(nd) - 1
		merge := last >= 0 && ndst[last] == dst[i]*ds[i].k
		for j, o := range ops {
			if o.literal == nil && merge {
				merge = nops[j].strides[last] == o.strides[i]*ds[i].k
			}
		}
		if merge {
			nd[last] = dim{k: nd[last].k * ds[i].k, b: nd[last].b || ds[i].b}
			ndst[last] = dst[i]
			for j, o := range ops {
				if o.literal == nil {
					nops[j].strides[last] = o.strides[i]
				}
			}
			continue
		}
		nd = append(nd, ds[i])
		ndst = append(ndst, dst[i])
		for j, o := range ops {
			if o.literal == nil {
				nops[j].strides = append(nops[j].strides, o.strides[i])
			}
		}
	}
	return nd, nops
}

// stridedMap emits dst[idx] = f(operands at idx) for every index of a
// contiguous dst of shape ds. After collapsing, the innermost axis is one
// loop over resliced rows, so the common case is a single flat loop without
// bounds checks.
func (k *kernel) stridedMap(ds []dim, ops []operand, f func(args []jen.Code) jen.Code) {
	ds, ops = collapse(ds, ops)
	r := len(ds)
	if r == 0 {
		args := make([]jen.Code, len(ops))
		for j, o := range ops {
			args[j] = o.literal
			if o.literal == nil {
				args[j] = id(o.name).Index(lit(o.offset))
			}
		}
		e := f(args)
		k.add(k.takeLoopStmts()...)
		k.add(id("dst").Index(lit(0)).Op("=").Add(e))
		return
	}
	dstStrides := contiguous(ds)
	offset := func(st []int, base int) lin {
		l := L(base)
		for a := 0; a < r-1; a++ {
			l = l.plus(fmt.Sprintf("i%d", a), st[a])
		}
		return l
	}
	var inner []jen.Code
	inner = append(inner, define("d", window("dst", offset(dstStrides, 0), k.size(ds[r-1]))))
	args := make([]jen.Code, len(ops))
	for j, o := range ops {
		if o.literal != nil {
			args[j] = o.literal
			continue
		}
		off := offset(o.strides, o.offset)
		switch s := o.strides[r-1]; s {
		case 0:
			name := fmt.Sprintf("s%d", j)
			inner = append(inner, define(name, id(o.name).Index(off.code())))
			args[j] = id(name)
		case 1:
			name := fmt.Sprintf("a%d", j)
			inner = append(inner, define(name, sliceFrom(o.name, off).Index(jen.Empty(), jen.Len(id("d")))))
			args[j] = id(name).Index(id("i"))
		default:
			name := fmt.Sprintf("a%d", j)
			inner = append(inner, define(name, sliceFrom(o.name, off)))
			args[j] = id(name).Index(id("i").Op("*").Lit(s))
		}
	}
	e := f(args)
	inner = append(inner, rangeOver("i", id("d"), append(k.takeLoopStmts(), id("d").Index(id("i")).Op("=").Add(e))...))
	body := inner
	for a := r - 2; a >= 0; a-- {
		body = []jen.Code{loop(fmt.Sprintf("i%d", a), k.size(ds[a]), body...)}
	}
	k.add(body...)
}

// sliceFrom renders s[off:], or s when off is 0.
func sliceFrom(s string, off lin) *jen.Statement {
	if off.isZero() {
		return id(s)
	}
	return id(s).Index(off.code(), jen.Empty())
}

// emitElementwise applies an elementwise op (or broadcast, the identity)
// with NumPy broadcasting; const arguments become literals.
func emitElementwise(k *kernel) error {
	v := k.v
	ops := make([]operand, len(v.Args))
	for i := range v.Args {
		ops[i] = k.argOperand(i, v.Type.Shape)
	}
	if done, err := k.vectorElementwise(ops); done || err != nil {
		return err
	}
	var err error
	k.stridedMap(dims(v.Type.Shape), ops, func(args []jen.Code) jen.Code {
		if v.Op == ir.OpBroadcast {
			return args[0]
		}
		var e jen.Code
		if v.Op == ir.OpFused {
			e, err = fusedScalar(k, v, args)
		} else {
			e, err = k.g.scalar(v, args)
		}
		return e
	})
	return err
}

// constLit is the value of const c as a literal of its type.
func (g *gen) constLit(c *ir.Value) jen.Code {
	x := c.Attrs.Float("value", 0)
	if c.Type.DType == ir.I32 {
		return lit(int(int32(x)))
	}
	return flit(x)
}

// operandLit is constLit parenthesized when negative, so that it can stand
// after any operator.
func (g *gen) operandLit(c *ir.Value) jen.Code {
	if x := c.Attrs.Float("value", 0); x < 0 || (x == 0 && math.Signbit(x)) {
		return jen.Parens(g.constLit(c))
	}
	return g.constLit(c)
}

// emitConst fills dst with the const's value.
func emitConst(k *kernel) error {
	k.add(rangeOver("i", id("dst"), id("dst").Index(id("i")).Op("=").Add(k.g.constLit(k.v))))
	return nil
}

// emitTranspose copies with permuted strides: axis i of dst is axis
// perm[i] of the argument.
func emitTranspose(k *kernel) error {
	v := k.v
	perm := v.Attrs.Ints("perm")
	src := contiguous(dims(v.Args[0].Type.Shape))
	st := make([]int, len(perm))
	for i, p := range perm {
		st[i] = src[p]
	}
	k.stridedMap(dims(v.Type.Shape), []operand{{name: k.arg(0), strides: st}}, func(args []jen.Code) jen.Code { return args[0] })
	return nil
}

// emitCast converts element by element: to i32 truncating toward zero, as
// Go's conversion and PyTorch's .to(torch.int32) do.
func emitCast(k *kernel) error {
	v := k.v
	to := k.g.T(v.Type.DType)
	st := contiguous(dims(v.Type.Shape))
	k.stridedMap(dims(v.Type.Shape), []operand{{name: k.arg(0), strides: st}}, func(args []jen.Code) jen.Code {
		if v.Type.DType == v.Args[0].Type.DType {
			return args[0]
		}
		return jen.Add(to).Call(args[0])
	})
	return nil
}
