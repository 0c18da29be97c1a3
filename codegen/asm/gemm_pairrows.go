package asm

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Paired rows (AVX-512, float32, TransA, 4 < N ≤ 8): with A [K,m], A(i,p)
// and A(i+1,p) are adjacent, so one accumulator holds two rows of C,
// lane 2t+q being C(i+q, t):
//
//	a[2t+q]  = A(i+q, p)     one 8-byte broadcast
//	bv[2t+q] = B(p, t)       B's row p, each element twice
//	acc += a * bv
//
// The epilogue permutes each accumulator into the rows' memory order,
// [C(i, 0:N), C(i+1, 0:N)], and finishes the 2N floats at once. Each
// element is summed in the reference loop's order.

// usePairRows reports whether s is blocked with paired rows for x.
func usePairRows(s GEMMSpec, x *isa, kc int) bool {
	lanes := x.lanes(s.size())
	return x == isaAVX512 && !s.F64 && s.TransA && s.readsPackedB() &&
		4*s.N > lanes && 2*s.N <= lanes && kc == s.K
}

// pairRowRows is the rows of a main block: 16 accumulators.
const pairRowRows = 32

// pairRowState holds the constants of a paired-rows kernel.
type pairRowState struct {
	idxD, idxE     reg.VecVirtual    // duplicate B's elements; rows to memory order
	biasPair, zero reg.VecVirtual    // [bias, bias]; 0
	kN, k2N        reg.OpmaskVirtual // lanes < N, < 2N
	t, bv, a       reg.VecVirtual    // B's row, duplicated, broadcast A
}

// pairRowSetup builds the constants from immediates.
func (g *gemmAsm) pairRowSetup() {
	c, s, n := g.c, g.s, g.s.N
	ps := &pairRowState{idxD: c.ZMM(), idxE: c.ZMM(), t: c.ZMM(), bv: c.ZMM(), a: c.ZMM()}
	var d, e, bb [16]byte
	for l := range 16 {
		d[l] = byte(min(l/2, n-1)) // bv[2t+q] = row[t]
		if l < n {
			e[l], e[n+l] = byte(2*l), byte(2*l+1) // lane l = acc[2l], lane N+l = acc[2l+1]
		}
		bb[l] = byte(l % n) // [bias, bias]
	}
	g.setIndex(ps.idxD, d)
	g.setIndex(ps.idxE, e)
	ps.kN, ps.k2N = g.kmask(1<<n-1), g.kmask(1<<(2*n)-1)
	if s.Bias {
		idx := c.ZMM()
		g.setIndex(idx, bb)
		ps.biasPair = c.ZMM()
		c.VMOVUPS_Z(operand.Mem{Base: g.bias}, ps.kN, ps.t) // t = bias[0:N]
		c.VPERMPS(ps.t, idx, ps.biasPair)                   // biasPair = [bias, bias]
	}
	if s.Relu {
		ps.zero = c.ZMM()
		g.fp.zero(ps.zero) // zero = 0
	}
	g.pairRows = ps
}

// pairRowBlock computes rows rows of C(i:, 0:N), two per accumulator, and
// moves arow and crow down by rows.
func (g *gemmAsm) pairRowBlock(rows int) {
	c, s, ps := g.c, g.s, g.pairRows
	c.Commentf("block of %d row(s) x %d columns, rows in pairs", rows, s.N)
	accs := g.vecs(&g.accRegs, 0, ceilDiv(rows, 2))
	c.MOVQ(g.arow, g.ap) // ap = &A(i,p)
	c.MOVQ(g.b, g.bp)    // bp = &B(p,0)
	g.pairRowStep(0, accs, rows, true)
	g.kLoop(1, s.K, func(p int) { g.pairRowStep(p, accs, rows, false) }, func(u int) {
		c.ADDQ(operand.U32(u*s.ldb()*g.size), g.bp) // bp = &B(p+u,0)
	})
	// Finish in memory order; all loads of C before the stores, as in
	// epilogue.
	k := ps.k2N
	if rows == 1 {
		k = ps.kN
	}
	cm := func(j int) operand.Mem { return operand.Mem{Base: g.crow, Disp: 2 * j * s.N * g.size} } // &C(i+2j, 0)
	for j, acc := range accs {
		c.VPERMPS(acc, ps.idxE, acc) // acc = [C(i+2j, 0:N), C(i+2j+1, 0:N)]
		if s.Accumulate {
			c.VADDPS_Z(cm(j), acc, k, acc) // acc += the 2N floats of C
		}
		if s.Bias {
			c.VADDPS(ps.biasPair, acc, acc) // acc += [bias, bias]
		}
		if s.Relu {
			c.VMAXPS(acc, ps.zero, acc) // acc = max(0, acc), NaN stays NaN
		}
	}
	for j, acc := range accs {
		c.VMOVUPS(acc, k, cm(j)) // the 2N floats of C = acc
	}
	c.ADDQ(operand.U32(rows*g.size), g.arow)     // arow = &A(p, i+rows)
	c.ADDQ(operand.U32(rows*s.N*g.size), g.crow) // crow = &C(i+rows, 0)
}

// pairRowStep accumulates step p, relative to bp; ap advances by stride.
func (g *gemmAsm) pairRowStep(p int, accs []reg.VecVirtual, rows int, first bool) {
	c, s, ps := g.c, g.s, g.pairRows
	c.VMOVUPS_Z(operand.Mem{Base: g.bp, Disp: p * s.ldb() * g.size}, ps.kN, ps.t) // t = B(p, 0:N)
	c.VPERMPS(ps.t, ps.idxD, ps.bv)                                               // bv[2t+q] = B(p, t)
	for j, acc := range accs {
		a := operand.Mem{Base: g.ap, Disp: 2 * j * g.size} // &A(i+2j, p)
		if rows == 1 {
			c.VBROADCASTSS(a, ps.a) // a[:] = A(i, p): there is no row i+1 to read
		} else {
			c.VBROADCASTSD(a, ps.a) // a[2t+q] = A(i+2j+q, p)
		}
		if first {
			c.VMULPS(ps.a, ps.bv, acc) // acc = a * bv
		} else {
			c.VFMADD231PS(ps.a, ps.bv, acc) // acc += a * bv
		}
	}
	c.ADDQ(g.stride, g.ap) // ap = &A(p+1, i)
}
