package asm

import (
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// avx512 emits the vector part of the GEMM kernels with 32 zmm registers,
// embedded broadcasts and k-mask tails. It needs AVX512F only.
type avx512 struct {
	c    *build.Context
	fp   fpOps
	mask reg.OpmaskVirtual // lanes of the partial vector, once setMask ran
	t    reg.VecVirtual    // broadcast of A(i,p)
}

func newAVX512(c *build.Context, f64 bool) vecEmitter {
	return &avx512{c: c, fp: newFPOps(c, f64), mask: c.K(), t: c.ZMM()}
}

func (e *avx512) vec() reg.VecVirtual { return e.c.ZMM() }

func (e *avx512) setMask(tail int) {
	t := e.c.GP32()
	e.c.MOVL(operand.U32(1<<tail-1), t) // t = 1<<tail - 1
	e.c.KMOVW(t, e.mask)                // mask = t: lanes < tail
}

func (e *avx512) load(m operand.Mem, z reg.VecVirtual, masked bool) {
	if masked {
		e.fp.movuZ(m, e.mask, z) // z = m[:tail], 0 beyond
		return
	}
	e.fp.movu(m, z) // z = m[:lanes]
}

func (e *avx512) fmaRow(a operand.Mem, bs, accs []reg.VecVirtual, first bool) {
	if len(bs) == 1 && first {
		e.fp.mulBcst(a, bs[0], accs[0]) // acc = A(i,p) * b[p,j:]
		return
	}
	if len(bs) == 1 {
		e.fp.fmaBcst(a, bs[0], accs[0]) // acc += A(i,p) * b[p,j:]
		return
	}
	t := e.t
	e.fp.bcast(a, t) // t[:] = A(i,p)
	for v := range bs {
		if first {
			e.fp.mul(t, bs[v], accs[v]) // acc[v] = t * b[p,j+v*lanes:]
		} else {
			e.fp.fma(t, bs[v], accs[v]) // acc[v] += t * b[p,j+v*lanes:]
		}
	}
}

func (e *avx512) addMem(m operand.Mem, acc reg.VecVirtual, masked bool) {
	if masked {
		e.fp.addZ(m, acc, e.mask, acc) // acc = acc + m[:tail], 0 beyond
		return
	}
	e.fp.add(m, acc, acc) // acc += m[:lanes]
}

func (e *avx512) store(acc reg.VecVirtual, m operand.Mem, masked bool) {
	if masked {
		e.fp.movu(acc, e.mask, m) // m[:tail] = acc[:tail]
		return
	}
	e.fp.movu(acc, m) // m[:lanes] = acc
}
