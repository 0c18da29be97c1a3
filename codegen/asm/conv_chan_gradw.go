package asm

import (
	"fmt"
	"strings"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Weight gradients on channel vectors (ConvSpec with GradW and Chan): for
// one input channel c of a stride-1, unpadded, undilated convolution with
// 16 or 32 output channels, the kernel sets
//
//	dw[o,c,p,q] = Σ_{b,y,j} dyt[b,y,j,o]·x[b,c,y+p,j+q]
//
// for every o, p and q over n samples, from the output gradient transposed
// to [n,OH,OW,O] (dyt) and x and dw sliced at the channel (x from
// x[0,c,0,0] on, dw from dw[0,c,0,0] on; dyt whole), each sum in order
// (b,y,j) from zero. The variants vectorize over the output channels, so
// that narrow rows leave no lane idle: an accumulator holds the lanes (16
// on AVX-512, 8 on AVX2) channels of one tap (p,q); per output position
// the kernel loads dyt[b,y,j,o:o+lanes] once and accumulates it times the
// position's input of each tap of its block, broadcast from memory. The
// taps are cut into blocks that fit the registers (all 25 of a 5×5 kernel
// on AVX-512), one pass over the samples each, and the sums are
// scattered into dw at the end. The result depends only on the shape.

// chanTapBlock is the number of taps (p,q) a pass keeps: og·tb
// accumulators, og output gradient vectors and, on AVX2, the broadcast
// input within regs-slack registers, the KH·KW taps cut into blocks as
// even as can be.
func chanTapBlock(s ConvSpec, lanes, regs, slack int) int {
	og := s.O / lanes
	extra := 0
	if lanes == 8 {
		extra = 1
	}
	tb := max(1, (regs-slack-og-extra)/og)
	t := s.KH * s.KW
	nb := (t + tb - 1) / tb
	return (t + nb - 1) / nb
}

func convGradWChanDoc(s ConvSpec) []string {
	ls := []string{
		fmt.Sprintf("%s is the weight gradient of one input channel c of a direct convolution:", s.Name),
		"dw[o,c,p,q] = Σ_{b,y,j} dy[b,y,j,o]·x[b,c,y+p,j+q] over n samples in order (b,y,j), with x and dw",
		fmt.Sprintf("sliced at c, x [n,%d,%d,%d], dy transposed [n,%d,%d,%d], dw [%d,%d,%d,%d].",
			s.C, s.H, s.W, s.OH(), s.OW(), s.O, s.O, s.C, s.KH, s.KW),
	}
	if s.Source != "" {
		ls = append(ls, "", "Source: "+s.Source)
	}
	return ls
}

// renderConvGradWChanGeneric writes the Go twin of weight gradient s with
// Chan: one sum per output in order (b,y,j).
func renderConvGradWChanGeneric(b *strings.Builder, s ConvSpec) {
	oh, ow := s.OH(), s.OW()
	fmt.Fprintf(b, "// %s is %s in Go.\n", s.variant(variantGeneric), s.Name)
	fmt.Fprintf(b, "func %s(dw, x, dy []float32, n int) {\n", s.variant(variantGeneric))
	fmt.Fprintf(b, "for o := 0; o < %d; o++ {\n", s.O)
	fmt.Fprintf(b, "for p := 0; p < %d; p++ {\nfor q := 0; q < %d; q++ {\n", s.KH, s.KW)
	b.WriteString("var acc float32\n")
	b.WriteString("for b := 0; b < n; b++ {\n")
	fmt.Fprintf(b, "for y := 0; y < %d; y++ {\n", oh)
	fmt.Fprintf(b, "dr := dy[(b*%d+y)*%d+o:]\n", oh, ow*s.O)
	fmt.Fprintf(b, "xr := (*[%d]float32)(x[b*%d+(y+p)*%d+q:])\n", ow, s.C*s.H*s.W, s.W)
	fmt.Fprintf(b, "for j, v := range xr {\nacc += dr[j*%d] * v\n}\n}\n}\n", s.O)
	fmt.Fprintf(b, "dw[o*%d+p*%d+q] = acc\n", s.C*s.KH*s.KW, s.KW)
	b.WriteString("}\n}\n}\n}\n\n")
}

func emitConvGradWChanVariant(c *build.Context, e *convEmitter, slack int) {
	s, lanes := e.s, e.lanes
	regs := 16
	if e.z {
		regs = 32
	}
	og, oh, ow := s.O/lanes, s.OH(), s.OW()
	taps, t := s.C*s.KH*s.KW, s.KH*s.KW
	tb := chanTapBlock(s, lanes, regs, slack)
	dw, x, dy := c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("dw").Base(), dw)
	c.Load(c.Param("x").Base(), x)
	c.Load(c.Param("dy").Base(), dy)
	for t0 := 0; t0 < t; t0 += tb {
		nt := min(tb, t-t0)
		acc := make([]reg.VecVirtual, og*nt) // acc[g·nt+i]: channels lanes·g.., tap t0+i
		for i := range acc {
			acc[i] = e.vec()
			e.zero(acc[i])
		}
		xr, dr, bcnt := c.GP64(), c.GP64(), c.GP64()
		c.MOVQ(x, xr)
		c.MOVQ(dy, dr)
		c.Load(c.Param("n"), bcnt)
		done, bloop, yloop := e.newLabel("done"), e.newLabel("sample"), e.newLabel("row")
		c.TESTQ(bcnt, bcnt)
		c.JLE(operand.LabelRef(done))
		c.Label(bloop)
		ycnt := c.GP64()
		c.MOVQ(operand.U32(oh), ycnt)
		c.Label(yloop)
		for j := 0; j < ow; j++ {
			dv := make([]reg.VecVirtual, og)
			for g := range dv {
				dv[g] = e.vec()
				c.VMOVUPS(operand.Mem{Base: dr, Disp: 4 * (j*s.O + g*lanes)}, dv[g])
			}
			for i := 0; i < nt; i++ {
				p, q := (t0+i)/s.KW, (t0+i)%s.KW
				m := operand.Mem{Base: xr, Disp: 4 * (p*s.W + j + q)}
				if e.z {
					for g := range dv {
						c.VFMADD231PS_BCST(m, dv[g], acc[g*nt+i]) // acc += dy·x[c,y+p,j+q]
					}
					continue
				}
				xv := e.vec()
				c.VBROADCASTSS(m, xv)
				for g := range dv {
					c.VFMADD231PS(xv, dv[g], acc[g*nt+i]) // acc += dy·x[c,y+p,j+q]
				}
			}
		}
		c.ADDQ(operand.U32(4*s.W), xr)
		c.ADDQ(operand.U32(4*ow*s.O), dr)
		c.DECQ(ycnt)
		c.JNZ(operand.LabelRef(yloop))
		// Next sample: xr is OH rows down its plane, dr at the next sample.
		if d := s.C*s.H*s.W - oh*s.W; d != 0 {
			c.ADDQ(operand.U32(4*d), xr)
		}
		c.DECQ(bcnt)
		c.JNZ(operand.LabelRef(bloop))
		c.Label(done)
		e.chanScatter(dw, acc, t0, nt, taps)
	}
}

