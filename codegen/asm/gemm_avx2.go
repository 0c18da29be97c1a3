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
	c    *build.Context
	fp   fpOps
	size int
	mask reg.VecVirtual // sign bits of the partial vector's lanes, once setMask ran
	t    reg.VecVirtual // broadcast of A(i,p), or a masked load
}

func newAVX2(c *build.Context, f64 bool) vecEmitter {
	size := 4
	if f64 {
		size = 8
	}
	return &avx2{c: c, fp: newFPOps(c, f64), size: size, mask: c.YMM(), t: c.YMM()}
}

func (e *avx2) vec() reg.VecVirtual { return e.c.YMM() }

func (e *avx2) setMask(tail int) {
	setMaskYMM(e.c, e.mask, tail*e.size/4)
}

// setMaskYMM sets y to a VMASKMOVPS mask of its first words 32-bit words,
// from immediates: kernels read no global, which would clobber R15 when
// dynamic linking.
func setMaskYMM(c *build.Context, y reg.VecVirtual, words int) {
	qword := func(k int) operand.U64 {
		var q uint64
		if 2*k < words {
			q |= 0xffffffff
		}
		if 2*k+1 < words {
			q |= 0xffffffff << 32
		}
		return operand.U64(q)
	}
	t := c.GP64()
	half := func(x reg.Register, k int) {
		c.MOVQ(qword(k), t)               // t = words 2k, 2k+1
		c.VMOVQ(t, x)                     // x = t, 0 above
		c.MOVQ(qword(k+1), t)             // t = words 2k+2, 2k+3
		c.VPINSRQ(operand.U8(1), t, x, x) // x[64:128] = t
	}
	half(y.AsX(), 0) // y = words 0..3, 0 above
	if words > 4 {
		hi := c.XMM()
		half(hi, 2)
		c.VINSERTF128(operand.U8(1), hi, y, y) // y[128:256] = words 4..7
	}
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
