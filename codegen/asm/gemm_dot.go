package asm

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Dot-product tails (AVX-512, float32, A not transposed): when N leaves
// w ≤ dotMaxCols columns past its last full vector, a plain panel spends
// one FMA of 16 lanes per row and step on w of them (the LSTM's
// dH = dG·W_hh with 50 hidden units: 3 vectors and 2 columns, 78% of the
// lanes; LeNet's fc2, 84 = 5×16 + 4 columns, 88%). The rows of A are
// contiguous along K, so the tail computes each of those elements as a
// dot product along K, 16 steps per FMA:
//
//	acc(r,t)[l] += A(i+r, 16q+l) * Bᵗ(t, 16q+l)      q = 0, 1, …, ⌈K/16⌉-1
//
// where Bᵗ(t, ·) is column col+t of B, as rows padded with zeros to whole
// vectors: written by NamePackB after Bᵀ with PackedB (GEMMSpec.PackedTail),
// else gathered at the start of each call into a stack buffer (but for
// N = 1, where B is that column).
// A tree of shuffles then adds each row's w accumulators lane by lane into
// w sums, finished and stored with a mask of w lanes.
//
// This is the one place a kernel changes the order of a sum: each of the
// tail's elements adds 16 partial sums (steps p ≡ l mod 16, each in order
// of p) by a fixed tree. Its rounding error stays within the bound of the
// ordered sum, and the order depends on the spec only, not on m, the row
// or the block, so results remain the same for any split of the rows.
//
// The cost rule: per row the dots save the masked vector's K FMAs and pay
// w·⌈K/16⌉ FMAs and the reduction (about dotReduceFMAs); per call the
// gathers of Bᵗ, if any, cost about stripMemFMAs each, which RowsHint rows
// (else dotMinRows) must repay.
const (
	dotMaxCols    = 4         // widest tail
	dotReduceFMAs = 8         // FMAs a row's reduction and masked epilogue cost, about
	dotMinRows    = 16        // rows a call is assumed to have when the spec gives no RowsHint
	dotMaxBytes   = 16 << 10  // largest stack buffer for Bᵗ
	dotChains     = 8         // accumulators per block: two FMA ports × 4 cycles of latency
	dotLanes      = 16        // float32 lanes of a zmm register
	dotFullMask   = 1<<16 - 1 // all lanes
)

// dotCols returns the columns of s that x computes as dot products, or 0.
func dotCols(s GEMMSpec, x *isa, kc int, packed bool) int {
	w := s.N % dotLanes
	if w == 0 || w > dotMaxCols || x != isaAVX512 || s.F64 || s.TransA || !s.readsPackedB() || packed || usePackB(s) || kc != s.K {
		return 0
	}
	kv := ceilDiv(s.K, dotLanes) // vectors per dot product
	if w*kv*dotLanes*4 > dotMaxBytes {
		return 0
	}
	rows := dotMinRows
	if s.RowsHint > 0 {
		rows = s.RowsHint
	}
	// At least twice the reduction's cost saved per row, so K ≥ 16.
	saved := s.K - w*kv - dotReduceFMAs // per row
	gathers := w * kv                   // per call
	if s.PackedB || s.N == 1 {
		gathers = 0 // PackB wrote Bᵗ, or B is its single column
	}
	if saved < dotReduceFMAs || saved*rows < gathers*stripMemFMAs {
		return 0
	}
	return w
}

// dotRows returns the rows per main block of a tail of w columns: enough
// accumulators to hide the FMA latency, A's vector loaded once per row
// and step and used for all w columns.
func dotRows(w int) int { return ceilDiv(dotChains, w) }

// A dotSource is where a dot tail reads Bᵗ, its columns of B as rows.
type dotSource uint8

const (
	dotGathered dotSource = iota // gathered per call into the stack buffer, zero-padded
	dotPacked                    // written by NamePackB after Bᵀ (GEMMSpec.PackedTail), zero-padded
	dotInPlace                   // B itself, a single column: no padding, the last vector masked
)

