package asm

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Channel vectors: the AVX-512 variant of a forward kernel with
// transposed weights (ConvSpec TW) and a multiple of 16 output channels
// vectorizes over the channels instead of the output rows, so that narrow
// rows (LeNet's conv2: 10 columns, 10 of 16 lanes) leave no lane idle. An
// accumulator holds 16 channels of one output position; a block of up to
// ~28 positions stays in registers (planChan). For each tap (c,p,q) the
// block loads the weight vector w[c,p,q,o:o+16] once and accumulates it
// times each position's input x[c,i+p,j+q], broadcast from memory by the
// FMA itself (m32bcst). Each lane sums the taps in the twin's order (c,p,q)
// from zero, then adds the bias and applies relu, as the row form does, so
// the two agree bit for bit. The result [positions, O] is stored into y
// [O, OH, OW] by one scatter per position and channel vector.

// chanVectors reports whether the AVX-512 variant of s runs on channel
// vectors.
func chanVectors(s ConvSpec) bool { return !s.GradW && s.TW && s.O%16 == 0 }

// planChan returns the positions of a block: og·pb accumulators and og
// weight vectors within regs-slack registers, the OH·OW positions cut into
// blocks as even as can be.
func planChan(s ConvSpec, regs, slack int) int {
	og := s.O / 16
	pb := max(1, (regs-slack-og)/og)
	n := s.OH() * s.OW()
	nb := (n + pb - 1) / pb
	return (n + nb - 1) / nb
}

// chanBody emits the channel-vector form of e's kernel over y and x.
func (e *convEmitter) chanBody(y, x reg.GPVirtual, slack int) {
	c, s := e.c, e.s
	og, oh, ow := s.O/16, s.OH(), s.OW()
	n := oh * ow
	pb := planChan(s, 32, slack)
	for p0 := 0; p0 < n; p0 += pb {
		nb := min(pb, n-p0)
		acc := make([]reg.VecVirtual, og*nb) // acc[g·nb+k]: channels 16g.., position p0+k
		for i := range acc {
			acc[i] = e.vec()
			e.zero(acc[i])
		}
		xc, wc := c.GP64(), c.GP64()
		c.MOVQ(x, xc)
		c.MOVQ(e.w, wc)
		var ccnt, pcnt reg.GPVirtual
		cloop, ploop := e.newLabel("chan"), e.newLabel("krow")
		if s.C > 1 {
			ccnt = c.GP64()
			c.MOVQ(operand.U32(s.C), ccnt)
			c.Label(cloop)
		}
		if s.KH > 1 {
			pcnt = c.GP64()
			c.MOVQ(operand.U32(s.KH), pcnt)
			c.Label(ploop)
		}
		for q := 0; q < s.KW; q++ {
			for g := 0; g < og; g++ {
				wv := e.vec()
				c.VMOVUPS(operand.Mem{Base: wc, Disp: 4 * e.wAt(16*g, q)}, wv)
				for k := 0; k < nb; k++ {
					i, j := (p0+k)/ow, (p0+k)%ow
					c.VFMADD231PS_BCST(operand.Mem{Base: xc, Disp: 4 * (i*s.W + j + q)}, wv, acc[g*nb+k]) // acc += w·x[c,i+p,j+q]
				}
			}
		}
		e.nextTapRow(xc, wc, pcnt, ccnt, ploop, cloop)
		e.chanStore(y, acc, p0, nb)
	}
}

// chanStore applies the epilogue to the accumulators of positions
// p0..p0+nb-1 and scatters them into y.
func (e *convEmitter) chanStore(y reg.GPVirtual, acc []reg.VecVirtual, p0, nb int) {
	c, s := e.c, e.s
	n := s.OH() * s.OW()
	idx := e.vec()
	e.setStride(idx, n) // lane l: l·OH·OW, channel l's plane
	var zero reg.VecVirtual
	if s.Relu {
		zero = e.vec()
		e.zero(zero)
	}
	all := c.GP32()
	c.MOVL(operand.U32(0xffff), all)
	k := c.K()
	for g := 0; g < s.O/16; g++ {
		var bv reg.VecVirtual
		if s.Bias {
			bv = e.vec()
			c.VMOVUPS(operand.Mem{Base: e.b, Disp: 4 * 16 * g}, bv)
		}
		for i := 0; i < nb; i++ {
			a := acc[g*nb+i]
			if s.Bias {
				c.VADDPS(bv, a, a)
			}
			if s.Relu {
				c.VMAXPS(a, zero, a) // max(0, a), NaN for NaN
			}
			c.KMOVW(all, k) // the scatter clears its mask
			c.VSCATTERDPS(a, k, operand.Mem{Base: y, Index: idx, Scale: 4, Disp: 4 * (16*g*n + p0 + i)})
		}
	}
}

// setStride sets the dword lanes of v to l·step: on AVX-512, bit b of the
// lane number adds step·2^b under a mask; on AVX2, iota times step.
func (e *convEmitter) setStride(v reg.VecVirtual, step int) {
	c := e.c
	if !e.z {
		setIotaYMM(c, v)
		t, m := c.GP32(), c.YMM()
		c.MOVL(operand.U32(step), t)
		c.VMOVD(t, m.AsX())
		c.VPBROADCASTD(m.AsX(), m)
		c.VPMULLD(m, v, v) // v = lane·step
		return
	}
	e.zero(v)
	t, m := c.GP32(), c.K()
	add := e.vec()
	for b, lanes := range []uint64{0xaaaa, 0xcccc, 0xf0f0, 0xff00} {
		c.MOVL(operand.U32(step<<b), t)
		c.VPBROADCASTD(t, add)
		c.MOVL(operand.U32(lanes), t)
		c.KMOVW(t, m)
		c.VPADDD(add, v, m, v) // v += step·2^b in the lanes with bit b
	}
}
