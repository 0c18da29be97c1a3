package asm

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// block computes rows×v accumulators C(i:i+rows, col:col+v*lanes) over
// the steps of kb and moves arow and crow down by rows.
func (g *gemmAsm) block(rows, v int, masked bool, kb kBlock) {
	if g.plan.pairs {
		g.pairBlock(rows, kb)
		return
	}
	if g.plan.pairRows {
		g.pairRowBlock(rows)
		return
	}
	c, s := g.c, g.s
	c.Commentf("block of %d row(s) x %d vector(s)", rows, v)
	accs := make([][]reg.VecVirtual, rows)
	for r := range accs {
		accs[r] = g.vecs(&g.accRegs, r, v)
	}
	bs := g.vecs(&g.bRegs, 0, v)
	c.MOVQ(g.arow, g.ap) // ap = &A(i,p)
	if g.plan.packB {
		c.MOVQ(g.sbuf, g.bp) // bp = &B(p,col), packed
	} else {
		c.MOVQ(g.b, g.bp) // bp = &B(p,col)
	}
	first := g.blockInit(accs, bs, masked, kb)
	g.kLoop(first, kb.steps, func(p int) { g.step(p, accs, bs, masked, false) }, g.advanceK)
	g.epilogue(accs, masked, kb)
	rowBytes := s.K * g.size
	if s.TransA {
		rowBytes = g.size
	}
	c.ADDQ(operand.U32(rows*rowBytes), g.arow)   // arow = &A(i+rows,p)
	c.ADDQ(operand.U32(rows*s.N*g.size), g.crow) // crow = &C(i+rows,col)
}

// kLoop emits steps from..n-1 of a block, each as step(p) with p relative
// to the step pointers: while more than the plan's unroll u remain, in a
// counted loop of u steps per iteration, advance(u) moving the pointers
// after each, then the rest unrolled. It returns the steps the loop ran.
func (g *gemmAsm) kLoop(from, n int, step func(p int), advance func(u int)) int {
	return g.unrolledLoop(g.plan.unroll, from, n, step, advance)
}

// unrolledLoop is kLoop with u steps per iteration.
func (g *gemmAsm) unrolledLoop(u, from, n int, step func(p int), advance func(u int)) int {
	c, looped := g.c, 0
	if rest := n - from; u < rest {
		kc := g.gp(&g.kc)
		loop := g.label("k")
		c.MOVQ(operand.U32(rest/u), kc) // kc = steps/u
		c.Label(loop)
		for p := from; p < from+u; p++ {
			step(p)
		}
		advance(u)
		c.DECQ(kc)
		c.JNZ(operand.LabelRef(loop)) // if --kc != 0: next u steps
		looped = rest / u * u
	}
	for p := from; p < n-looped; p++ {
		step(p)
	}
	return looped
}

// blockInit sets the accumulators for the block's first step and returns
// the steps it did: the product of the first step when K is not blocked,
// else the partial sums in C, or zero in the first block of a kernel that
// does not accumulate (blocked kernels with Accumulate add the initial C
// first, not last as the reference loop does).
func (g *gemmAsm) blockInit(accs [][]reg.VecVirtual, bs []reg.VecVirtual, masked bool, kb kBlock) int {
	if kb.single {
		g.step(0, accs, bs, masked, true)
		return 1
	}
	loadC := func() {
		g.forEach(accs, masked, func(_ int, acc reg.VecVirtual, cm operand.Mem, partial bool) {
			g.e.load(cm, acc, partial) // acc = C(i+r, col+j*lanes:)
		})
	}
	if g.s.Accumulate || kb.firstAt == 0 {
		loadC()
		return 0
	}
	fromC, done := g.label("fromc"), g.label("init")
	g.c.CMPQ(g.kb, operand.U32(kb.firstAt))
	g.c.JNE(operand.LabelRef(fromC)) // if not the first block: start from C
	for _, row := range accs {
		for _, acc := range row {
			g.fp.zero(acc) // acc = 0
		}
	}
	g.c.JMP(operand.LabelRef(done))
	g.c.Label(fromC)
	loadC()
	g.c.Label(done)
	return 0
}

