package asm

import (
	"fmt"
	"math/bits"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// A vecEmitter emits the isa-specific instructions of a GEMM kernel; the
// loop structure around them is shared (gemmAsm). Masked operations touch
// only the first tail lanes given to the last setMask.
type vecEmitter interface {
	vec() reg.VecVirtual                                         // a new vector register
	setMask(tail int)                                            // prepare masked operations
	load(m operand.Mem, v reg.VecVirtual, masked bool)           // v = m
	fmaRow(a operand.Mem, bs, accs []reg.VecVirtual, first bool) // accs[v] += *a * bs[v], or = when first
	addMem(m operand.Mem, acc reg.VecVirtual, masked bool)       // acc += m
	store(acc reg.VecVirtual, m operand.Mem, masked bool)        // m = acc
}

// gemmAsm emits one variant of one GEMM kernel into a build.Context.
type gemmAsm struct {
	c    *build.Context
	s    GEMMSpec
	e    vecEmitter
	fp   fpOps
	plan gemmPlan
	size int // element bytes

	// Arguments; b, cp and bias move right panel by panel.
	m, a, b, cp, bias reg.GPVirtual
	stride            reg.GPVirtual // TransA: m*size bytes between A(i,p) and A(i,p+1)
	mr, arow, crow    reg.GPVirtual // rows left; A(i,0) and C(i,col) of the current block
	ap, bp            reg.GPVirtual // A(i,p) and B(p,col) at the current step
	kc, pc, kb        reg.GPVirtual // K-loop, panel-loop and K-block counters
	labels            int

	// Vector registers, reused by every block: accumulators by row, B.
	accRegs, bRegs, zeroRegs [][]reg.VecVirtual

	pairs    *pairState    // when plan.pairs
	pairRows *pairRowState // when plan.pairRows
	strip    *stripState   // during the strip's sweep
	dot      *dotState     // when plan.dot

	// With plan.packB: the 64-byte aligned stack buffer holding the
	// current panel's block of B, and its row stride in bytes.
	sbuf    reg.GPVirtual
	bstride int
}

// emitGEMM adds the function name(m, a, b, c [, bias]) computing s with x.
func emitGEMM(c *build.Context, s GEMMSpec, x *isa, e vecEmitter, name string) {
	g := &gemmAsm{c: c, s: s, e: e, fp: newFPOps(c, s.F64), plan: planGEMM(s, x), size: s.size()}
	c.Function(name)
	if frame := g.plan.packB || g.plan.dot > 0 && dotSourceOf(s) == dotGathered; !frame {
		c.Attributes(attr.NOSPLIT) // no frame; with packB it holds a panel of B, with a gathered dot tail columns of B
	}
	c.SignatureExpr(s.signature())
	c.Pragma("noescape")
	c.Doc(fmt.Sprintf("%s is %s for CPUs with %s.", name, s.Name, x.name))
	if s.Source != "" {
		c.Comment(s.Source)
	}
	g.loadArgs()
	if g.plan.packB {
		g.packSetup()
	}
	if g.plan.dot > 0 {
		g.dotSetup()
	}
	if g.plan.pairs {
		g.pairSetup()
	}
	if g.plan.pairRows {
		g.pairRowSetup()
	}
	if g.plan.packB {
		g.packedOrPlain()
	} else {
		g.kBlocks()
	}
	c.VZEROUPPER()
	c.RET()
}

func (g *gemmAsm) loadArgs() {
	c := g.c
	g.m = c.GP64()
	c.Load(c.Param("m"), g.m)
	g.a = g.base("a")
	g.b = g.base("b")
	g.cp = g.base("c")
	if g.s.Bias {
		g.bias = g.base("bias")
	}
	if g.s.TransA {
		g.stride = c.GP64()
		c.MOVQ(g.m, g.stride)
		c.SHLQ(operand.U8(bits.TrailingZeros(uint(g.size))), g.stride) // stride = m*size
	}
	g.mr, g.arow, g.crow = c.GP64(), c.GP64(), c.GP64()
	g.ap, g.bp = c.GP64(), c.GP64()
}

// base loads the data pointer of slice argument name.
func (g *gemmAsm) base(name string) reg.GPVirtual {
	r := g.c.GP64()
	g.c.Load(g.c.Param(name).Base(), r)
	return r
}

func (g *gemmAsm) label(what string) string {
	g.labels++
	return fmt.Sprintf("%s%d", what, g.labels)
}

// A kBlock is a range of K swept over all of C. Unless K is a single
// block, a sweep starts from the partial sums in C (or from zero in the
// first block of a kernel that does not accumulate) and only the last one
// applies the bias and relu. The blocks of the loop share one sweep of
// code and tell first and last apart by the block counter kb.
type kBlock struct {
	steps   int
	single  bool // K is not blocked
	firstAt int  // > 0: kb in the first block
	last    bool // statically the last block
	lastAt  int  // > 0: kb in the last block
}

// kBlocks sweeps C once per block of plan.kc steps of K: in a loop, and
// when kc does not divide K, the shorter last block after it.
func (g *gemmAsm) kBlocks() {
	c, s, kc := g.c, g.s, g.plan.kc
	if kc == s.K {
		g.sweep(kBlock{steps: s.K, single: true})
		return
	}
	nk, rest := s.K/kc, s.K%kc
	c.Commentf("K in %d blocks of %d steps and %d more", nk, kc, rest)
	g.kb = c.GP64()
	loop := g.label("kblock")
	c.MOVQ(operand.U32(nk), g.kb) // kb = blocks left
	c.Label(loop)
	kb := kBlock{steps: kc, firstAt: nk}
	if rest == 0 {
		kb.lastAt = 1
	}
	g.sweep(kb)
	g.nextK()
	c.DECQ(g.kb)
	c.JNZ(operand.LabelRef(loop)) // if --kb != 0: next block
	if rest > 0 {
		g.sweep(kBlock{steps: rest, last: true})
	}
}

// nextK moves a and b to the next block of K, and c and bias back to
// column 0.
func (g *gemmAsm) nextK() {
	c, s, kc := g.c, g.s, g.plan.kc
	if s.TransA {
		t := c.GP64()
		c.IMUL3Q(operand.U32(kc), g.stride, t) // t = kc*stride
		c.ADDQ(t, g.a)                         // a = &A(0,p+kc)
	} else {
		c.ADDQ(operand.U32(kc*g.size), g.a) // a = &A(0,p+kc)
	}
	swept := g.plan.sweptBytes(g.size)
	c.ADDQ(operand.U32(kc*s.ldb()*g.size-swept), g.b) // b = &B(p+kc,0)
	c.SUBQ(operand.U32(swept), g.cp)                  // cp = &C(0,0)
	if s.Bias {
		c.SUBQ(operand.U32(swept), g.bias) // bias = &bias[0]
	}
}

// ifKB emits f, skipped at run time unless the block counter is at.
func (g *gemmAsm) ifKB(at int, f func()) {
	skip := g.label("notkb")
	g.c.CMPQ(g.kb, operand.U32(at))
	g.c.JNE(operand.LabelRef(skip)) // if kb != at: skip
	f()
	g.c.Label(skip)
}

// sweep runs every panel group over all rows for one block of K; it moves
// b, cp and bias right by plan.sweptBytes.
func (g *gemmAsm) sweep(kb kBlock) {
	for _, grp := range g.plan.groups {
		g.group(grp, kb)
	}
	if g.plan.strip > 0 {
		g.stripSweep() // K is a single block
	}
	if g.plan.dot > 0 {
		g.dotSweep() // K is a single block
	}
}

// group sweeps the panels of grp, each top to bottom.
func (g *gemmAsm) group(grp panelGroup, kb kBlock) {
	c, s, lanes := g.c, g.s, g.plan.lanes
	masked := grp.masked(lanes)
	c.Commentf("columns %d..%d: %d panel(s) of %d columns, blocks of %d rows",
		grp.col, grp.col+grp.count*grp.width(lanes)-1, grp.count, grp.width(lanes), grp.rows)
	if masked {
		g.e.setMask(grp.tail)
	}
	g.bstride = s.ldb() * g.size
	if g.plan.packB {
		g.bstride = grp.v * lanes * g.size
	}
	var pc reg.GPVirtual
	panel := g.label("panel")
	if grp.count > 1 {
		pc = g.gp(&g.pc)
		c.MOVQ(operand.U32(grp.count), pc) // pc = panels left
		c.Label(panel)
	}
	if g.plan.packB {
		g.packPanel(grp.v, masked, kb.steps)
	}
	c.MOVQ(g.a, g.arow)  // arow = &A(0,p)
	c.MOVQ(g.cp, g.crow) // crow = &C(0,col)
	c.MOVQ(g.m, g.mr)    // mr = m
	rows, tail := g.label("rows"), g.label("tail")
	c.Label(rows)
	c.CMPQ(g.mr, operand.U32(grp.rows))
	c.JL(operand.LabelRef(tail)) // if mr < rows: goto tail
	g.block(grp.rows, grp.v, masked, kb)
	c.SUBQ(operand.U32(grp.rows), g.mr) // mr -= rows
	c.JMP(operand.LabelRef(rows))
	c.Label(tail)
	for _, t := range tailBlocks(grp.rows) {
		skip := g.label("skip")
		c.TESTQ(operand.U32(t), g.mr)
		c.JZ(operand.LabelRef(skip)) // if mr&t == 0: skip
		g.block(t, grp.v, masked, kb)
		c.Label(skip)
	}
	step := operand.U32(grp.v * lanes * g.size)
	c.ADDQ(step, g.b)  // b = &B(p, next panel)
	c.ADDQ(step, g.cp) // cp = &C(0, next panel)
	if g.s.Bias {
		c.ADDQ(step, g.bias) // bias = &bias[next panel]
	}
	if grp.count > 1 {
		c.DECQ(pc)
		c.JNZ(operand.LabelRef(panel)) // if --pc != 0: next panel
	}
}
