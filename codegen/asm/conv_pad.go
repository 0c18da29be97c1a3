package asm

import (
	"fmt"
	"strings"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Padded forward kernels (ConvSpec with PH or PW): the input x [C,H,W] is
// read as if framed by PH rows above and below and PW columns left and
// right, the full correlation of an input gradient (PH = KH-1, PW = KW-1)
// without the padded copy. Taps whose input row lies off the input are
// skipped; columns off the input read as zero (an FMA adds 0·w there):
//
//	y[o,i,j] = act(Σ_{c,p,q : 0 ≤ i+p-PH < H} x̃[c,i+p-PH,j+q-PW]·w[o,c,p,q] + bias[o])
//
// with x̃ zero outside columns [0,W). The variants unroll the row blocks of
// planConv and the kernel rows, so each block runs only the kernel rows
// that reach the input (LeNet's conv2 input gradient: 50 of 70 row taps),
// and load each input vector under the mask of its columns on the input
// (k-masks on AVX-512; on AVX2, masks kept on the stack for VMASKMOVPS).

// padded reports whether s reads its input padded.
func (s ConvSpec) padded() bool { return s.PH > 0 || s.PW > 0 }

// colMask is the mask of the lanes of column vector v of tap column q
// that read the input (and are output columns).
func (s ConvSpec) colMask(lanes, v, q int) uint32 {
	var m uint32
	for l := 0; l < lanes; l++ {
		j := v*lanes + l
		if jj := j + q - s.PW; j < s.OW() && jj >= 0 && jj < s.W {
			m |= 1 << l
		}
	}
	return m
}

// renderConvPadGeneric writes the Go twin of padded kernel s.
func renderConvPadGeneric(b *strings.Builder, s ConvSpec) {
	oh, ow := s.OH(), s.OW()
	renderConvTwinHead(b, s)
	fmt.Fprintf(b, "for i := max(0, %d-p); i < min(%d, %d-p); i++ {\n", s.PH, oh, s.H+s.PH)
	fmt.Fprintf(b, "yr := (*[%d]float32)(yo[i*%d:])\n", ow, ow)
	fmt.Fprintf(b, "xr := xc[(i+p-%d)*%d:][:%d]\n", s.PH, s.W, s.W)
	b.WriteString("for j := range yr {\n")
	fmt.Fprintf(b, "var xv float32\nif jj := j + q - %d; jj >= 0 && jj < %d {\nxv = xr[jj]\n}\n", s.PW, s.W)
	b.WriteString("yr[j] += wv * xv\n}\n}\n}\n}\n}\n")
	renderConvTwinTail(b, s)
}

// padMasks holds the column masks of a padded variant: a k register per
// distinct mask on AVX-512, a stack slot per mask on AVX2.
type padMasks struct {
	k    map[uint32]reg.OpmaskVirtual
	slot map[uint32]operand.Mem
	full uint32
}

// setPadMasks prepares the masks of every column vector and tap column.
func (e *convEmitter) setPadMasks(nv int) *padMasks {
	c, s := e.c, e.s
	pm := &padMasks{k: map[uint32]reg.OpmaskVirtual{}, slot: map[uint32]operand.Mem{}, full: 1<<e.lanes - 1}
	var masks []uint32
	seen := map[uint32]bool{0: true, pm.full: true}
	for v := 0; v < nv; v++ {
		for q := 0; q < s.KW; q++ {
			if m := s.colMask(e.lanes, v, q); !seen[m] {
				seen[m] = true
				masks = append(masks, m)
			}
		}
	}
	if e.z {
		if len(masks) > 5 {
			return pm // too many for the k registers: padLoad sets each
		}
		t := c.GP32()
		for _, m := range masks {
			k := c.K()
			c.MOVL(operand.U32(m), t)
			c.KMOVW(t, k)
			pm.k[m] = k
		}
		return pm
	}
	if len(masks) == 0 {
		return pm
	}
	local := c.AllocLocal(32 * len(masks))
	iota := c.YMM()
	setIotaYMM(c, iota)
	t := c.GP32()
	for i, m := range masks {
		// Lanes lo..hi-1 are on: mask = (lane ≥ lo) & (lane < hi), as
		// all-ones lanes for VMASKMOVPS.
		lo, hi := 0, 0
		for l := 0; l < 8; l++ {
			if m&(1<<l) != 0 {
				if hi == 0 {
					lo = l
				}
				hi = l + 1
			}
		}
		a, b := c.YMM(), c.YMM()
		c.MOVL(operand.U32(hi), t)
		c.VMOVD(t, b.AsX())
		c.VPBROADCASTD(b.AsX(), b)
		c.VPCMPGTD(iota, b, b) // hi > lane
		c.MOVL(operand.U32(lo), t)
		c.VMOVD(t, a.AsX())
		c.VPBROADCASTD(a.AsX(), a)
		c.VPCMPGTD(iota, a, a) // lo > lane
		c.VPANDN(b, a, a)      // hi > lane && !(lo > lane)
		slot := local.Offset(32 * i)
		c.VMOVDQU(a, slot)
		pm.slot[m] = slot
	}
	return pm
}

// padLoad sets v to the lanes of mask m of memory at mem, zero elsewhere.
func (e *convEmitter) padLoad(pm *padMasks, m uint32, mem operand.Mem, v reg.VecVirtual) {
	c := e.c
	switch {
	case m == pm.full:
		c.VMOVUPS(mem, v)
	case e.z:
		k, ok := pm.k[m]
		if !ok {
			t := c.GP32()
			k = c.K()
			c.MOVL(operand.U32(m), t)
			c.KMOVW(t, k)
		}
		c.VMOVUPS_Z(mem, k, v)
	default:
		mk := c.YMM()
		c.VMOVDQU(pm.slot[m], mk)
		c.VMASKMOVPS(mem, mk, v)
	}
}

// emitConvPadBody emits the padded form of e's kernel over y and x with
// the register blocks of pl: every row block unrolled.
func (e *convEmitter) emitConvPadBody(y, x reg.GPVirtual, pl convPlan) {
	s, lanes := e.s, e.lanes
	oh, ow := s.OH(), s.OW()
	nv := (ow + lanes - 1) / lanes
	tail := ow % lanes
	if tail != 0 {
		e.setTailMask(tail)
	}
	pm := e.setPadMasks(nv)
	for t0 := 0; t0 < nv; t0 += pl.nvt {
		tv := min(pl.nvt, nv-t0)
		partial := tail != 0 && t0+tv == nv
		for o0 := 0; o0 < s.O; o0 += pl.ob {
			cb := min(pl.ob, s.O-o0)
			for i0 := 0; i0 < oh; i0 += pl.r {
				e.padBlock(pm, x, y, o0, cb, i0, min(pl.r, oh-i0), t0, tv, partial)
			}
		}
	}
}

// padBlock emits the outputs of channels o0..o0+cb-1, rows i0..i0+rb-1
// and column vectors t0..t0+tv-1, the last one partial when masked.
func (e *convEmitter) padBlock(pm *padMasks, x, y reg.GPVirtual, o0, cb, i0, rb, t0, tv int, partial bool) {
	c, s, lanes := e.c, e.s, e.lanes
	oh, ow := s.OH(), s.OW()
	acc := make([]reg.VecVirtual, cb*rb*tv)
	for i := range acc {
		acc[i] = e.vec()
		e.zero(acc[i])
	}
	xc, wc := c.GP64(), c.GP64()
	c.MOVQ(x, xc)
	c.MOVQ(e.w, wc)
	var ccnt reg.GPVirtual
	cloop := e.newLabel("chan")
	if s.C > 1 {
		ccnt = c.GP64()
		c.MOVQ(operand.U32(s.C), ccnt)
		c.Label(cloop)
	}
	taps := s.C * s.KH * s.KW
	for p := 0; p < s.KH; p++ {
		var rows []int // the block's rows whose input row i+p-PH is on the input
		for r := 0; r < rb; r++ {
			if ii := i0 + r + p - s.PH; ii >= 0 && ii < s.H {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			continue
		}
		for q := 0; q < s.KW; q++ {
			in := map[int]reg.VecVirtual{} // r·tv+v
			for _, r := range rows {
				for v := 0; v < tv; v++ {
					m := s.colMask(lanes, t0+v, q)
					if m == 0 {
						continue
					}
					ii := i0 + r + p - s.PH
					x := e.vec()
					e.padLoad(pm, m, operand.Mem{Base: xc, Disp: 4 * (ii*s.W + (t0+v)*lanes + q - s.PW)}, x)
					in[r*tv+v] = x
				}
			}
			if len(in) == 0 {
				continue
			}
			for o := 0; o < cb; o++ {
				wv := e.vec()
				c.VBROADCASTSS(operand.Mem{Base: wc, Disp: 4 * ((o0+o)*taps + p*s.KW + q)}, wv)
				for _, r := range rows {
					for v := 0; v < tv; v++ {
						if x, ok := in[r*tv+v]; ok {
							c.VFMADD231PS(x, wv, acc[(o*rb+r)*tv+v]) // acc += wv·x
						}
					}
				}
			}
		}
	}
	if s.C > 1 {
		c.ADDQ(operand.U32(4*s.H*s.W), xc)
		c.ADDQ(operand.U32(4*s.KH*s.KW), wc)
		c.DECQ(ccnt)
		c.JNZ(operand.LabelRef(cloop))
	}
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
				at := (o0+o)*oh*ow + (i0+r)*ow + (t0+v)*lanes
				e.store(a, operand.Mem{Base: y, Disp: 4 * at}, partial && v == tv-1)
			}
		}
	}
}
