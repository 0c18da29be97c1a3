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

// compilePool builds the dispatcher and the variants of s, each variant in
// its own context.
func compilePool(s PoolSpec) (*ir.File, error) {
	c := build.NewContext()
	emitDispatcher(c, s.Name, s.signature(), poolDoc(s), s.variant, poolFlags)
	out, err := finishElem(c)
	if err != nil {
		return nil, err
	}
	for _, z := range []bool{true, false} {
		f, err := compilePoolVariant(s, z)
		if err != nil {
			return nil, err
		}
		out.Sections = append(out.Sections, f.Sections...)
	}
	return out, nil
}

// compilePoolVariant emits and compiles one variant, turning panics of the
// register allocator into errors.
func compilePoolVariant(s PoolSpec, z bool) (f *ir.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pool %s: %v", s.Name, r)
		}
	}()
	c := build.NewContext()
	emitPoolVariant(c, s, z)
	return finishElem(c)
}

// poolEmitter emits one variant. A mask is an opmask register on AVX-512
// and a vector of all-ones lanes on AVX2.
type poolEmitter struct {
	c     *build.Context
	s     PoolSpec
	z     bool
	lanes int
	local operand.Mem               // 16 bytes of stack for building constants
	kmask map[int]reg.OpmaskVirtual // AVX-512 masks of the first n lanes
	ymask map[int]reg.VecVirtual    // AVX2 masks of the first n lanes
	zerov reg.VecVirtual
	label int
}

func (e *poolEmitter) vec() reg.VecVirtual {
	if e.z {
		return e.c.ZMM()
	}
	return e.c.YMM()
}

func (e *poolEmitter) newLabel(what string) string {
	e.label++
	return fmt.Sprintf("%s%d", what, e.label)
}

