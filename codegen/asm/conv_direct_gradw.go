package asm

import (
	"fmt"
	"strings"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Direct weight gradients (ConvSpec with GradW): for one kernel row (c,p)
// of a stride-1, unpadded, undilated convolution, the kernel sets
//
//	dw[o,c,p,q] = Σ_{b,y,j} dy[b,o,y,j]·x[b,c,y+p,j+q]
//
// for every o and q over n samples, from x and dw sliced at the row (x from
// x[0,c,p,0] on, dw from dw[0,c,p,0] on; dy whole). The variants keep the
// accumulators of a block of output channels × all kernel columns, one
// vector of lanes each, and stream the samples, rows and column vectors
// (the last one masked): per vector they load the KW shifted input
// vectors, then per channel the output gradient vector, and FMA. Lane l of
// an accumulator sums the columns j ≡ l (mod lanes) in order (b, y, j);
// the lanes then add as a tree (l with l+lanes/2, ... down to lane 0), as
// the twin does with 16 lanes. The result depends only on the shape, not
// on how the caller splits the kernel rows over threads.

func convGradWDoc(s ConvSpec) []string {
	ls := []string{
		fmt.Sprintf("%s is the weight gradient of one kernel row (c,p) of a direct convolution:", s.Name),
		"dw[o,c,p,q] = Σ_{b,y,j} dy[b,o,y,j]·x[b,c,y+p,j+q] over n samples, with x and dw sliced",
		fmt.Sprintf("at (c,p), x [n,%d,%d,%d], dy [n,%d,%d,%d], dw [%d,%d,%d,%d].",
			s.C, s.H, s.W, s.O, s.OH(), s.OW(), s.O, s.C, s.KH, s.KW),
	}
	if s.Source != "" {
		ls = append(ls, "", "Source: "+s.Source)
	}
	return ls
}

// renderConvGradWGeneric writes the Go twin of weight gradient s: 16 lane
// sums per output, added as a tree at the end.
func renderConvGradWGeneric(b *strings.Builder, s ConvSpec) {
	oh, ow := s.OH(), s.OW()
	taps := s.C * s.KH * s.KW
	fmt.Fprintf(b, "// %s is %s in Go.\n", s.variant(variantGeneric), s.Name)
	fmt.Fprintf(b, "func %s(dw, x, dy []float32, n int) {\n", s.variant(variantGeneric))
	fmt.Fprintf(b, "for o := 0; o < %d; o++ {\n", s.O)
	fmt.Fprintf(b, "for q := 0; q < %d; q++ {\n", s.KW)
	b.WriteString("var acc [16]float32\n")
	b.WriteString("for b := 0; b < n; b++ {\n")
	fmt.Fprintf(b, "for y := 0; y < %d; y++ {\n", oh)
	fmt.Fprintf(b, "dr := (*[%d]float32)(dy[((b*%d+o)*%d+y)*%d:])\n", ow, s.O, oh, ow)
	fmt.Fprintf(b, "xr := (*[%d]float32)(x[b*%d+y*%d+q:])\n", ow, s.C*s.H*s.W, s.W)
	b.WriteString("for j, d := range dr {\nacc[j&15] += d * xr[j]\n}\n}\n}\n")
	b.WriteString("for h := 8; h > 0; h /= 2 {\nfor l := 0; l < h; l++ {\nacc[l] += acc[l+h]\n}\n}\n")
	fmt.Fprintf(b, "dw[o*%d+q] = acc[0]\n", taps)
	b.WriteString("}\n}\n}\n\n")
}

// gradWBlock is the number of output channels a variant keeps: ob·KW
// accumulators, KW input vectors and one output gradient vector within
// regs-slack registers, the channels cut into blocks as even as can be.
func gradWBlock(s ConvSpec, regs, slack int) int {
	ob := max(1, (regs-slack-s.KW)/s.KW)
	nb := (s.O + ob - 1) / ob
	return (s.O + nb - 1) / nb
}

func emitConvGradWVariant(c *build.Context, s ConvSpec, z bool, slack int) {
	suffix, lanes, regs := variantAVX2, 8, 16
	if z {
		suffix, lanes, regs = variantAVX512, 16, 32
	}
	c.Function(s.variant(suffix))
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(s.signature())
	c.Pragma("noescape")
	e := &convEmitter{c: c, s: s, z: z, lanes: lanes}
	if s.Chan {
		emitConvGradWChanVariant(c, e, slack)
		c.VZEROUPPER()
		c.RET()
		return
	}
	// slack counts the output gradient vector and, on AVX2, the tail mask.
	ob := gradWBlock(s, regs, slack-1)
	dw, x, dy := c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("dw").Base(), dw)
	c.Load(c.Param("x").Base(), x)
	c.Load(c.Param("dy").Base(), dy)
	oh, ow := s.OH(), s.OW()
	nv := (ow + lanes - 1) / lanes
	tail := ow % lanes
	if tail != 0 {
		e.setTailMask(tail)
	}
	plane := oh * ow
	for o0 := 0; o0 < s.O; o0 += ob {
		cb := min(ob, s.O-o0)
		acc := make([]reg.VecVirtual, cb*s.KW)
		for i := range acc {
			acc[i] = e.vec()
			e.zero(acc[i])
		}
		xr, dr, bcnt := c.GP64(), c.GP64(), c.GP64()
		c.MOVQ(x, xr)
		c.LEAQ(operand.Mem{Base: dy, Disp: 4 * o0 * plane}, dr)
		c.Load(c.Param("n"), bcnt)
		done, bloop := e.newLabel("done"), e.newLabel("sample")
		c.TESTQ(bcnt, bcnt)
		c.JLE(operand.LabelRef(done))
		c.Label(bloop)
		ycnt := c.GP64()
		yloop := e.newLabel("row")
		c.MOVQ(operand.U32(oh), ycnt)
		c.Label(yloop)
		for v := 0; v < nv; v++ {
			masked := tail != 0 && v == nv-1
			in := make([]reg.VecVirtual, s.KW)
			for q := range in {
				in[q] = e.vec()
				e.load(operand.Mem{Base: xr, Disp: 4 * (v*lanes + q)}, in[q], masked)
			}
			for o := 0; o < cb; o++ {
				d := e.vec()
				e.load(operand.Mem{Base: dr, Disp: 4 * (o*plane + v*lanes)}, d, masked)
				for q := range in {
					c.VFMADD231PS(in[q], d, acc[o*s.KW+q]) // acc += d·x
				}
			}
		}
		c.ADDQ(operand.U32(4*s.W), xr)
		c.ADDQ(operand.U32(4*ow), dr)
		c.DECQ(ycnt)
		c.JNZ(operand.LabelRef(yloop))
		// Next sample: xr is OH rows down its plane, dr at the next channel.
		if d := s.C*s.H*s.W - oh*s.W; d != 0 {
			c.ADDQ(operand.U32(4*d), xr)
		}
		if d := (s.O - 1) * plane; d != 0 {
			c.ADDQ(operand.U32(4*d), dr)
		}
		c.DECQ(bcnt)
		c.JNZ(operand.LabelRef(bloop))
		c.Label(done)
		for o := 0; o < cb; o++ {
			for q := 0; q < s.KW; q++ {
				a := acc[o*s.KW+q]
				e.reduce(a)
				c.VMOVSS(a.AsX(), operand.Mem{Base: dw, Disp: 4 * ((o0+o)*s.C*s.KH*s.KW + q)})
			}
		}
	}
	c.VZEROUPPER()
	c.RET()
}

// reduce adds the lanes of a into its lane 0 as a tree: lane l with lane
// l+lanes/2, then l+lanes/4, ... (zmm operations only, AVX512F without VL).
func (e *convEmitter) reduce(a reg.VecVirtual) {
	c := e.c
	t := e.vec()
	if e.z {
		c.VSHUFF64X2(operand.U8(0x4e), a, a, t) // swap the 256-bit halves
		c.VADDPS(t, a, a)
		c.VSHUFF32X4(operand.U8(0xb1), a, a, t) // swap 128-bit blocks in pairs
	} else {
		c.VPERM2F128(operand.U8(0x01), a, a, t) // swap the 128-bit halves
	}
	c.VADDPS(t, a, a)
	c.VPERMILPS(operand.U8(0x4e), a, t) // swap 64-bit pairs
	c.VADDPS(t, a, a)
	c.VPERMILPS(operand.U8(0xb1), a, t) // swap neighbours
	c.VADDPS(t, a, a)
}
