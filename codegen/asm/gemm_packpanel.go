package asm

import (
	"github.com/mmcloughlin/avo/operand"
)

// Packed panels (plan.packB), the GotoBLAS/BLIS loop nest in the
// kernel's terms:
//
//	for each chunk of about mc rows        (its kc columns of A stay in L2)
//		for each block of kc steps of K    (C reloaded per block, as kBlocks)
//			for each panel of v vectors
//				copy B(p0:p0+kc, panel) into the stack buffer
//				for each block of rows of the chunk: block(), B from the buffer
//
// The copy makes the panel's kc×width elements, N apart in b, contiguous,
// the last vector of each row padded with zeros: the row blocks stream it
// in order from L1/L2 instead of striding across the few sets of L1 and
// L2 that a row stride of a power of two maps to. The order of the
// products in each sum is unchanged. The buffer lives in the kernel's
// frame (kc·width·size bytes, 128 KiB at most), so the kernel is not
// NOSPLIT: its first call on a goroutine may grow the stack, and no call
// allocates. Calls with fewer than plan.minRows rows run the plain plan.

// packUnroll is the rows of B copied per iteration of the packing loop.
const packUnroll = 4

// packSetup reserves the buffer in the frame and points sbuf at its
// first 64-byte boundary.
func (g *gemmAsm) packSetup() {
	c := g.c
	maxV := 0
	for _, grp := range g.plan.groups {
		maxV = max(maxV, grp.v)
	}
	buf := c.AllocLocal(g.plan.kc*maxV*g.plan.lanes*g.size + 64)
	g.sbuf = c.GP64()
	c.LEAQ(buf, g.sbuf)              // sbuf = &buf
	c.ADDQ(operand.U32(63), g.sbuf)  // sbuf += 63
	c.ANDQ(operand.I32(-64), g.sbuf) // sbuf = &buf rounded up to 64 bytes
}

// packPanel copies steps rows of v vectors from B(p,col) into the buffer,
// the last vector masked when masked.
func (g *gemmAsm) packPanel(v int, masked bool, steps int) {
	c, s, vb := g.c, g.s, g.plan.lanes*g.size
	c.Commentf("pack %d rows of B(p, col:col+%d) into the buffer", steps, v*g.plan.lanes)
	bs := g.vecs(&g.bRegs, 0, v)
	src, dst := g.ap, g.bp
	c.MOVQ(g.b, src)    // src = &B(p,col)
	c.MOVQ(g.sbuf, dst) // dst = &buf[0]
	row := func(q int) {
		for j := range bs {
			g.e.load(operand.Mem{Base: src, Disp: q*s.ldb()*g.size + j*vb}, bs[j], masked && j == v-1) // bs[j] = B(p+q, col+j*lanes:)
		}
		for j := range bs {
			g.e.store(bs[j], operand.Mem{Base: dst, Disp: q*g.bstride + j*vb}, false) // buf[p+q, j*lanes:] = bs[j]
		}
	}
	u, n := packUnroll, steps/packUnroll
	if n > 0 {
		kc := g.gp(&g.kc)
		loop := g.label("pack")
		c.MOVQ(operand.U32(n), kc) // kc = steps/u
		c.Label(loop)
		for q := range u {
			row(q)
		}
		c.ADDQ(operand.U32(u*s.ldb()*g.size), src) // src = &B(p+u,col)
		c.ADDQ(operand.U32(u*g.bstride), dst)      // dst = &buf[p+u]
		c.DECQ(kc)
		c.JNZ(operand.LabelRef(loop)) // if --kc != 0: next u rows
	}
	for q := range steps % u {
		row(q)
	}
}

// packedOrPlain runs the packed plan when m ≥ plan.minRows, else the
// plain plan small.
func (g *gemmAsm) packedOrPlain() {
	c, packed := g.c, g.plan
	big, end := g.label("packed"), g.label("done")
	c.CMPQ(g.m, operand.U32(packed.minRows))
	c.JGE(operand.LabelRef(big)) // if m >= minRows: pack
	g.plan = *packed.small
	g.kBlocks()
	c.JMP(operand.LabelRef(end))
	c.Label(big)
	g.plan = packed
	g.chunks()
	c.Label(end)
}

// chunks runs kBlocks on chunks of plan.mc rows, the last one taking the
// rest when fewer than 1.5·mc rows are left. The rows done so far live in
// a frame slot; a, b, c and bias are reloaded from the arguments and
// moved to the chunk.
func (g *gemmAsm) chunks() {
	c, s, mc := g.c, g.s, g.plan.mc
	done := c.AllocLocal(8)
	c.MOVQ(operand.U32(0), done) // done = 0 rows
	loop, end, take := g.label("chunk"), g.label("chunksdone"), g.label("take")
	c.Label(loop)
	c.Load(c.Param("m"), g.m)
	c.SUBQ(done, g.m)            // m = rows left
	c.JLE(operand.LabelRef(end)) // if m <= 0: done
	c.CMPQ(g.m, operand.U32(mc+mc/2))
	c.JL(operand.LabelRef(take)) // if m < 1.5*mc: take them all
	c.MOVQ(operand.U32(mc), g.m) // m = mc
	c.Label(take)
	aRow := s.K * g.size
	if s.TransA {
		aRow = g.size
	}
	t := c.GP64()
	c.Load(c.Param("a").Base(), g.a)
	c.IMUL3Q(operand.U32(aRow), done, t) // t = done * row bytes of A
	c.ADDQ(t, g.a)                       // a = &A(done, 0)
	c.Load(c.Param("c").Base(), g.cp)
	c.IMUL3Q(operand.U32(s.N*g.size), done, t) // t = done * row bytes of C
	c.ADDQ(t, g.cp)                            // cp = &C(done, 0)
	c.Load(c.Param("b").Base(), g.b)
	if s.Bias {
		c.Load(c.Param("bias").Base(), g.bias)
	}
	g.kBlocks()
	c.ADDQ(g.m, done) // done += m
	c.JMP(operand.LabelRef(loop))
	c.Label(end)
}