// step accumulates A(i+r,p)·B(p,col:) into accs, with p relative to ap
// and bp; the first step sets them.
func (g *gemmAsm) step(p int, accs [][]reg.VecVirtual, bs []reg.VecVirtual, masked, first bool) {
	s, vb := g.s, g.plan.lanes*g.size
	maskedB := masked && !g.plan.packB // packed panels are padded with zeros
	for j := range bs {
		g.e.load(operand.Mem{Base: g.bp, Disp: p*g.bstride + j*vb}, bs[j], maskedB && j == len(bs)-1) // bs[j] = B(p, col+j*lanes:)
	}
	for r := range accs {
		a := operand.Mem{Base: g.ap, Disp: r*s.K*g.size + p*g.size} // &A(i+r,p)
		if s.TransA {
			a = operand.Mem{Base: g.ap, Disp: r * g.size} // &A(i+r,p), ap advancing by stride
		}
		g.e.fmaRow(a, bs, accs[r], first)
	}
	if s.TransA {
		g.c.ADDQ(g.stride, g.ap) // ap = &A(i,p+1)
	}
}

// advanceK moves ap and bp u steps along K after a loop iteration.
func (g *gemmAsm) advanceK(u int) {
	if !g.s.TransA {
		g.c.ADDQ(operand.U32(u*g.size), g.ap) // ap = &A(i,p+u)
	}
	g.c.ADDQ(operand.U32(u*g.bstride), g.bp) // bp = &B(p+u,col)
}

// epilogue finishes accs and stores them at crow. The last block of K adds
// C (unless the block started from it) and the bias and applies relu.
// All of the block's loads come before its stores: a masked store of one
// row also spans the next row, and a load overlapping it would wait for it
// to retire (no store forwarding from masked stores).
func (g *gemmAsm) epilogue(accs [][]reg.VecVirtual, masked bool, kb kBlock) {
	s, vb := g.s, g.plan.lanes*g.size
	finish := func() {
		var zero reg.VecVirtual
		if s.Relu {
			zero = g.vecs(&g.zeroRegs, 0, 1)[0]
			g.fp.zero(zero) // zero = 0
		}
		g.forEach(accs, masked, func(j int, acc reg.VecVirtual, cm operand.Mem, partial bool) {
			if s.Accumulate && kb.single {
				g.e.addMem(cm, acc, partial) // acc += C(i+r, col+j*lanes:)
			}
			if s.Bias {
				g.e.addMem(operand.Mem{Base: g.bias, Disp: j * vb}, acc, partial) // acc += bias[col+j*lanes:]
			}
			if s.Relu {
				g.fp.max(acc, zero, acc) // acc = max(0, acc), NaN stays NaN
			}
		})
	}
	switch {
	case kb.single || kb.last:
		finish()
	case kb.lastAt > 0 && (s.Bias || s.Relu):
		g.ifKB(kb.lastAt, finish)
	}
	g.forEach(accs, masked, func(_ int, acc reg.VecVirtual, cm operand.Mem, partial bool) {
		g.e.store(acc, cm, partial) // C(i+r, col+j*lanes:) = acc
	})
}

// forEach calls f for each accumulator with its vector index j in the
// panel, its address in C and whether it is a partial vector.
func (g *gemmAsm) forEach(accs [][]reg.VecVirtual, masked bool, f func(j int, acc reg.VecVirtual, cm operand.Mem, partial bool)) {
	vb := g.plan.lanes * g.size
	for r := range accs {
		for j, acc := range accs[r] {
			cm := operand.Mem{Base: g.crow, Disp: r*g.s.N*g.size + j*vb} // &C(i+r, col+j*lanes)
			f(j, acc, cm, masked && j == len(accs[r])-1)
		}
	}
}

// vecs returns n vector registers from row r of pool, growing it as
// needed. Blocks reuse the same virtual registers: avo's allocator takes
// time quadratic in their number.
func (g *gemmAsm) vecs(pool *[][]reg.VecVirtual, r, n int) []reg.VecVirtual {
	for len(*pool) <= r {
		*pool = append(*pool, nil)
	}
	for len((*pool)[r]) < n {
		(*pool)[r] = append((*pool)[r], g.e.vec())
	}
	return (*pool)[r][:n]
}

// gp returns *r, allocating it first if needed.
func (g *gemmAsm) gp(r *reg.GPVirtual) reg.GPVirtual {
	if *r == nil {
		*r = g.c.GP64()
	}
	return *r
}