// dotSourceOf returns where the dot tail of s reads Bᵗ.
func dotSourceOf(s GEMMSpec) dotSource {
	switch {
	case s.PackedB:
		return dotPacked
	case s.N == 1:
		return dotInPlace
	}
	return dotGathered
}

// dotState holds the tail's constants, set at the start of its sweep.
type dotState struct {
	src dotSource
	buf reg.GPVirtual // with dotGathered: the stack buffer, 64-byte aligned, Bᵗ(t, p) at t*kp+p
	kp  int           // Bᵗ's row stride: GEMMSpec.tailStride
	// with dotPacked: where Bᵗ starts in the packed buffer (PackedTail)
	packedOff int
	a, t      reg.VecVirtual    // A's vector; a shuffle temporary
	zero      reg.VecVirtual    // 0, for missing columns of the reduction and relu
	bs        []reg.VecVirtual  // Bᵗ(t, 16q:) for each column t
	kpart     reg.OpmaskVirtual // lanes of A's partial last vector
	kcols     reg.OpmaskVirtual // the tail's w lanes of C
}

// dotSetup reserves the stack buffer when Bᵗ is gathered; called before
// any code, as the frame is fixed.
func (g *gemmAsm) dotSetup() {
	c, w := g.c, g.plan.dot
	d := &dotState{src: dotSourceOf(g.s), kp: g.s.tailStride()}
	d.packedOff, _, _ = g.s.PackedTail()
	g.dot = d
	if d.src != dotGathered {
		return
	}
	buf := c.AllocLocal(w*d.kp*g.size + 64)
	d.buf = c.GP64()
	c.LEAQ(buf, d.buf)              // buf = &frame
	c.ADDQ(operand.U32(63), d.buf)  // buf += 63
	c.ANDQ(operand.I32(-64), d.buf) // buf = &frame rounded up to 64 bytes
}

// dotSweep computes C(:, col:col+w) for all rows: Bᵗ gathered into the
// buffer, then blocks of dotRows rows and blocks of fewer (powers of two).
// b, cp and bias point at column col.
func (g *gemmAsm) dotSweep() {
	c, s, d, w := g.c, g.s, g.dot, g.plan.dot
	c.Commentf("columns %d..%d: dot products along K, blocks of %d rows", s.N-w, s.N-1, dotRows(w))
	d.a, d.t, d.zero = c.ZMM(), c.ZMM(), c.ZMM()
	for range w {
		d.bs = append(d.bs, c.ZMM())
	}
	g.fp.zero(d.zero) // zero = 0
	if r := s.K % dotLanes; r > 0 {
		d.kpart = g.kmask(1<<r - 1)
	}
	d.kcols = g.kmask(1<<w - 1)
	if d.src == dotGathered {
		g.dotGather()
	}
	rows := dotRows(w)
	c.MOVQ(g.a, g.arow)  // arow = &A(0,0)
	c.MOVQ(g.cp, g.crow) // crow = &C(0,col)
	c.MOVQ(g.m, g.mr)    // mr = m
	loop, tail := g.label("drows"), g.label("dtail")
	c.Label(loop)
	c.CMPQ(g.mr, operand.U32(rows))
	c.JL(operand.LabelRef(tail)) // if mr < rows: goto tail
	g.dotBlock(rows)
	c.SUBQ(operand.U32(rows), g.mr) // mr -= rows
	c.JMP(operand.LabelRef(loop))
	c.Label(tail)
	for _, t := range tailBlocks(rows) {
		skip := g.label("dskip")
		c.TESTQ(operand.U32(t), g.mr)
		c.JZ(operand.LabelRef(skip)) // if mr&t == 0: skip
		g.dotBlock(t)
		c.Label(skip)
	}
}

