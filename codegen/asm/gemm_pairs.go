package asm

import (
	"encoding/binary"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Paired steps (AVX-512, float32, A not transposed, 4 < N ≤ 8): a plain
// block would use N of a zmm's 16 lanes. Instead lane 2t+q of a row's
// accumulator sums the products of the steps p ≡ q (mod 2) for column t,
// so that one FMA does two steps:
//
//	bv[2t+q] = B(p+q, t)        a permute of the 2N floats of rows p, p+1
//	a[2t+q]  = A(i, p+q)        one 8-byte broadcast (A(i,p), A(i,p+1) are adjacent)
//	acc += a * bv
//
// and the epilogue adds lanes 2t and 2t+1 into lane t. An odd K ends with
// one step whose B is spread to the even lanes. Each element is then the
// sum of its even and odd steps, not the reference loop's order.

// usePairs reports whether s is blocked with paired steps for x.
func usePairs(s GEMMSpec, x *isa, kc int) bool {
	lanes := x.lanes(s.size())
	return x == isaAVX512 && !s.F64 && !s.TransA && s.readsPackedB() && s.ldb() == s.N &&
		4*s.N > lanes && 2*s.N <= lanes && s.K >= 2 && kc == s.K
}

// pairState holds the constants of a paired kernel, set once per call.
type pairState struct {
	idxB, idxC0, idxC1, idxS reg.VecVirtual    // permutations
	k2N, kEven               reg.OpmaskVirtual // lanes < 2N; even lanes < 2N
	t, bv, a                 reg.VecVirtual    // B rows, permuted B, broadcast A
}

// pairSetup builds the permutations from immediates (no globals).
func (g *gemmAsm) pairSetup() {
	c, n := g.c, g.s.N
	ps := &pairState{idxB: c.ZMM(), idxC0: c.ZMM(), idxC1: c.ZMM(), idxS: c.ZMM(), t: c.ZMM(), bv: c.ZMM(), a: c.ZMM()}
	var b, c0, c1, sp [16]byte
	for l := range 16 {
		if t, q := l/2, l%2; t < n {
			b[l] = byte(q*n + t) // bv[2t+q] = rows[q*N+t]
		}
		if l < n {
			c0[l], c1[l] = byte(2*l), byte(2*l+1) // lane t = acc[2t], acc[2t+1]
		}
		if l%2 == 0 && l/2 < n {
			sp[l] = byte(l / 2) // bv[2t] = row[t]
		}
	}
	for _, x := range []struct {
		z   reg.VecVirtual
		idx [16]byte
	}{{ps.idxB, b}, {ps.idxC0, c0}, {ps.idxC1, c1}, {ps.idxS, sp}} {
		g.setIndex(x.z, x.idx)
	}
	if 2*n < 16 {
		ps.k2N = g.kmask(1<<(2*n) - 1)
	}
	if g.s.K%2 == 1 {
		ps.kEven = g.kmask(0x5555 & (1<<(2*n) - 1))
	}
	g.pairs = ps
}

// setIndex sets z[l] = idx[l] from immediates: kernels read no global,
// which would clobber R15 when dynamic linking.
func (g *gemmAsm) setIndex(z reg.VecVirtual, idx [16]byte) {
	c := g.c
	t, x := c.GP64(), c.XMM()
	c.MOVQ(operand.U64(binary.LittleEndian.Uint64(idx[:8])), t) // t = idx[0:8]
	c.VMOVQ(t, x)                                               // x = t, 0 above
	c.MOVQ(operand.U64(binary.LittleEndian.Uint64(idx[8:])), t) // t = idx[8:16]
	c.VPINSRQ(operand.U8(1), t, x, x)                           // x[64:128] = t
	c.VPMOVZXBD(x, z)                                           // z[l] = idx[l]
}

// kmask returns a new opmask register holding bits.
func (g *gemmAsm) kmask(bits uint32) reg.OpmaskVirtual {
	t, k := g.c.GP32(), g.c.K()
	g.c.MOVL(operand.U32(bits), t) // t = bits
	g.c.KMOVW(t, k)                // k = t
	return k
}

// pairBlock computes rows rows of C(i:, 0:N) with paired steps and moves
// arow and crow down by rows.
func (g *gemmAsm) pairBlock(rows int, kb kBlock) {
	c, s, ps := g.c, g.s, g.pairs
	c.Commentf("block of %d row(s) x %d columns, steps in pairs", rows, s.N)
	accs := make([][]reg.VecVirtual, rows)
	for r := range accs {
		accs[r] = g.vecs(&g.accRegs, r, 1)
	}
	c.MOVQ(g.arow, g.ap) // ap = &A(i,p)
	c.MOVQ(g.b, g.bp)    // bp = &B(p,0)
	g.pairStep(0, accs, true)
	np := s.K / 2
	looped := g.kLoop(1, np, func(q int) { g.pairStep(q, accs, false) }, func(u int) {
		c.ADDQ(operand.U32(2*u*g.size), g.ap)     // ap = &A(i,p+2u)
		c.ADDQ(operand.U32(2*u*s.N*g.size), g.bp) // bp = &B(p+2u,0)
	})
	last := np - looped // pair index, relative to ap and bp, after the last pair
	if s.K%2 == 1 {
		g.e.load(operand.Mem{Base: g.bp, Disp: 2 * last * s.N * g.size}, ps.t, true) // t = B(K-1, 0:N)
		c.VPERMPS_Z(ps.t, ps.idxS, ps.kEven, ps.bv)                                  // bv[2t] = t[t], 0 in odd lanes
		for r, acc := range accs {
			a := operand.Mem{Base: g.ap, Disp: r*s.K*g.size + 2*last*g.size} // &A(i+r,K-1)
			c.VFMADD231PS_BCST(a, ps.bv, acc[0])                             // acc += A(i+r,K-1) * bv
		}
	}
	for _, acc := range accs {
		c.VPERMPS(acc[0], ps.idxC0, ps.t)   // t[t] = acc[2t]
		c.VPERMPS(acc[0], ps.idxC1, acc[0]) // acc[t] = acc[2t+1]
		c.VADDPS(ps.t, acc[0], acc[0])      // acc[t] = C(i+r, t) before the epilogue
	}
	g.epilogue(accs, true, kb)
	c.ADDQ(operand.U32(rows*s.K*g.size), g.arow) // arow = &A(i+rows,0)
	c.ADDQ(operand.U32(rows*s.N*g.size), g.crow) // crow = &C(i+rows,0)
}

// pairStep accumulates steps p+2q and p+2q+1, relative to ap and bp.
func (g *gemmAsm) pairStep(q int, accs [][]reg.VecVirtual, first bool) {
	c, s, ps := g.c, g.s, g.pairs
	rows := operand.Mem{Base: g.bp, Disp: 2 * q * s.N * g.size} // &B(p+2q, 0): rows p+2q, p+2q+1
	if ps.k2N != nil {
		c.VMOVUPS_Z(rows, ps.k2N, ps.t) // t = the 2N floats, 0 beyond
	} else {
		c.VMOVUPS(rows, ps.t) // t = the 16 floats
	}
	c.VPERMPS(ps.t, ps.idxB, ps.bv) // bv[2t+j] = B(p+2q+j, t)
	for r, acc := range accs {
		c.VBROADCASTSD(operand.Mem{Base: g.ap, Disp: r*s.K*g.size + 2*q*g.size}, ps.a) // a[2t+j] = A(i+r, p+2q+j)
		if first {
			c.VMULPS(ps.a, ps.bv, acc[0]) // acc = a * bv
		} else {
			c.VFMADD231PS(ps.a, ps.bv, acc[0]) // acc += a * bv
		}
	}
}