// zero sets v to zero, marked as not reading v.
func (e *poolEmitter) zero(v reg.VecVirtual) {
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

// constVec returns a vector of the int32 lanes vals (int8 values), built
// in the stack slot and sign-extended (VPMOVSXBD), so that -1 makes an
// all-ones lane.
func (e *poolEmitter) constVec(vals []int8) reg.VecVirtual {
	c := e.c
	var b [16]byte
	for i, v := range vals {
		b[i] = byte(v)
	}
	t := c.GP64()
	for h := 0; h < len(vals); h += 8 {
		var q uint64
		for i := 7; i >= 0; i-- {
			q = q<<8 | uint64(b[h+i])
		}
		c.MOVQ(operand.U64(q), t)
		c.MOVQ(t, e.local.Offset(h))
	}
	v := e.vec()
	c.VPMOVSXBD(e.local, v) // v = int32(vals)
	return v
}

// broadcast returns a vector of int32 lanes v.
func (e *poolEmitter) broadcast(v int32) reg.VecVirtual {
	e.c.MOVL(operand.U32(uint32(v)), e.local)
	r := e.vec()
	e.c.VPBROADCASTD(e.local, r)
	return r
}

// setMasks builds the masks of the first n lanes for each n of counts
// (0 < n < lanes), before any loop.
func (e *poolEmitter) setMasks(counts map[int]bool) {
	c := e.c
	for n := 1; n < e.lanes; n++ {
		if !counts[n] {
			continue
		}
		if e.z {
			t := c.GP32()
			c.MOVL(operand.U32(1<<n-1), t)
			k := c.K()
			c.KMOVW(t, k)
			e.kmask[n] = k
			continue
		}
		vals := make([]int8, e.lanes)
		for i := range n {
			vals[i] = -1
		}
		e.ymask[n] = e.constVec(vals)
	}
}

// load sets v to the first n lanes at m, zero beyond.
func (e *poolEmitter) load(m operand.Mem, v reg.VecVirtual, n int) {
	switch {
	case n <= 0:
		e.zero(v)
	case n >= e.lanes:
		e.c.VMOVUPS(m, v)
	case e.z:
		e.c.VMOVUPS_Z(m, e.kmask[n], v)
	default:
		e.c.VMASKMOVPS(m, e.ymask[n], v)
	}
}

// store sets the first n lanes at m to v.
func (e *poolEmitter) store(v reg.VecVirtual, m operand.Mem, n int) {
	switch {
	case n >= e.lanes:
		e.c.VMOVUPS(v, m)
	case e.z:
		e.c.VMOVUPS(v, e.kmask[n], m)
	default:
		e.c.VMASKMOVPS(v, e.ymask[n], m)
	}
}

// bytesToGP loads n < 8 bytes at m into the low bytes of a register.
func (e *poolEmitter) bytesToGP(m operand.Mem, n int) reg.GPVirtual {
	c := e.c
	r := c.GP64()
	off, first := 0, true
	for _, w := range []int{4, 2, 1} {
		if n&w == 0 {
			continue
		}
		t := r
		if !first {
			t = c.GP64()
		}
		switch w {
		case 4:
			c.MOVL(m.Offset(off), t.As32())
		case 2:
			c.MOVWQZX(m.Offset(off), t)
		case 1:
			c.MOVBQZX(m.Offset(off), t)
		}
		if !first {
			c.SHLQ(operand.U8(8*off), t)
			c.ORQ(t, r)
		}
		first = false
		off += w
	}
	return r
}

// gpToBytes stores the n < 8 low bytes of r at m, destroying r.
func (e *poolEmitter) gpToBytes(r reg.GPVirtual, m operand.Mem, n int) {
	c := e.c
	off := 0
	for _, w := range []int{4, 2, 1} {
		if n&w == 0 {
			continue
		}
		switch w {
		case 4:
			c.MOVL(r.As32(), m.Offset(off))
		case 2:
			c.MOVW(r.As16(), m.Offset(off))
		case 1:
			c.MOVB(r.As8(), m.Offset(off))
		}
		off += w
		if n > off {
			c.SHRQ(operand.U8(8*w), r)
		}
	}
}

// loadIdx sets v to the int32 lanes of the first n bytes at m, zero beyond.
func (e *poolEmitter) loadIdx(m operand.Mem, v reg.VecVirtual, n int) {
	c := e.c
	switch {
	case n >= e.lanes:
		c.VPMOVZXBD(m, v)
	case e.z:
		c.VPMOVZXBD_Z(m, e.kmask[n], v)
	default:
		r := e.bytesToGP(m, n)
		c.VMOVQ(r, v.AsX())
		c.VPMOVZXBD(v.AsX(), v)
	}
}

// storeIdx stores the first n int32 lanes of v (< 256) as bytes at m.
func (e *poolEmitter) storeIdx(v reg.VecVirtual, m operand.Mem, n int) {
	c := e.c
	if e.z {
		if n >= e.lanes {
			c.VPMOVDB(v, m)
		} else {
			c.VPMOVDB(v, e.kmask[n], m)
		}
		return
	}
	hi, w := c.XMM(), c.XMM()
	c.VEXTRACTI128(operand.U8(1), v, hi)
	c.VPACKUSDW(hi, v.AsX(), w) // w = uint16(v)
	c.VPACKUSWB(w, w, w)        // w[:8] = uint8(v)
	if n >= e.lanes {
		c.VMOVQ(w, m)
		return
	}
	r := c.GP64()
	c.VMOVQ(w, r)
	e.gpToBytes(r, m, n)
}

// A poolMask is the result of a lane compare: an opmask on AVX-512, a
// vector on AVX2.
type poolMask struct {
	k reg.OpmaskVirtual
	y reg.VecVirtual
}

// replaces returns the lanes where v replaces the running maximum a:
// v > a or v is NaN.
func (e *poolEmitter) replaces(v, a reg.VecVirtual) poolMask {
	c := e.c
	if e.z {
		k, n := c.K(), c.K()
		c.VCMPPS(operand.U8(0x1e), a, v, k) // k = v > a (GT_OQ)
		c.VCMPPS(operand.U8(0x03), v, v, n) // n = v is NaN (UNORD_Q)
		c.KORW(n, k, k)
		return poolMask{k: k}
	}
	m, n := c.YMM(), c.YMM()
	c.VCMPPS(operand.U8(0x1e), a, v, m) // m = v > a (GT_OQ)
	c.VCMPPS(operand.U8(0x03), v, v, n) // n = v is NaN (UNORD_Q)
	c.VORPS(n, m, m)
	return poolMask{y: m}
}

// blend sets dst = v in the lanes of m.
func (e *poolEmitter) blend(m poolMask, v, dst reg.VecVirtual) {
	if e.z {
		e.c.VMOVAPS(v, m.k, dst)
		return
	}
	e.c.VBLENDVPS(m.y, v, dst, dst)
}

// emitPoolVariant emits the AVX-512 (z) or AVX2 variant of s.
func emitPoolVariant(c *build.Context, s PoolSpec, z bool) {
	suffix, lanes := variantAVX2, 8
	if z {
		suffix, lanes = variantAVX512, 16
	}
	c.Function(s.variant(suffix))
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(s.signature())
	c.Pragma("noescape")
	e := &poolEmitter{c: c, s: s, z: z, lanes: lanes, kmask: map[int]reg.OpmaskVirtual{}, ymask: map[int]reg.VecVirtual{}}
	e.local = c.AllocLocal(16)
	if s.Grad {
		e.grad()
	} else {
		e.forward()
	}
	c.VZEROUPPER()
	c.RET()
}

// rows emits the loops over the output rows of n planes: row emits one
// output row, advance moves the pointers to the next row, planeEnd (when
// the planes have trailing input rows) finishes a plane.
func (e *poolEmitter) rows(n reg.GPVirtual, row, advance, planeEnd func()) {
	c, s := e.c, e.s
	done := e.newLabel("done")
	c.TESTQ(n, n)
	c.JLE(operand.LabelRef(done)) // if n <= 0: return
	cnt := c.GP64()
	rowL := e.newLabel("row")
	if s.H == s.KH*s.OH() {
		c.IMUL3Q(operand.U32(s.OH()), n, cnt) // the planes' rows follow each other
		c.Label(rowL)
		row()
		advance()
		c.DECQ(cnt)
		c.JNZ(operand.LabelRef(rowL))
	} else {
		planeL := e.newLabel("plane")
		c.Label(planeL)
		c.MOVQ(operand.U32(s.OH()), cnt)
		c.Label(rowL)
		row()
		advance()
		c.DECQ(cnt)
		c.JNZ(operand.LabelRef(rowL))
		planeEnd()
		c.DECQ(n)
		c.JNZ(operand.LabelRef(planeL))
	}
	c.Label(done)
}

// fwdBlock describes the outputs [j0, j0+cnt) of a row that one vector
// holds and the valid lanes of the KW input vectors they read.
type fwdBlock struct {
	j0, cnt int
	parts   []int
}

func (e *poolEmitter) fwdBlocks() []fwdBlock {
	s, l := e.s, e.lanes
	var bs []fwdBlock
	for j0 := 0; j0 < s.OW(); j0 += l {
		b := fwdBlock{j0: j0, cnt: min(l, s.OW()-j0)}
		for r := range s.KW {
			b.parts = append(b.parts, max(0, min(l, s.KW*b.cnt-r*l)))
		}
		bs = append(bs, b)
	}
	return bs
}

// forward emits the forward kernel: per output row and vector of outputs,
// each kernel row's taps (the input row deinterleaved) reduced in order,
// then the kernel rows in order, with the argmax when s.Index.
func (e *poolEmitter) forward() {
	c, s := e.c, e.s
	y, x, n := c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("y").Base(), y)
	c.Load(c.Param("x").Base(), x)
	c.Load(c.Param("n"), n)
	var idx reg.GPVirtual
	if s.Index {
		idx = c.GP64()
		c.Load(c.Param("idx").Base(), idx)
	}
	blocks := e.fwdBlocks()
	counts := map[int]bool{}
	for _, b := range blocks {
		counts[b.cnt] = true
		for _, p := range b.parts {
			counts[p] = true
		}
	}
	e.setMasks(counts)
	var even, odd, one reg.VecVirtual
	if s.KW == 2 && e.z {
		ev, od := make([]int8, 16), make([]int8, 16)
		for l := range 16 {
			ev[l], od[l] = int8(2*l), int8(2*l+1)
		}
		even, odd = e.constVec(ev), e.constVec(od)
	}
	rowOff := map[int]reg.VecVirtual{} // p·KW
	if s.Index {
		if s.KW == 2 && e.z {
			one = e.broadcast(1)
		}
		for p := 1; p < s.KH; p++ {
			rowOff[p] = e.broadcast(int32(p * s.KW))
		}
	}
	row := func() {
		for _, b := range blocks {
			var best, arg reg.VecVirtual
			for p := range s.KH {
				m := operand.Mem{Base: x, Disp: 4 * (p*s.W + s.KW*b.j0)}
				v, ri := e.kernelRow(m, b, even, odd, one)
				if p == 0 {
					best, arg = v, ri
					if s.Index && s.KW == 1 {
						arg = e.vec()
						e.zero(arg) // offset 0 in the window
					}
					continue
				}
				k := e.replaces(v, best)
				e.blend(k, v, best)
				if !s.Index {
					continue
				}
				if s.KW == 1 {
					ri = rowOff[p]
				} else {
					c.VPADDD(rowOff[p], ri, ri) // offset in the window
				}
				e.blend(k, ri, arg)
			}
			e.store(best, operand.Mem{Base: y, Disp: 4 * b.j0}, b.cnt)
			if s.Index {
				e.storeIdx(arg, operand.Mem{Base: idx, Disp: b.j0}, b.cnt)
			}
		}
	}
	advance := func() {
		c.ADDQ(operand.U32(4*s.KH*s.W), x)
		c.ADDQ(operand.U32(4*s.OW()), y)
		if s.Index {
			c.ADDQ(operand.U32(s.OW()), idx)
		}
	}
	planeEnd := func() {
		c.ADDQ(operand.U32(4*(s.H-s.KH*s.OH())*s.W), x)
	}
	e.rows(n, row, advance, planeEnd)
}