// dotGather copies columns col..col+w-1 of B into the buffer's rows, 16
// steps per gather, the last vector of each row padded with zeros.
func (g *gemmAsm) dotGather() {
	c, s, d := g.c, g.s, g.dot
	idx := c.ZMM()
	g.strideIndex(idx, c.ZMM(), s.ldb()) // idx[l] = l*ldb: 16 steps of a column
	full, part := c.GP32(), c.GP32()
	c.MOVL(operand.U32(dotFullMask), full)
	if s.K%dotLanes > 0 {
		c.MOVL(operand.U32(1<<(s.K%dotLanes)-1), part)
	}
	kg := c.K()
	src, dst := g.ap, g.bp
	nfull := s.K / dotLanes
	vb := dotLanes * g.size
	for col := range g.plan.dot {
		c.Commentf("gather column %d of B", s.N-g.plan.dot+col)
		c.MOVQ(g.b, src)
		c.ADDQ(operand.U32(col*g.size), src)                             // src = &B(0, col)
		c.LEAQ(operand.Mem{Base: d.buf, Disp: col * d.kp * g.size}, dst) // dst = &Bᵗ(col, 0)
		gather := func(bits reg.GPVirtual, q int) {
			g.fp.zero(d.a)    // a = 0: the gather merges into it
			c.KMOVW(bits, kg) // kg = the lanes to load
			m := operand.Mem{Base: src, Disp: q * dotLanes * s.ldb() * g.size, Index: idx, Scale: uint8(g.size)}
			c.VGATHERDPS(m, kg, d.a)                             // a[l] = B(16q+l, col)
			c.VMOVUPS(d.a, operand.Mem{Base: dst, Disp: q * vb}) // Bᵗ(col, 16q:) = a
		}
		looped := g.unrolledLoop(1, 0, nfull, func(q int) { gather(full, q) }, func(u int) {
			c.ADDQ(operand.U32(u*dotLanes*s.ldb()*g.size), src) // src = &B(p+16u, col)
			c.ADDQ(operand.U32(u*vb), dst)                      // dst = &Bᵗ(col, p+16u)
		})
		if s.K%dotLanes > 0 {
			gather(part, nfull-looped) // zeros past K
		}
	}
}

// dotBlock computes rows rows of the tail and moves arow and crow down by
// them.
func (g *gemmAsm) dotBlock(rows int) {
	c, s, d, w := g.c, g.s, g.dot, g.plan.dot
	c.Commentf("dot block of %d row(s) x %d column(s)", rows, w)
	accs := make([][]reg.VecVirtual, rows)
	for r := range accs {
		accs[r] = g.vecs(&g.accRegs, r, w)
	}
	c.MOVQ(g.arow, g.ap) // ap = &A(i,0)
	switch d.src {
	case dotPacked:
		c.LEAQ(operand.Mem{Base: g.b, Disp: (d.packedOff - (s.N - w)) * g.size}, g.bp) // bp = &Bᵗ(0,0) after Bᵀ; b is at column N-w
	case dotInPlace:
		c.MOVQ(g.b, g.bp) // bp = &B(0,0): a single column is Bᵗ already
	case dotGathered:
		c.MOVQ(d.buf, g.bp) // bp = &Bᵗ(0,0)
	}
	vb := dotLanes * g.size
	nfull := s.K / dotLanes
	step := func(q int, partial, first bool) {
		for t, b := range d.bs {
			m := operand.Mem{Base: g.bp, Disp: t*d.kp*g.size + q*vb}
			if partial && d.src == dotInPlace { // no zeros past K
				g.fp.movuZ(m, d.kpart, b) // b = Bᵗ(t, 16q:K), 0 beyond
			} else {
				g.fp.movu(m, b) // b = Bᵗ(t, 16q:)
			}
		}
		for r := range accs {
			a := operand.Mem{Base: g.ap, Disp: r*s.K*g.size + q*vb} // &A(i+r, 16q)
			if partial {
				g.fp.movuZ(a, d.kpart, d.a) // a = A(i+r, 16q:K), 0 beyond
			} else {
				g.fp.movu(a, d.a) // a = A(i+r, 16q:16q+16)
			}
			for t, b := range d.bs {
				if first {
					g.fp.mul(d.a, b, accs[r][t]) // acc = a * Bᵗ
				} else {
					g.fp.fma(d.a, b, accs[r][t]) // acc += a * Bᵗ
				}
			}
		}
	}
	step(0, false, true) // K ≥ 16 (dotCols)
	looped := g.unrolledLoop(chooseUnroll(nfull-1), 1, nfull, func(q int) { step(q, false, false) }, func(u int) {
		c.ADDQ(operand.U32(u*vb), g.ap) // ap = &A(i, 16(q+u))
		c.ADDQ(operand.U32(u*vb), g.bp) // bp = &Bᵗ(0, 16(q+u))
	})
	if s.K%dotLanes > 0 {
		step(nfull-looped, true, false)
	}

	// Reduce every row, then finish and store them all: no load waits on
	// a masked store.
	for r := range accs {
		g.dotReduce(accs[r])
	}
	for r := range accs {
		acc := accs[r][0]
		cm := operand.Mem{Base: g.crow, Disp: r * s.N * g.size} // &C(i+r, col)
		if s.Accumulate {
			g.fp.addZ(cm, acc, d.kcols, acc) // acc += C(i+r, col:col+w)
		}
		if s.Bias {
			g.fp.addZ(operand.Mem{Base: g.bias}, acc, d.kcols, acc) // acc += bias[col:col+w]
		}
		if s.Relu {
			g.fp.max(acc, d.zero, acc) // acc = max(0, acc), NaN stays NaN
		}
	}
	for r := range accs {
		g.fp.movu(accs[r][0], d.kcols, operand.Mem{Base: g.crow, Disp: r * s.N * g.size}) // C(i+r, col:col+w) = acc
	}
	c.ADDQ(operand.U32(rows*s.K*g.size), g.arow) // arow = &A(i+rows, 0)
	c.ADDQ(operand.U32(rows*s.N*g.size), g.crow) // crow = &C(i+rows, col)
}

