package asm

import (
	"fmt"
	"strings"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Output gradient transposition (ConvSpec with Transpose): the layout the
// channel-vector weight gradient reads (conv_chan_gradw.go). For n samples
// of the output gradient of a convolution, the kernel sets
//
//	dst[b,y,j,o] = src[b,o,y,j]
//
// with src [n,O,OH,OW] and dst [n,OH,OW,O], O 16 or 32. The variants
// transpose blocks of lanes channels × lanes positions in registers (16×16
// on AVX-512: unpack pairs of floats, then of pairs, then two shuffles of
// 128-bit blocks; 8×8 on AVX2: the same with one 128-bit permute), the
// last block of positions loaded under a mask and stored in part.

func convTransposeDoc(s ConvSpec) []string {
	ls := []string{
		fmt.Sprintf("%s transposes n samples of a convolution's output gradient for its weight gradient:", s.Name),
		fmt.Sprintf("dst[b,y,j,o] = src[b,o,y,j], src [n,%d,%d,%d], dst [n,%d,%d,%d].", s.O, s.OH(), s.OW(), s.OH(), s.OW(), s.O),
	}
	if s.Source != "" {
		ls = append(ls, "", "Source: "+s.Source)
	}
	return ls
}

// renderConvTransposeGeneric writes the Go twin of transposition s.
func renderConvTransposeGeneric(b *strings.Builder, s ConvSpec) {
	pix := s.OH() * s.OW()
	fmt.Fprintf(b, "// %s is %s in Go.\n", s.variant(variantGeneric), s.Name)
	fmt.Fprintf(b, "func %s(dst, src []float32, n int) {\n", s.variant(variantGeneric))
	b.WriteString("for b := 0; b < n; b++ {\n")
	fmt.Fprintf(b, "sp := src[b*%d:][:%d]\n", s.O*pix, s.O*pix)
	fmt.Fprintf(b, "for i := 0; i < %d; i++ {\n", pix)
	fmt.Fprintf(b, "d := (*[%d]float32)(dst[(b*%d+i)*%d:])\n", s.O, pix, s.O)
	fmt.Fprintf(b, "for o := range d {\nd[o] = sp[o*%d+i]\n}\n}\n}\n}\n\n", pix)
}

func emitConvTransposeFunc(c *build.Context, s ConvSpec, z bool) {
	suffix, lanes := variantAVX2, 8
	if z {
		suffix, lanes = variantAVX512, 16
	}
	c.Function(s.variant(suffix))
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(s.signature())
	c.Pragma("noescape")
	emitConvTransposeVariant(c, &convEmitter{c: c, s: s, z: z, lanes: lanes})
	c.VZEROUPPER()
	c.RET()
}

func emitConvTransposeVariant(c *build.Context, e *convEmitter) {
	s, lanes := e.s, e.lanes
	pix := s.OH() * s.OW()
	dst, src, bcnt := c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("dst").Base(), dst)
	c.Load(c.Param("src").Base(), src)
	c.Load(c.Param("n"), bcnt)
	full, tail := pix/lanes, pix%lanes
	if tail != 0 {
		e.setTailMask(tail)
	}
	done, bloop := e.newLabel("done"), e.newLabel("sample")
	c.TESTQ(bcnt, bcnt)
	c.JLE(operand.LabelRef(done))
	c.Label(bloop)
	sp, dp := c.GP64(), c.GP64()
	c.MOVQ(src, sp)
	c.MOVQ(dst, dp)
	if full > 0 {
		var cnt reg.GPVirtual
		loop := e.newLabel("block")
		if full > 1 {
			cnt = c.GP64()
			c.MOVQ(operand.U32(full), cnt)
			c.Label(loop)
		}
		e.transposeBlock(sp, dp, lanes)
		if full > 1 || tail > 0 {
			c.ADDQ(operand.U32(4*lanes), sp)
			c.ADDQ(operand.U32(4*lanes*s.O), dp)
		}
		if full > 1 {
			c.DECQ(cnt)
			c.JNZ(operand.LabelRef(loop))
		}
	}
	if tail > 0 {
		e.transposeBlock(sp, dp, tail)
	}
	c.ADDQ(operand.U32(4*s.O*pix), src)
	c.ADDQ(operand.U32(4*s.O*pix), dst)
	c.DECQ(bcnt)
	c.JNZ(operand.LabelRef(bloop))
	c.Label(done)
}

