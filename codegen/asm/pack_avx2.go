package asm

import (
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// packAVX2 transposes 8×8 tiles of float32 in ymm registers, with
// VMASKMOVPS for partial tiles. It needs AVX only.
type packAVX2 struct {
	c          *build.Context
	fp         fpOps
	rows, cols reg.VecVirtual // lanes of a partial tile's rows and columns
}

func newPackAVX2(c *build.Context) transposer {
	return &packAVX2{c: c, fp: newFPOps(c, false), rows: c.YMM(), cols: c.YMM()}
}

func (t *packAVX2) tile() int           { return 8 }
func (t *packAVX2) vec() reg.VecVirtual { return t.c.YMM() }
func (t *packAVX2) zero(v reg.VecVirtual) {
	t.fp.zero(v) // v = 0
}

func (t *packAVX2) setMasks(rows, cols int) {
	for _, m := range []struct {
		n int
		y reg.VecVirtual
	}{{rows, t.rows}, {cols, t.cols}} {
		if m.n > 0 {
			setMaskYMM(t.c, m.y, m.n) // y = -1 for lanes < n, 0 beyond
		}
	}
}

func (t *packAVX2) load(m operand.Mem, v reg.VecVirtual, masked bool) {
	if masked {
		t.fp.maskmov(m, t.cols, v) // v = m[:cols], 0 beyond
		return
	}
	t.fp.movu(m, v) // v = m[:8]
}

func (t *packAVX2) store(v reg.VecVirtual, m operand.Mem, masked bool) {
	if masked {
		t.fp.maskmov(v, t.rows, m) // m[:rows] = v[:rows]
		return
	}
	t.fp.movu(v, m) // m[:8] = v
}

// transpose turns rows r[i][k] into columns c[k][i]: 32-bit and 64-bit
// interleaves within 128-bit lanes give, in u[4h+q], rows 4h..4h+3 of
// columns 4L+q in lane L; VPERM2F128 then pairs the lanes of u[q] and
// u[4+q].
func (t *packAVX2) transpose(c *build.Context, r []reg.VecVirtual) []reg.VecVirtual {
	v := func() reg.VecVirtual { return c.YMM() }
	tt := make([]reg.VecVirtual, 8)
	for i := 0; i < 8; i += 2 {
		tt[i], tt[i+1] = v(), v()
		c.VUNPCKLPS(r[i+1], r[i], tt[i])   // tt[i] = r[i][0], r[i+1][0], r[i][1], r[i+1][1] per lane
		c.VUNPCKHPS(r[i+1], r[i], tt[i+1]) // tt[i+1] = the same of elements 2, 3
	}
	u := make([]reg.VecVirtual, 8)
	for i := 0; i < 8; i += 4 {
		for q, src := range [][2]int{{0, 0x44}, {0, 0xee}, {1, 0x44}, {1, 0xee}} {
			u[i+q] = v()
			c.VSHUFPS(operand.U8(src[1]), tt[i+src[0]+2], tt[i+src[0]], u[i+q]) // u[i+q] = rows i..i+3 of columns 4L+q
		}
	}
	cols := make([]reg.VecVirtual, 8)
	for q := 0; q < 4; q++ {
		cols[q], cols[4+q] = v(), v()
		c.VPERM2F128(operand.U8(0x20), u[4+q], u[q], cols[q])   // column q = u[q].lo, u[4+q].lo
		c.VPERM2F128(operand.U8(0x31), u[4+q], u[q], cols[4+q]) // column 4+q = u[q].hi, u[4+q].hi
	}
	return cols
}
