package asm

import (
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// packAVX512 transposes 16×16 tiles of float32 in zmm registers, with
// k-masks for partial tiles. It needs AVX512F only.
type packAVX512 struct {
	c          *build.Context
	fp         fpOps
	rows, cols reg.OpmaskVirtual // lanes of a partial tile's rows and columns
}

func newPackAVX512(c *build.Context) transposer {
	return &packAVX512{c: c, fp: newFPOps(c, false), rows: c.K(), cols: c.K()}
}

func (t *packAVX512) tile() int           { return 16 }
func (t *packAVX512) vec() reg.VecVirtual { return t.c.ZMM() }
func (t *packAVX512) zero(v reg.VecVirtual) {
	t.fp.zero(v) // v = 0
}

func (t *packAVX512) setMasks(rows, cols int) {
	for _, m := range []struct {
		n int
		k reg.OpmaskVirtual
	}{{rows, t.rows}, {cols, t.cols}} {
		if m.n > 0 {
			r := t.c.GP32()
			t.c.MOVL(operand.U32(1<<m.n-1), r) // r = 1<<n - 1
			t.c.KMOVW(r, m.k)                  // k = r: lanes < n
		}
	}
}

func (t *packAVX512) load(m operand.Mem, v reg.VecVirtual, masked bool) {
	if masked {
		t.fp.movuZ(m, t.cols, v) // v = m[:cols], 0 beyond
		return
	}
	t.fp.movu(m, v) // v = m[:16]
}

func (t *packAVX512) store(v reg.VecVirtual, m operand.Mem, masked bool) {
	if masked {
		t.fp.movu(v, t.rows, m) // m[:rows] = v[:rows]
		return
	}
	t.fp.movu(v, m) // m[:16] = v
}

// transpose turns rows r[i][k] into columns c[k][i] in four rounds of 16
// shuffles: 32-bit and 64-bit interleaves within 128-bit lanes give, in
// u[4i+q], rows 4i..4i+3 of columns 4L+q in lane L; two rounds of
// 128-bit lane shuffles then transpose those lanes.
func (t *packAVX512) transpose(c *build.Context, r []reg.VecVirtual) []reg.VecVirtual {
	v := func() reg.VecVirtual { return c.ZMM() }
	tt := make([]reg.VecVirtual, 16)
	for i := 0; i < 16; i += 2 {
		tt[i], tt[i+1] = v(), v()
		c.VUNPCKLPS(r[i+1], r[i], tt[i])   // tt[i] = r[i][0], r[i+1][0], r[i][1], r[i+1][1] per lane
		c.VUNPCKHPS(r[i+1], r[i], tt[i+1]) // tt[i+1] = the same of elements 2, 3
	}
	u := make([]reg.VecVirtual, 16)
	for i := 0; i < 16; i += 4 {
		for q, src := range [][2]int{{0, 0x44}, {0, 0xee}, {1, 0x44}, {1, 0xee}} {
			u[i+q] = v()
			c.VSHUFPS(operand.U8(src[1]), tt[i+src[0]+2], tt[i+src[0]], u[i+q]) // u[i+q] = rows i..i+3 of columns 4L+q
		}
	}
	cols := make([]reg.VecVirtual, 16)
	for q := 0; q < 4; q++ {
		x := []reg.VecVirtual{u[q], u[4+q], u[8+q], u[12+q]} // x[i] lane L: rows 4i..4i+3, column 4L+q
		w := []reg.VecVirtual{v(), v(), v(), v()}
		c.VSHUFF32X4(operand.U8(0x88), x[1], x[0], w[0]) // w0 = x0.0, x0.2, x1.0, x1.2
		c.VSHUFF32X4(operand.U8(0xdd), x[1], x[0], w[1]) // w1 = x0.1, x0.3, x1.1, x1.3
		c.VSHUFF32X4(operand.U8(0x88), x[3], x[2], w[2]) // w2 = x2.0, x2.2, x3.0, x3.2
		c.VSHUFF32X4(operand.U8(0xdd), x[3], x[2], w[3]) // w3 = x2.1, x2.3, x3.1, x3.3
		for l, src := range [][2]int{{0, 0x88}, {1, 0x88}, {0, 0xdd}, {1, 0xdd}} {
			cols[4*l+q] = v()
			c.VSHUFF32X4(operand.U8(src[1]), w[src[0]+2], w[src[0]], cols[4*l+q]) // column 4l+q = x0.l, x1.l, x2.l, x3.l
		}
	}
	return cols
}
