package asm

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// A column strip (AVX-512, float32, TransA): when N leaves w ≤ stripMaxCols
// columns beyond its last full vector, a plain panel would spend one FMA
// of 16 lanes per row and step on w of them (a weight gradient of an LSTM
// with 50 hidden units: 3 vectors and 2 columns, 78% of the lanes). With A
// [K,m], A(i:i+16, p) is one vector, so the strip turns the block around:
// one accumulator holds a column of 16 rows,
//
//	acc(t,v)[l] = C(i+16v+l, col+t)
//	acc(t,v) += A(i+16v:, p) * B(p, col+t)      one vector load, one broadcast
//
// and the epilogue gathers and scatters each column with a stride of N,
// 16 rows at a time. Each element still sums its products in the order
// p = 0, 1, …, K-1.
//
// The cost rule: per 16 rows the strip saves (16-w)·K FMAs and pays w
// scatters, and as many gathers with Accumulate, each worth about
// stripMemFMAs FMAs (a 200×2×32 accumulating strip measured ~13 cycles per
// gather or scatter beside its FMAs, which retire two per cycle). And the
// strip needs stripMinChains accumulators to hide the FMA's latency: with
// few rows (RowsHint) a masked vector riding along a panel's full ones
// costs less (LeNet's fc3 weight gradient, 10×84, ran 8% slower in a strip).
const (
	stripMaxCols   = 4  // widest strip
	stripMaxVecs   = 12 // vectors of rows per column in a main block
	stripMemFMAs   = 26 // FMAs one gather or scatter of 16 lanes costs
	stripMinChains = 8  // two FMA ports × 4 cycles of latency
)

// stripCols returns the columns of s that x computes in a strip, or 0.
func stripCols(s GEMMSpec, x *isa, kc int, packed bool) int {
	lanes := x.lanes(s.size())
	w := s.N % lanes
	if w == 0 || w > stripMaxCols || x != isaAVX512 || s.F64 || !s.TransA || !s.readsPackedB() || packed || kc != s.K {
		return 0
	}
	mem := w
	if s.Accumulate {
		mem *= 2
	}
	if (lanes-w)*s.K < stripMemFMAs*mem {
		return 0
	}
	if s.RowsHint > 0 && w*min(stripVecs(w), ceilDiv(s.RowsHint, lanes)) < stripMinChains {
		return 0
	}
	return w
}

// stripVecs returns the vectors of rows per column of a strip's main block:
// w accumulators per vector of rows fit beside the w broadcasts of B, A's
// vector, the row offsets, the lane numbers and zero.
func stripVecs(w int) int { return min(stripMaxVecs, (isaAVX512.regs-4-w)/w) }

// stripState holds the strip's constants, set at the start of its sweep.
type stripState struct {
	idx, iota  reg.VecVirtual    // idx[l] = l*N: the offsets of 16 rows of a column; iota[l] = l
	a, zero    reg.VecVirtual    // A's vector; 0 for relu
	bs         []reg.VecVirtual  // B(p, col+t) for each of the strip's columns t
	krows      reg.OpmaskVirtual // rows of the partial vector
	kg         reg.OpmaskVirtual // gather and scatter mask, consumed by each
	full, part reg.GPVirtual     // 0xffff; the bits of krows
}

// stripSweep computes C(:, col:col+w) for all rows: blocks of stripVecs
// vectors, then blocks of fewer (powers of two), then one partial vector.
// b, cp and bias point at column col.
func (g *gemmAsm) stripSweep() {
	c, s, lanes := g.c, g.s, g.plan.lanes
	w := g.plan.strip
	nv := stripVecs(w)
	st := &stripState{idx: c.ZMM(), iota: c.ZMM(), a: c.ZMM(), krows: c.K(), kg: c.K(), full: c.GP32(), part: c.GP32()}
	g.strip = st
	c.Commentf("columns %d..%d: a strip, %d rows per vector, blocks of %d vectors", s.N-w, s.N-1, lanes, nv)
	for range w {
		st.bs = append(st.bs, c.ZMM())
	}
	g.strideIndex(st.idx, st.iota, s.N) // idx[l] = l*N
	c.MOVL(operand.U32(1<<lanes-1), st.full)
	if s.Relu {
		st.zero = c.ZMM()
		g.fp.zero(st.zero) // zero = 0
	}
	g.bstride = s.ldb() * g.size
	c.MOVQ(g.a, g.arow)  // arow = &A(0,0)
	c.MOVQ(g.cp, g.crow) // crow = &C(0,col)
	c.MOVQ(g.m, g.mr)    // mr = m
	rows, tail := g.label("srows"), g.label("stail")
	c.Label(rows)
	c.CMPQ(g.mr, operand.U32(nv*lanes))
	c.JL(operand.LabelRef(tail)) // if mr < nv*lanes: goto tail
	g.stripBlock(nv, false)
	c.SUBQ(operand.U32(nv*lanes), g.mr) // mr -= nv*lanes
	c.JMP(operand.LabelRef(rows))
	c.Label(tail)
	for _, v := range tailBlocks(nv) {
		skip := g.label("sskip")
		c.TESTQ(operand.U32(v*lanes), g.mr)
		c.JZ(operand.LabelRef(skip)) // if mr&(v*lanes) == 0: skip
		g.stripBlock(v, false)
		c.Label(skip)
	}
	done := g.label("sdone")
	rem := c.GP32()
	c.MOVL(g.mr.As32(), rem)
	c.ANDL(operand.U32(lanes-1), rem) // rem = rows of the partial vector
	c.JZ(operand.LabelRef(done))      // if rem == 0: done
	z := st.a
	c.VPBROADCASTD(rem, z)           // z[:] = rem
	c.VPCMPGTD(st.iota, z, st.krows) // krows = rem > lane
	c.KMOVW(st.krows, st.part)       // part = krows
	g.stripBlock(1, true)
	c.Label(done)
}

