package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// A transposer emits the isa-specific part of a B packing routine: T×T
// tiles are loaded by rows, transposed in registers and stored by columns.
type transposer interface {
	tile() int                                                          // T
	setMasks(rows, cols int)                                            // lanes of partial tiles, 0 if none
	load(m operand.Mem, v reg.VecVirtual, masked bool)                  // v = m[:T] (masked: the partial columns)
	store(v reg.VecVirtual, m operand.Mem, masked bool)                 // m[:T] = v (masked: the partial rows)
	transpose(c *build.Context, rows []reg.VecVirtual) []reg.VecVirtual // columns of the tile
	vec() reg.VecVirtual
	zero(v reg.VecVirtual)
}

// packEmitter emits one variant of the packing routine of a spec:
//
//	for j0 := 0; j0 < N; j0 += T {        // tile rows, the last one partial
//		for p0 := 0; p0 < K; p0 += T {    // tile columns, the last one partial
//			bp[p0:p0+T, j0:j0+T] = transpose(b[j0:j0+T, p0:p0+T])
//		}
//	}
type packEmitter struct {
	c        *build.Context
	s        GEMMSpec
	t        transposer
	bp, b    reg.GPVirtual // tile row origins; advance by T rows of B
	src, dst reg.GPVirtual // current tile
	rows     []reg.VecVirtual
	labels   int
}

// emitPack adds the function name(bp, b) packing B for s with t.
func emitPack(c *build.Context, s GEMMSpec, x *isa, t transposer, name string) {
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(s.packSignature())
	c.Pragma("noescape")
	c.Doc(fmt.Sprintf("%s is %s for CPUs with %s.", name, s.packName(), x.name))
	p := &packEmitter{c: c, s: s, t: t}
	p.bp, p.b, p.src, p.dst = c.GP64(), c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("bp").Base(), p.bp)
	c.Load(c.Param("b").Base(), p.b)
	for range t.tile() {
		p.rows = append(p.rows, t.vec())
	}
	T := t.tile()
	t.setMasks(s.N%T, s.K%T)
	p.loop(s.N/T, func() {
		p.tileRow(T)
		c.ADDQ(operand.U32(T*s.K*4), p.b) // b = &B(j0+T, 0)
		c.ADDQ(operand.U32(T*4), p.bp)    // bp = &Bᵀ(0, j0+T)
	})
	if r := s.N % T; r > 0 {
		p.tileRow(r)
	}
	if off, cols, stride := s.PackedTail(); cols > 0 {
		p.tail(off, cols, stride)
	}
	c.VZEROUPPER()
	c.RET()
}

// loop emits body n times, in a counted loop when n > 1.
func (p *packEmitter) loop(n int, body func()) {
	if n == 0 {
		return
	}
	if n == 1 {
		body()
		return
	}
	p.labels++
	label := fmt.Sprintf("tiles%d", p.labels)
	cnt := p.c.GP64()
	p.c.MOVQ(operand.U32(n), cnt) // cnt = n
	p.c.Label(label)
	body()
	p.c.DECQ(cnt)
	p.c.JNZ(operand.LabelRef(label)) // if --cnt != 0: again
}

// tileRow packs rows j0..j0+rows of B, tile by tile.
func (p *packEmitter) tileRow(rows int) {
	c, s, T := p.c, p.s, p.t.tile()
	c.Commentf("%d row(s) of B", rows)
	c.MOVQ(p.b, p.src)  // src = &B(j0, 0)
	c.MOVQ(p.bp, p.dst) // dst = &Bᵀ(0, j0)
	p.loop(s.K/T, func() {
		p.tile(rows, T)
		c.ADDQ(operand.U32(T*4), p.src)                  // src = &B(j0, p0+T)
		c.ADDQ(operand.U32(T*s.PackedStride()*4), p.dst) // dst = &Bᵀ(p0+T, j0)
	})
	if cols := s.K % T; cols > 0 {
		p.tile(rows, cols)
	}
}

// tile transposes the rows×cols tile at src into dst.
func (p *packEmitter) tile(rows, cols int) {
	s, T := p.s, p.t.tile()
	for r, v := range p.rows {
		if r < rows {
			p.t.load(operand.Mem{Base: p.src, Disp: r * s.K * 4}, v, cols < T) // v = B(j0+r, p0:p0+T)
		} else {
			p.t.zero(v) // a row beyond B: its lanes are not stored
		}
	}
	cs := p.t.transpose(p.c, p.rows)
	for q := 0; q < cols; q++ {
		p.t.store(cs[q], operand.Mem{Base: p.dst, Disp: q * s.PackedStride() * 4}, rows < T) // Bᵀ(p0+q, j0:j0+T) = cs[q]
	}
}

// tail copies B's last cols rows (the kernel's last columns) again after
// Bᵀ, each padded with zeros to stride elements (GEMMSpec.PackedTail).
func (p *packEmitter) tail(off, cols, stride int) {
	c, s, T := p.c, p.s, p.t.tile()
	c.Commentf("rows %d..%d of B again at %d, padded to %d", s.N-cols, s.N-1, off, stride)
	v := p.rows[0]
	for t := range cols {
		c.Load(c.Param("b").Base(), p.src)
		c.ADDQ(operand.U32((s.N-cols+t)*s.K*4), p.src) // src = &B(N-cols+t, 0)
		c.Load(c.Param("bp").Base(), p.dst)
		c.ADDQ(operand.U32((off+t*stride)*4), p.dst) // dst = &bp[off+t*stride]
		p.loop(s.K/T, func() {
			p.t.load(operand.Mem{Base: p.src}, v, false) // v = B(j, p0:p0+T)
			p.t.store(v, operand.Mem{Base: p.dst}, false)
			c.ADDQ(operand.U32(T*4), p.src)
			c.ADDQ(operand.U32(T*4), p.dst)
		})
		done := s.K / T * T
		if s.K%T > 0 {
			p.t.load(operand.Mem{Base: p.src}, v, true) // v = B(j, p0:K), 0 beyond
			p.t.store(v, operand.Mem{Base: p.dst}, false)
			done += T
		}
		if done < stride {
			p.t.zero(v)
		}
		for q := done; q < stride; q += T {
			p.t.store(v, operand.Mem{Base: p.dst, Disp: (q - s.K/T*T) * 4}, false) // bp[off+t*stride+q:] = 0; dst is at q = K/T*T
		}
	}
}