// kernelRow loads the taps of one kernel row for block b from m and
// reduces them in order: it returns their maximum and, for KW = 2 with
// s.Index, the offset of its tap in the row (0 or 1).
func (e *poolEmitter) kernelRow(m operand.Mem, b fwdBlock, even, odd, one reg.VecVirtual) (v, ri reg.VecVirtual) {
	c, s := e.c, e.s
	a := e.vec()
	e.load(m, a, b.parts[0])
	if s.KW == 1 {
		return a, nil
	}
	bv := e.vec()
	e.load(m.Offset(4*e.lanes), bv, b.parts[1])
	ev := e.vec()
	if e.z {
		c.VMOVAPS(a, ev)
		c.VPERMT2PS(bv, even, ev) // ev = x[0], x[2], ... of a, bv
		c.VPERMT2PS(bv, odd, a)   // a = x[1], x[3], ...
	} else {
		od := e.vec()
		c.VSHUFPS(operand.U8(0x88), bv, a, ev) // ev = a0 a2 b0 b2 | a4 a6 b4 b6
		c.VSHUFPS(operand.U8(0xdd), bv, a, od) // od = a1 a3 b1 b3 | a5 a7 b5 b7
		c.VPERMPD(operand.U8(0xd8), ev, ev)    // ev = a0 a2 a4 a6 b0 b2 b4 b6
		c.VPERMPD(operand.U8(0xd8), od, od)
		a = od
	}
	k := e.replaces(a, ev)
	e.blend(k, a, ev)
	if !s.Index {
		return ev, nil
	}
	ri = e.vec()
	if e.z {
		c.VMOVDQA32_Z(one, k.k, ri) // ri = 1 where the odd tap won
	} else {
		c.VPSRLD(operand.U8(31), k.y, ri) // ri = 1 where the odd tap won
	}
	return ev, ri
}