// chanScatter stores the sums of taps t0..t0+nt-1 of every channel into
// dw[o,c,p,q], o·taps apart.
func (e *convEmitter) chanScatter(dw reg.GPVirtual, acc []reg.VecVirtual, t0, nt, taps int) {
	c, s, lanes := e.c, e.s, e.lanes
	var idx reg.VecVirtual
	var all reg.GPVirtual
	var k reg.OpmaskVirtual
	if e.z {
		idx = e.vec()
		e.setStride(idx, taps) // lane l: output channel l
		all, k = c.GP32(), c.K()
		c.MOVL(operand.U32(0xffff), all)
	}
	for g := 0; g < s.O/lanes; g++ {
		for i := 0; i < nt; i++ {
			a := acc[g*nt+i]
			p, q := (t0+i)/s.KW, (t0+i)%s.KW
			at := 4 * (g*lanes*taps + p*s.KW + q)
			if e.z {
				c.KMOVW(all, k) // the scatter clears its mask
				c.VSCATTERDPS(a, k, operand.Mem{Base: dw, Index: idx, Scale: 4, Disp: at})
				continue
			}
			hi := c.XMM()
			c.VEXTRACTF128(operand.U8(1), a, hi)
			for l := 0; l < 8; l++ {
				src := a.AsX()
				if l >= 4 {
					src = hi
				}
				c.VEXTRACTPS(operand.U8(l%4), src, operand.Mem{Base: dw, Disp: at + 4*l*taps})
			}
		}
	}
}
