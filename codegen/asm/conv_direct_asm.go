package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
	"github.com/mmcloughlin/avo/x86"
)

// compileConv builds the dispatcher and the variants of s, each variant in
// its own context; a variant that does not fit the registers is planned
// again with more registers kept free.
func compileConv(s ConvSpec) (*ir.File, error) {
	c := build.NewContext()
	emitDispatcher(c, s.Name, s.signature(), convDoc(s), s.variant, convFlags)
	out, err := finishElem(c)
	if err != nil {
		return nil, err
	}
	for _, z := range []bool{true, false} {
		var f *ir.File
		for slack := 2; slack <= 8; slack++ {
			if f, err = compileConvVariant(s, z, slack); err == nil {
				break
			}
		}
		if err != nil {
			return nil, err
		}
		out.Sections = append(out.Sections, f.Sections...)
	}
	return out, nil
}

// compileConvVariant emits and compiles one variant, turning panics of the
// register allocator into errors.
func compileConvVariant(s ConvSpec, z bool, slack int) (f *ir.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("conv %s: %v", s.Name, r)
		}
	}()
	c := build.NewContext()
	switch {
	case s.Transpose:
		emitConvTransposeFunc(c, s, z)
	case s.GradW:
		emitConvGradWVariant(c, s, z, slack)
	default:
		emitConvVariant(c, s, z, slack)
	}
	return finishElem(c)
}

// convEmitter emits one variant.
type convEmitter struct {
	c     *build.Context
	s     ConvSpec
	z     bool
	lanes int
	kmask reg.OpmaskVirtual // AVX-512 tail lanes
	ymask reg.VecVirtual    // AVX2 tail lanes (sign bits)
	w, b  reg.GPVirtual     // weight and bias bases
	label int
}

func (e *convEmitter) vec() reg.VecVirtual {
	if e.z {
		return e.c.ZMM()
	}
	return e.c.YMM()
}

// zero sets v to zero, marked as not reading v (see fpOps.zero).
func (e *convEmitter) zero(v reg.VecVirtual) {
	i, err := x86.VXORPS(v, v, v) // v = 0
	if e.z {
		i, err = x86.VPXORD(v, v, v) // v = 0 (VXORPS on zmm needs AVX512DQ)
	}
	if err != nil {
		panic("asm: " + err.Error())
	}
	i.CancellingInputs = true
	e.c.Instruction(i)
}

// load sets v = m, only the tail lanes when masked.
func (e *convEmitter) load(m operand.Mem, v reg.VecVirtual, masked bool) {
	switch {
	case !masked:
		e.c.VMOVUPS(m, v)
	case e.z:
		e.c.VMOVUPS_Z(m, e.kmask, v)
	default:
		e.c.VMASKMOVPS(m, e.ymask, v)
	}
}

// store sets m = v, only the tail lanes when masked.
func (e *convEmitter) store(v reg.VecVirtual, m operand.Mem, masked bool) {
	switch {
	case !masked:
		e.c.VMOVUPS(v, m)
	case e.z:
		e.c.VMOVUPS(v, e.kmask, m)
	default:
		e.c.VMASKMOVPS(v, e.ymask, m)
	}
}

func (e *convEmitter) newLabel(what string) string {
	e.label++
	return fmt.Sprintf("%s%d", what, e.label)
}

func emitConvVariant(c *build.Context, s ConvSpec, z bool, slack int) {
	suffix, lanes, regs := variantAVX2, 8, 16
	if z {
		suffix, lanes, regs = variantAVX512, 16, 32
	}
	c.Function(s.variant(suffix))
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(s.signature())
	c.Pragma("noescape")
	e := &convEmitter{c: c, s: s, z: z, lanes: lanes}
	pl := planConv(s, lanes, regs, slack)
	y, x := c.GP64(), c.GP64()
	e.w = c.GP64()
	c.Load(c.Param("y").Base(), y)
	c.Load(c.Param("x").Base(), x)
	c.Load(c.Param("w").Base(), e.w)
	if s.Bias {
		e.b = c.GP64()
		c.Load(c.Param("bias").Base(), e.b)
	}
	if s.padded() {
		e.emitConvPadBody(y, x, pl)
		c.VZEROUPPER()
		c.RET()
		return
	}
	if z && chanVectors(s) {
		e.chanBody(y, x, slack)
		c.VZEROUPPER()
		c.RET()
		return
	}
	oh, ow := s.OH(), s.OW()
	nv := (ow + lanes - 1) / lanes
	tail := ow % lanes
	if tail != 0 {
		e.setTailMask(tail)
	}
	for t0 := 0; t0 < nv; t0 += pl.nvt {
		tv := min(pl.nvt, nv-t0)
		partial := tail != 0 && t0+tv == nv
		j0 := t0 * lanes
		for o0 := 0; o0 < s.O; o0 += pl.ob {
			cb := min(pl.ob, s.O-o0)
			xrow, yrow := c.GP64(), c.GP64()
			c.LEAQ(operand.Mem{Base: x, Disp: 4 * j0}, xrow)
			c.LEAQ(operand.Mem{Base: y, Disp: 4 * (o0*oh*ow + j0)}, yrow)
			full, rem := oh/pl.r, oh%pl.r
			if full > 0 {
				var cnt reg.GPVirtual
				loop := e.newLabel("rows")
				if full > 1 {
					cnt = c.GP64()
					c.MOVQ(operand.U32(full), cnt)
					c.Label(loop)
				}
				e.block(xrow, yrow, o0, cb, pl.r, tv, partial)
				if full > 1 || rem > 0 {
					c.ADDQ(operand.U32(4*pl.r*s.W), xrow)
					c.ADDQ(operand.U32(4*pl.r*ow), yrow)
				}
				if full > 1 {
					c.DECQ(cnt)
					c.JNZ(operand.LabelRef(loop))
				}
			}
			if rem > 0 {
				e.block(xrow, yrow, o0, cb, rem, tv, partial)
			}
		}
	}
	c.VZEROUPPER()
	c.RET()
}