// transposeBlock transposes the np ≤ lanes positions from sp on of every
// group of lanes channels into dp.
func (e *convEmitter) transposeBlock(sp, dp reg.GPVirtual, np int) {
	c, s, lanes := e.c, e.s, e.lanes
	pix := s.OH() * s.OW()
	for g := 0; g < s.O/lanes; g++ {
		r := make([]reg.VecVirtual, lanes) // r[o]: channel lanes·g+o, the block's positions
		for o := range r {
			r[o] = e.vec()
			e.load(operand.Mem{Base: sp, Disp: 4 * ((g*lanes + o) * pix)}, r[o], np < lanes)
		}
		// Floats in pairs, then pairs of pairs: u[4i+k], 128-bit block L,
		// holds channels 4i..4i+3 of position 4L+k.
		t := make([]reg.VecVirtual, lanes)
		for i := 0; i < lanes/2; i++ {
			t[2*i], t[2*i+1] = e.vec(), e.vec()
			c.VUNPCKLPS(r[2*i+1], r[2*i], t[2*i])   // a0 b0 a1 b1 per block
			c.VUNPCKHPS(r[2*i+1], r[2*i], t[2*i+1]) // a2 b2 a3 b3 per block
		}
		u := make([]reg.VecVirtual, lanes)
		for i := 0; i < lanes/4; i++ {
			for h := 0; h < 2; h++ {
				a, b := t[4*i+h], t[4*i+2+h]
				u[4*i+2*h], u[4*i+2*h+1] = e.vec(), e.vec()
				c.VUNPCKLPD(b, a, u[4*i+2*h])   // a0 b0 c0 d0 per block
				c.VUNPCKHPD(b, a, u[4*i+2*h+1]) // a1 b1 c1 d1 per block
			}
		}
		out := make([]reg.VecVirtual, 4*(lanes/4)) // out[4L+k]: position 4L+k
		for k := 0; k < 4; k++ {
			if lanes == 8 {
				a, b := u[k], u[4+k]
				out[k], out[4+k] = e.vec(), e.vec()
				c.VPERM2F128(operand.U8(0x20), b, a, out[k])   // low blocks of a and b
				c.VPERM2F128(operand.U8(0x31), b, a, out[4+k]) // high blocks
				continue
			}
			a, b, cc, d := u[k], u[4+k], u[8+k], u[12+k]
			ef, gh := [2]reg.VecVirtual{e.vec(), e.vec()}, [2]reg.VecVirtual{e.vec(), e.vec()}
			c.VSHUFF32X4(operand.U8(0x44), b, a, ef[0])  // a0 a1 b0 b1
			c.VSHUFF32X4(operand.U8(0xee), b, a, ef[1])  // a2 a3 b2 b3
			c.VSHUFF32X4(operand.U8(0x44), d, cc, gh[0]) // c0 c1 d0 d1
			c.VSHUFF32X4(operand.U8(0xee), d, cc, gh[1]) // c2 c3 d2 d3
			for L := 0; L < 4; L++ {
				out[4*L+k] = e.vec()
				imm := uint8(0x88)
				if L%2 == 1 {
					imm = 0xdd
				}
				c.VSHUFF32X4(operand.U8(imm), gh[L/2], ef[L/2], out[4*L+k]) // aL bL cL dL
			}
		}
		for p := 0; p < np; p++ {
			c.VMOVUPS(out[p], operand.Mem{Base: dp, Disp: 4 * (p*s.O + g*lanes)})
		}
	}
}
