package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// compileMulti builds the dispatcher and both variants of s, as
// compileElem does for an ElemSpec.
func compileMulti(s MultiSpec) (*ir.File, error) {
	c := build.NewContext()
	emitMultiDispatcher(c, s)
	out, err := finishElem(c)
	if err != nil {
		return nil, err
	}
	for _, z := range []bool{true, false} {
		var f *ir.File
		for _, limit := range hoistLimits {
			if f, err = finishMultiVariant(build.NewContext(), s, z, limit); err == nil {
				break
			}
		}
		if err != nil {
			return nil, err
		}
		out.Sections = append(out.Sections, f.Sections...)
	}
	return out, nil
}

func finishMultiVariant(c *build.Context, s MultiSpec, z bool, hoist int) (f *ir.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("elem %s: %v", s.Name, r)
		}
	}()
	emitMulti(c, s, z, hoist)
	return finishElem(c)
}

func emitMultiDispatcher(c *build.Context, s MultiSpec) {
	emitDispatcher(c, s.Name, s.signature(), multiDoc(s), s.variant, elemFlags)
}

// multiBody emits one vector of every output: all values first, then the
// stores, so that every load reads the value on entry.
func (e *elemEmitter) multiBody(s MultiSpec, masked bool) {
	e.masked = masked
	e.args = map[int]reg.VecVirtual{}
	e.memo = map[string]reg.VecVirtual{}
	vs := make([]reg.VecVirtual, len(s.Outs))
	for j, o := range s.Outs {
		vs[j] = e.expr(o.Expr)
	}
	for j, o := range s.Outs {
		m := operand.Mem{Base: e.ptrs[o.Slice+1], Index: e.idx, Scale: 1}
		switch {
		case masked && e.z:
			e.c.VMOVUPS(vs[j], e.kmask, m) // m[:tail] = v
		case masked:
			e.c.VMASKMOVPS(vs[j], e.ymask, m) // m[:tail] = v
		default:
			e.c.VMOVUPS(vs[j], m)
		}
	}
}

// emitMulti adds the AVX-512 (z) or AVX2 variant of s: a vector loop over
// len(a0) and a masked tail, the scalars broadcast once.
func emitMulti(c *build.Context, s MultiSpec, z bool, hoist int) {
	suffix, lanes := variantAVX2, 8
	if z {
		suffix, lanes = variantAVX512, 16
	}
	name := s.variant(suffix)
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(s.signature())
	c.Pragma("noescape")
	c.Doc(fmt.Sprintf("%s is %s for CPUs with %s.", name, s.Name, suffix))
	e := &elemEmitter{c: c, z: z, consts: map[uint32]reg.VecVirtual{}}
	var mxcsr operand.Mem
	if s.FlushSubnormals {
		mxcsr = c.AllocLocal(8)
		c.STMXCSR(mxcsr) // the caller's MXCSR, restored on return
		t := c.GP32()
		c.MOVL(mxcsr, t)
		c.ORL(operand.U32(mxcsrFTZ|mxcsrDAZ), t)
		c.MOVL(t, mxcsr.Offset(4))
		c.LDMXCSR(mxcsr.Offset(4)) // subnormals read and written as zero
	}
	n := c.GP64()
	c.Load(c.Param("a0").Len(), n)
	// e.ptrs[k+1] is slice k, as load expects (ptrs[0] is an ElemSpec's dst).
	e.ptrs = []reg.GPVirtual{nil}
	for _, p := range s.slices() {
		r := c.GP64()
		c.Load(c.Param(p).Base(), r)
		e.ptrs = append(e.ptrs, r)
	}
	for _, p := range s.scalars() {
		// Broadcast straight from the frame: a legacy-SSE MOVSS after the
		// first broadcast dirtied the upper lanes costs a state transition
		// (about 100 ns on the project machine).
		b, err := c.Param(p).Resolve()
		if err != nil {
			panic(err)
		}
		v := e.vec()
		c.VBROADCASTSS(b.Addr, v) // v[:] = p
		e.scalars = append(e.scalars, v)
	}
	if hoist > 0 {
		dry := &elemEmitter{c: build.NewContext(), z: z, consts: map[uint32]reg.VecVirtual{}, want: map[uint32]int{}}
		dry.c.Function("dry")
		dry.ptrs = []reg.GPVirtual{nil}
		for range s.Slices {
			dry.ptrs = append(dry.ptrs, dry.c.GP64())
		}
		for range s.Scalars {
			dry.scalars = append(dry.scalars, dry.vec())
		}
		dry.idx = dry.c.GP64()
		dry.multiBody(s, false)
		for i, bits := range mostUsed(dry.want) {
			if i == hoist {
				break
			}
			e.consts[bits] = e.broadcast(bits)
		}
	}
	e.idx = c.GP64()
	c.XORQ(e.idx, e.idx) // byte offset of element i
	c.Label("loop")
	c.CMPQ(n, operand.U32(lanes))
	c.JL(operand.LabelRef("tail")) // fewer than lanes left
	for _, k := range s.PrefetchWrite {
		prefetchW(c, operand.Mem{Base: e.ptrs[k+1], Index: e.idx, Scale: 1, Disp: prefetchAhead})
	}
	e.multiBody(s, false)
	c.ADDQ(operand.U32(4*lanes), e.idx)
	c.SUBQ(operand.U32(lanes), n)
	c.JMP(operand.LabelRef("loop"))
	c.Label("tail")
	c.TESTQ(n, n)
	c.JZ(operand.LabelRef("done"))
	if z {
		t, all := c.GP32(), c.GP32()
		c.MOVL(operand.U32(0xffff), all)
		c.BZHIL(n.As32(), all, t) // t = lanes below n
		e.kmask = c.K()
		c.KMOVW(t, e.kmask)
	} else {
		e.ymask = c.YMM()
		iota := c.YMM()
		setIotaYMM(c, iota)
		nv := c.YMM()
		c.VMOVD(n.As32(), nv.AsX())
		c.VPBROADCASTD(nv.AsX(), nv)
		c.VPCMPGTD(iota, nv, e.ymask) // mask = n > lane
	}
	e.multiBody(s, true)
	c.Label("done")
	if s.FlushSubnormals {
		c.LDMXCSR(mxcsr) // restore the caller's MXCSR
	}
	c.VZEROUPPER()
	c.RET()
}

// prefetchAhead is how far ahead of the loop PrefetchWrite requests lines:
// 16 lines, enough invalidations in flight to hide their latency.
const prefetchAhead = 1024

// prefetchW adds PREFETCHW m, which the Go assembler does not know: the
// address goes to R11 (a physical register, which avo's allocator keeps
// clear of the virtual ones live across it) and the instruction is
// spelled in bytes, 41 0F 0D 0B: PREFETCHW (R11). CPUs without it (Intel
// before Broadwell) execute it as a NOP.
func prefetchW(c *build.Context, m operand.Mem) {
	c.LEAQ(m, reg.R11)
	c.Instruction(&ir.Instruction{Opcode: "LONG", Operands: []operand.Op{operand.U32(0x0b0d0f41)}})
}

// MXCSR bits: flush subnormal results to zero, read subnormal operands as
// zero.
const (
	mxcsrFTZ = 1 << 15
	mxcsrDAZ = 1 << 6
)