// grad emits the backward kernel: per output row and vector of outputs,
// the offsets and dy expanded to the KW input vectors they cover, then per
// kernel row p, dx = 0 + dy where the offset is p·KW + (column mod KW),
// else 0; input columns past the last window and trailing rows get 0.
func (e *poolEmitter) grad() {
	c, s, l := e.c, e.s, e.lanes
	dx, dy, idx, n := c.GP64(), c.GP64(), c.GP64(), c.GP64()
	c.Load(c.Param("dx").Base(), dx)
	c.Load(c.Param("dy").Base(), dy)
	c.Load(c.Param("idx").Base(), idx)
	c.Load(c.Param("n"), n)
	ow := s.OW()
	counts := map[int]bool{}
	nb := (s.W + s.KW*l - 1) / (s.KW * l)
	for b := range nb {
		j0 := b * l
		counts[ow-j0] = true
		for ch := range s.KW {
			if col := s.KW*j0 + ch*l; col < s.W {
				counts[s.W-col] = true
			}
		}
	}
	trail := (s.H - s.KH*s.OH()) * s.W
	if trail > 0 {
		counts[trail%l] = true
	}
	e.setMasks(counts)
	var expand []reg.VecVirtual
	if s.KW > 1 {
		for ch := range s.KW {
			vals := make([]int8, l)
			for i := range l {
				vals[i] = int8((ch*l + i) / s.KW)
			}
			expand = append(expand, e.constVec(vals))
		}
	}
	pattern := make([]reg.VecVirtual, s.KH)
	for p := range s.KH {
		vals := make([]int8, l)
		for i := range l {
			vals[i] = int8(p*s.KW + i%s.KW)
		}
		pattern[p] = e.constVec(vals)
	}
	e.zerov = e.vec()
	e.zero(e.zerov)
	row := func() {
		for b := range nb {
			j0 := b * l
			cnt := ow - j0
			var iv, dv reg.VecVirtual
			if cnt > 0 {
				iv, dv = e.vec(), e.vec()
				e.loadIdx(operand.Mem{Base: idx, Disp: j0}, iv, cnt)
				e.load(operand.Mem{Base: dy, Disp: 4 * j0}, dv, cnt)
			}
			for ch := range s.KW {
				col := s.KW*j0 + ch*l
				if col >= s.W {
					break
				}
				st := min(l, s.W-col)
				if cnt <= 0 {
					for p := range s.KH {
						e.store(e.zerov, operand.Mem{Base: dx, Disp: 4 * (p*s.W + col)}, st)
					}
					continue
				}
				ei, ed := iv, dv
				if s.KW > 1 {
					ei, ed = e.vec(), e.vec()
					c.VPERMD(iv, expand[ch], ei)  // ei = the offset of each column's window
					c.VPERMPS(dv, expand[ch], ed) // ed = the dy of each column's window
				}
				for p := range s.KH {
					out := e.vec()
					if e.z {
						k := c.K()
						c.VPCMPEQD(pattern[p], ei, k)   // k = the column is its window's argmax
						c.VADDPS_Z(ed, e.zerov, k, out) // out = 0 + dy there, else 0
					} else {
						c.VPCMPEQD(pattern[p], ei, out) // out = the column is its window's argmax
						c.VANDPS(ed, out, out)          // out = dy there, else 0
						c.VADDPS(e.zerov, out, out)     // out = 0 + out
					}
					e.store(out, operand.Mem{Base: dx, Disp: 4 * (p*s.W + col)}, st)
				}
			}
		}
	}
	advance := func() {
		c.ADDQ(operand.U32(4*s.KH*s.W), dx)
		c.ADDQ(operand.U32(4*ow), dy)
		c.ADDQ(operand.U32(ow), idx)
	}
	planeEnd := func() {
		for o := 0; o < trail; o += l {
			e.store(e.zerov, operand.Mem{Base: dx, Disp: 4 * o}, min(l, trail-o))
		}
		c.ADDQ(operand.U32(4*trail), dx)
	}
	e.rows(n, row, advance, planeEnd)
}
