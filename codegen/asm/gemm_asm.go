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
	labels            int
}

// emitGEMM adds the function name(m, a, b, c [, bias]) computing s with x.
func emitGEMM(c *build.Context, s GEMMSpec, x *isa, e vecEmitter, name string) {
	g := &gemmAsm{c: c, s: s, e: e, fp: newFPOps(c, s.F64), plan: planGEMM(s, x), size: s.size()}
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(s.signature())
	c.Pragma("noescape")
	c.Doc(fmt.Sprintf("%s is %s for CPUs with %s.", name, s.Name, x.name))
	if s.Source != "" {
		c.Comment(s.Source)
	}
	g.loadArgs()
	for i, grp := range g.plan.groups {
		g.group(grp, i == len(g.plan.groups)-1)
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

// group sweeps the panels of grp, each top to bottom.
func (g *gemmAsm) group(grp panelGroup, last bool) {
	c, lanes := g.c, g.plan.lanes
	masked := grp.masked(lanes)
	c.Commentf("columns %d..%d: %d panel(s) of %d columns, blocks of %d rows",
		grp.col, grp.col+grp.count*grp.width(lanes)-1, grp.count, grp.width(lanes), grp.rows)
	if masked {
		g.e.setMask(grp.tail)
	}
	var pc reg.GPVirtual
	panel := g.label("panel")
	if grp.count > 1 {
		pc = c.GP64()
		c.MOVQ(operand.U32(grp.count), pc) // pc = panels left
		c.Label(panel)
	}
	c.MOVQ(g.a, g.arow)  // arow = &A(0,0)
	c.MOVQ(g.cp, g.crow) // crow = &C(0,col)
	c.MOVQ(g.m, g.mr)    // mr = m
	rows, tail := g.label("rows"), g.label("tail")
	c.Label(rows)
	c.CMPQ(g.mr, operand.U32(grp.rows))
	c.JL(operand.LabelRef(tail)) // if mr < rows: goto tail
	g.block(grp.rows, grp.v, masked)
	c.SUBQ(operand.U32(grp.rows), g.mr) // mr -= rows
	c.JMP(operand.LabelRef(rows))
	c.Label(tail)
	for _, t := range tailBlocks(grp.rows) {
		skip := g.label("skip")
		c.TESTQ(operand.U32(t), g.mr)
		c.JZ(operand.LabelRef(skip)) // if mr&t == 0: skip
		g.block(t, grp.v, masked)
		c.Label(skip)
	}
	if last && grp.count == 1 {
		return
	}
	step := operand.U32(grp.v * lanes * g.size)
	c.ADDQ(step, g.b)  // b = &B(0, next panel)
	c.ADDQ(step, g.cp) // cp = &C(0, next panel)
	if g.s.Bias {
		c.ADDQ(step, g.bias) // bias = &bias[next panel]
	}
	if grp.count > 1 {
		c.DECQ(pc)
		c.JNZ(operand.LabelRef(panel)) // if --pc != 0: next panel
	}
}

// block computes rows×v accumulators C(i:i+rows, col:col+v*lanes) and
// moves arow and crow down by rows.
func (g *gemmAsm) block(rows, v int, masked bool) {
	c, s := g.c, g.s
	c.Commentf("block of %d row(s) x %d vector(s)", rows, v)
	accs := make([][]reg.VecVirtual, rows)
	for r := range accs {
		accs[r] = make([]reg.VecVirtual, v)
		for j := range accs[r] {
			accs[r][j] = g.e.vec()
		}
	}
	bs := make([]reg.VecVirtual, v)
	for j := range bs {
		bs[j] = g.e.vec()
	}
	c.MOVQ(g.arow, g.ap) // ap = &A(i,0)
	c.MOVQ(g.b, g.bp)    // bp = &B(0,col)
	g.step(0, accs, bs, masked, true)
	// The other K-1 steps, p relative to ap and bp, which advance in the loop.
	u, looped := g.plan.unroll, 0
	if rest := s.K - 1; u <= rest {
		kc := c.GP64()
		loop := g.label("k")
		c.MOVQ(operand.U32(rest/u), kc) // kc = (K-1)/u
		c.Label(loop)
		for p := 1; p <= u; p++ {
			g.step(p, accs, bs, masked, false)
		}
		g.advanceK(u)
		c.DECQ(kc)
		c.JNZ(operand.LabelRef(loop)) // if --kc != 0: next u steps
		looped = rest / u * u
	}
	for p := 1; p < s.K-looped; p++ {
		g.step(p, accs, bs, masked, false)
	}
	g.epilogue(accs, masked)
	rowBytes := s.K * g.size
	if s.TransA {
		rowBytes = g.size
	}
	c.ADDQ(operand.U32(rows*rowBytes), g.arow)   // arow = &A(i+rows,0)
	c.ADDQ(operand.U32(rows*s.N*g.size), g.crow) // crow = &C(i+rows,col)
}

// step accumulates A(i+r,p)·B(p,col:) into accs, with p relative to ap
// and bp; the first step sets them.
func (g *gemmAsm) step(p int, accs [][]reg.VecVirtual, bs []reg.VecVirtual, masked, first bool) {
	s, vb := g.s, g.plan.lanes*g.size
	for j := range bs {
		g.e.load(operand.Mem{Base: g.bp, Disp: p*s.N*g.size + j*vb}, bs[j], masked && j == len(bs)-1) // bs[j] = B(p, col+j*lanes:)
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
	g.c.ADDQ(operand.U32(u*g.s.N*g.size), g.bp) // bp = &B(p+u,col)
}

// epilogue adds C and bias, applies relu and stores accs at crow.
func (g *gemmAsm) epilogue(accs [][]reg.VecVirtual, masked bool) {
	s, vb := g.s, g.plan.lanes*g.size
	var zero reg.VecVirtual
	if s.Relu {
		zero = g.e.vec()
		g.fp.zero(zero) // zero = 0
	}
	for r := range accs {
		for j, acc := range accs[r] {
			mj := masked && j == len(accs[r])-1
			cm := operand.Mem{Base: g.crow, Disp: r*s.N*g.size + j*vb} // &C(i+r, col+j*lanes)
			if s.Accumulate {
				g.e.addMem(cm, acc, mj) // acc += C(i+r, col+j*lanes:)
			}
			if s.Bias {
				g.e.addMem(operand.Mem{Base: g.bias, Disp: j * vb}, acc, mj) // acc += bias[col+j*lanes:]
			}
			if s.Relu {
				g.fp.max(acc, zero, acc) // acc = max(0, acc), NaN stays NaN
			}
			g.e.store(acc, cm, mj) // C(i+r, col+j*lanes:) = acc
		}
	}
}