// stripBlock computes nv vectors of rows of the strip's w columns, the
// last partial when partial, and moves arow and crow down by them.
func (g *gemmAsm) stripBlock(nv int, partial bool) {
	c, s, st, lanes := g.c, g.s, g.strip, g.plan.lanes
	c.Commentf("strip block of %d vector(s) of rows x %d column(s)", nv, len(st.bs))
	accs := make([][]reg.VecVirtual, len(st.bs))
	for t := range accs {
		accs[t] = g.vecs(&g.accRegs, t, nv)
	}
	c.MOVQ(g.arow, g.ap) // ap = &A(p,i)
	c.MOVQ(g.b, g.bp)    // bp = &B(p,col)
	g.stripStep(0, accs, partial, true)
	g.kLoop(1, s.K, func(p int) { g.stripStep(p, accs, partial, false) }, func(u int) {
		c.ADDQ(operand.U32(u*g.bstride), g.bp) // bp = &B(p+u,col)
	})
	// Finish each column vector, then scatter them all.
	mask := func(v int) {
		bits := st.full
		if partial && v == nv-1 {
			bits = st.part
		}
		c.KMOVW(bits, st.kg) // kg = the vector's rows
	}
	cm := func(t, v int) operand.Mem { // C(i+16v:, col+t), 16 rows N apart
		return operand.Mem{Base: g.crow, Disp: (v*lanes*s.N + t) * g.size, Index: st.idx, Scale: uint8(g.size)}
	}
	for t := range accs {
		if s.Bias {
			g.fp.bcast(operand.Mem{Base: g.bias, Disp: t * g.size}, st.bs[t]) // bs[t][:] = bias[col+t]
		}
		for v, acc := range accs[t] {
			if s.Accumulate {
				g.fp.zero(st.a) // a = 0: the gather merges into it
				mask(v)
				c.VGATHERDPS(cm(t, v), st.kg, st.a) // a = C(i+16v:, col+t)
				g.fp.add(st.a, acc, acc)            // acc += C
			}
			if s.Bias {
				g.fp.add(st.bs[t], acc, acc) // acc += bias[col+t]
			}
			if s.Relu {
				g.fp.max(acc, st.zero, acc) // acc = max(0, acc), NaN stays NaN
			}
		}
	}
	for t := range accs {
		for v, acc := range accs[t] {
			mask(v)
			c.VSCATTERDPS(acc, st.kg, cm(t, v)) // C(i+16v:, col+t) = acc
		}
	}
	c.ADDQ(operand.U32(nv*lanes*g.size), g.arow)     // arow = &A(p, i+16nv)
	c.ADDQ(operand.U32(nv*lanes*s.N*g.size), g.crow) // crow = &C(i+16nv, col)
}

// stripStep accumulates step p, relative to bp; ap advances by stride.
func (g *gemmAsm) stripStep(p int, accs [][]reg.VecVirtual, partial, first bool) {
	c, st, vb := g.c, g.strip, g.plan.lanes*g.size
	for t, b := range st.bs {
		g.fp.bcast(operand.Mem{Base: g.bp, Disp: p*g.bstride + t*g.size}, b) // b[:] = B(p, col+t)
	}
	nv := len(accs[0])
	for v := range nv {
		a := operand.Mem{Base: g.ap, Disp: v * vb} // &A(p, i+16v)
		if partial && v == nv-1 {
			g.fp.movuZ(a, st.krows, st.a) // a = the partial vector's rows, 0 beyond
		} else {
			g.fp.movu(a, st.a) // a = A(p, i+16v:)
		}
		for t := range accs {
			if first {
				g.fp.mul(st.a, st.bs[t], accs[t][v]) // acc = a * B(p, col+t)
			} else {
				g.fp.fma(st.a, st.bs[t], accs[t][v]) // acc += a * B(p, col+t)
			}
		}
	}
	c.ADDQ(g.stride, g.ap) // ap = &A(p+1, i)
}

// strideIndex sets iota[l] = l and idx[l] = l*stride: the element offsets
// of 16 rows of a column, stride elements apart, for gathers and scatters.
func (g *gemmAsm) strideIndex(idx, iota reg.VecVirtual, stride int) {
	c := g.c
	var lanes [16]byte
	for l := range lanes {
		lanes[l] = byte(l)
	}
	g.setIndex(iota, lanes) // iota[l] = l
	t := c.GP32()
	c.MOVL(operand.U32(stride), t) // t = stride
	c.VPBROADCASTD(t, idx)         // idx[:] = stride
	c.VPMULLD(iota, idx, idx)      // idx[l] = l*stride
}