// dotReduce adds the lanes of each of a row's w ≤ 4 accumulators, leaving
// the w sums in lanes 0..w-1 of accs[0]. Missing columns of a pair read
// zero; lanes from w on are left undefined. Per 128-bit block, unpacking
// interleaves two accumulators and adds lanes l and l+2, a shuffle pairs
// the blocks' halves and adds them, and two folds add the four blocks.
func (g *gemmAsm) dotReduce(accs []reg.VecVirtual) {
	c, d := g.c, g.dot
	col := func(t int) reg.VecVirtual {
		if t < len(accs) {
			return accs[t]
		}
		return d.zero
	}
	a, t := accs[0], d.t
	pair := func(x, y reg.VecVirtual) { // x = [x0+x2, y0+y2, x1+x3, y1+y3] per block
		c.VUNPCKLPS(y, x, t) // t = [x0, y0, x1, y1]
		c.VUNPCKHPS(y, x, x) // x = [x2, y2, x3, y3]
		c.VADDPS(t, x, x)
	}
	pair(a, col(1))
	if len(accs) > 2 {
		b := accs[2]
		pair(b, col(3))
		c.VSHUFPS(operand.U8(0x44), b, a, t) // t = [a0, a1, b0, b1]: columns 0..3, steps 0,2 mod 4
		c.VSHUFPS(operand.U8(0xee), b, a, a) // a = [a2, a3, b2, b3]: columns 0..3, steps 1,3 mod 4
		c.VADDPS(t, a, a)
	} else {
		c.VSHUFPS(operand.U8(0xee), a, a, t) // t = [a2, a3, a2, a3]
		c.VADDPS(t, a, a)                    // lanes 0, 1: columns 0, 1
	}
	// zmm operations only: VEX cannot name registers 16-31, and the ymm
	// and xmm forms of EVEX need AVX512VL.
	c.VEXTRACTF64X4(operand.U8(1), a, t.AsY()) // t = blocks 2, 3, 0 above
	c.VADDPS(t, a, a)                          // a = blocks 0+2, 1+3, …
	c.VEXTRACTF32X4(operand.U8(1), a, t.AsX()) // t = block 1+3, 0 above
	c.VADDPS(t, a, a)                          // a[0:4] = the sums
}
