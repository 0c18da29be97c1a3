package asm

import (
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// avx2 emits the vector part of the GEMM kernels with the 16 ymm registers
// that VEX encodings reach, explicit broadcasts and VMASKMOVPS tails. It
// needs AVX and FMA3 (no AVX2 integer instruction is used).
type avx2 struct {
	c     *build.Context
	fp    fpOps
	size  int
	masks operand.Mem    // gemmMask<>: 8 words of -1, then 8 of 0
	mask  reg.VecVirtual // sign bits of the partial vector's lanes, once setMask ran
	t     reg.VecVirtual // broadcast of A(i,p), or a masked load
}

// maskWords is the number of all-ones and then all-zeros 32-bit words in
// the mask table; a load at word 8-w gives w leading all-ones words.
const maskWords = 8

func newAVX2(c *build.Context, f64 bool, masks operand.Mem) vecEmitter {
	size := 4
	if f64 {
		size = 8
	}
	return &avx2{c: c, fp: newFPOps(c, f64), size: size, masks: masks, mask: c.YMM(), t: c.YMM()}
}

func (e *avx2) vec() reg.VecVirtual { return e.c.YMM() }

func (e *avx2) setMask(tail int) {
	words := tail * e.size / 4
	e.c.VMOVDQU(e.masks.Offset(4*(maskWords-words)), e.mask) // mask = -1 for lanes < tail, 0 beyond
}

func (e *avx2) load(m operand.Mem, y reg.VecVirtual, masked bool) {
	if masked {
		e.fp.maskmov(m, e.mask, y) // y = m[:tail], 0 beyond
		return
	}
	e.fp.movu(m, y) // y = m[:lanes]
}

func (e *avx2) fmaRow(a operand.Mem, bs, accs []reg.VecVirtual, first bool) {
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

func (e *avx2) addMem(m operand.Mem, acc reg.VecVirtual, masked bool) {
	if masked {
		t := e.t
		e.fp.maskmov(m, e.mask, t) // t = m[:tail], 0 beyond
		e.fp.add(t, acc, acc)      // acc += t
		return
	}
	e.fp.add(m, acc, acc) // acc += m[:lanes]
}

func (e *avx2) store(acc reg.VecVirtual, m operand.Mem, masked bool) {
	if masked {
		e.fp.maskmov(acc, e.mask, m) // m[:tail] = acc[:tail]
		return
	}
	e.fp.movu(acc, m) // m[:lanes] = acc
}