// block emits the outputs of channels o0..o0+cb-1, rb rows from yrow's and
// tv column vectors from its column on, the last one partial when masked.
func (e *convEmitter) block(xrow, yrow reg.GPVirtual, o0, cb, rb, tv int, partial bool) {
	c, s, lanes := e.c, e.s, e.lanes
	oh, ow := s.OH(), s.OW()
	acc := make([]reg.VecVirtual, cb*rb*tv)
	for i := range acc {
		acc[i] = e.vec()
		e.zero(acc[i])
	}
	xc, wc := c.GP64(), c.GP64()
	c.MOVQ(xrow, xc)
	c.MOVQ(e.w, wc)
	// Loops over the channels c and the kernel rows p; the taps q of a
	// row are unrolled. xc and wc point at x[c, p, j] and w[0, c, p, 0].
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
	in := make([]reg.VecVirtual, rb*tv)
	for q := 0; q < s.KW; q++ {
		for r := 0; r < rb; r++ {
			for v := 0; v < tv; v++ {
				in[r*tv+v] = e.vec()
				e.load(operand.Mem{Base: xc, Disp: 4 * (r*s.W + q + v*lanes)}, in[r*tv+v], partial && v == tv-1)
			}
		}
		for o := 0; o < cb; o++ {
			wv := e.vec()
			c.VBROADCASTSS(operand.Mem{Base: wc, Disp: 4 * e.wAt(o0+o, q)}, wv)
			for i, x := range in {
				c.VFMADD231PS(x, wv, acc[o*rb*tv+i]) // acc += wv·x
			}
		}
	}
	e.nextTapRow(xc, wc, pcnt, ccnt, ploop, cloop)
	var zero reg.VecVirtual
	if s.Relu {
		zero = e.vec()
		e.zero(zero)
	}
	for o := 0; o < cb; o++ {
		var bv reg.VecVirtual
		if s.Bias {
			bv = e.vec()
			c.VBROADCASTSS(operand.Mem{Base: e.b, Disp: 4 * (o0 + o)}, bv)
		}
		for r := 0; r < rb; r++ {
			for v := 0; v < tv; v++ {
				a := acc[(o*rb+r)*tv+v]
				if s.Bias {
					c.VADDPS(bv, a, a)
				}
				if s.Relu {
					c.VMAXPS(a, zero, a) // max(0, a), NaN for NaN
				}
				e.store(a, operand.Mem{Base: yrow, Disp: 4 * (o*oh*ow + r*ow + v*lanes)}, partial && v == tv-1)
			}
		}
	}
}

// wAt is the offset of weight w[o,c,p,q] from w[0,c,p,0] (w[c,p,0,0]
// with TW).
func (e *convEmitter) wAt(o, q int) int {
	if e.s.TW {
		return q*e.s.O + o
	}
	return o*e.s.C*e.s.KH*e.s.KW + q
}

// nextTapRow closes the loops over the kernel rows p and the channels c
// that block opened: xc and wc step to the next kernel row, then to the
// next plane.
func (e *convEmitter) nextTapRow(xc, wc, pcnt, ccnt reg.GPVirtual, ploop, cloop string) {
	c, s := e.c, e.s
	wrow := s.KW // w[0,c,p+1,0] - w[0,c,p,0], also w[0,c+1,0,0] - w[0,c,KH-1,0]
	if s.TW {
		wrow = s.KW * s.O
	}
	if s.KH > 1 {
		c.ADDQ(operand.U32(4*s.W), xc)
		c.ADDQ(operand.U32(4*wrow), wc)
		c.DECQ(pcnt)
		c.JNZ(operand.LabelRef(ploop))
	}
	if s.C > 1 {
		// Next plane: xc is KH rows down the last one, wc at w[0, c+1, 0, 0].
		if s.KH > 1 {
			if d := s.H*s.W - s.KH*s.W; d != 0 {
				c.ADDQ(operand.U32(4*d), xc)
			}
		} else {
			c.ADDQ(operand.U32(4*s.H*s.W), xc)
			c.ADDQ(operand.U32(4*wrow), wc)
		}
		c.DECQ(ccnt)
		c.JNZ(operand.LabelRef(cloop))
	}
}

// setTailMask sets the mask of a vector's first tail lanes (a constant of
// the shape): e.kmask on AVX-512, else e.ymask, all-ones lanes for
// VMASKMOVPS.
func (e *convEmitter) setTailMask(tail int) {
	c := e.c
	if e.z {
		t := c.GP32()
		c.MOVL(operand.U32(1<<tail-1), t)
		e.kmask = c.K()
		c.KMOVW(t, e.kmask)
		return
	}
	e.ymask = c.YMM()
	iota := c.YMM()
	setIotaYMM(c, iota)
	t := c.GP32()
	c.MOVL(operand.U32(tail), t)
	nvr := c.YMM()
	c.VMOVD(t, nvr.AsX())
	c.VPBROADCASTD(nvr.AsX(), nvr)
	c.VPCMPGTD(iota, nvr, e.ymask) // mask = tail > lane
}
