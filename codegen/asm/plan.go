package asm

// A gemmPlan is the register blocking of one GEMM kernel for one isa.
//
// Columns are cut into panels of v vectors; each panel is swept top to
// bottom in blocks of rows×v accumulators (rows×v FMAs per step p, one
// broadcast of A(i,p) per row and v loads of B(p,j:)), and rows left over
// at the bottom (fewer than rows) go through blocks of 2^k rows.
//
// When B is large, K is cut into blocks of kc steps and each block sweeps
// all of C, so that the rows of B one panel reads stay in L2 instead of
// thrashing it (rows 4 KiB apart map to few sets), at the price of
// reloading C once per block.
type gemmPlan struct {
	lanes  int          // elements per vector
	groups []panelGroup // left to right
	unroll int          // K steps per loop iteration; blocks with no more steps are unrolled fully
	kc     int          // K steps per sweep of C; K when not blocked
	pairs  bool         // steps in pairs in one vector (gemm_pairs.go)
	// rows in pairs in one vector (gemm_pairrows.go)
	pairRows bool
}

// A panelGroup is a run of count adjacent panels of the same shape.
type panelGroup struct {
	col   int // first column
	v     int // vectors per panel
	count int // panels
	rows  int // rows per main block
	tail  int // lanes used in the last vector of each panel; lanes unless partial
}

// sweptBytes returns how far one sweep moves the panel pointers: every
// panel's full vectors.
func (p gemmPlan) sweptBytes(size int) int {
	n := 0
	for _, g := range p.groups {
		n += g.count * g.v * p.lanes * size
	}
	return n
}

// width returns the columns of one panel of g.
func (g panelGroup) width(lanes int) int { return (g.v-1)*lanes + g.tail }

// masked reports whether the last vector of g's panels is partial.
func (g panelGroup) masked(lanes int) bool { return g.tail < lanes }

// Blocking limits.
const (
	fullUnrollK = 8       // K up to this is unrolled completely
	blockBBytes = 1 << 20 // B larger than this is swept in blocks of K
	kcTarget    = 256     // steps per block of K, about
)

// blockK returns the steps per block of a blocked K: a divisor of K near
// kcTarget if there is one, so that every block is the same loop, else
// kcTarget, leaving a shorter last block.
func blockK(k int) int {
	for d := 0; d <= kcTarget/2; d++ {
		for _, kc := range []int{kcTarget - d, kcTarget + d} {
			if k%kc == 0 {
				return kc
			}
		}
	}
	return kcTarget
}

// unrolls are the K steps per loop iteration to choose from, best first.
var unrolls = []int{4, 5, 6, 3, 7, 8}

// chooseUnroll returns the K steps per loop iteration for a loop of n
// steps (the first step of a block is peeled): all of them when few, else
// one of unrolls dividing n, so that no steps are left over after the
// loop, else 4.
func chooseUnroll(n int) int {
	if n < fullUnrollK {
		return max(n, 1)
	}
	for _, u := range unrolls {
		if n%u == 0 {
			return u
		}
	}
	return unrolls[0]
}

// maxVecs is the widest panel, in vectors, per register file size.
var maxVecs = map[int]int{32: 4, 16: 2}

// planGEMM blocks s for x.
func planGEMM(s GEMMSpec, x *isa) gemmPlan {
	lanes := x.lanes(s.size())
	p := gemmPlan{lanes: lanes, kc: s.K}
	if s.K*s.N*s.size() > blockBBytes && s.K > kcTarget {
		p.kc = blockK(s.K)
	}
	p.unroll = chooseUnroll(p.kc - 1)
	if usePairs(s, x, p.kc) {
		p.pairs = true
		p.unroll = chooseUnroll(s.K/2 - 1)
		p.groups = []panelGroup{{v: 1, count: 1, rows: maxRows, tail: s.N}}
		return p
	}
	if usePairRows(s, x, p.kc) {
		p.pairRows = true
		p.groups = []panelGroup{{v: 1, count: 1, rows: pairRowRows, tail: s.N}}
		return p
	}
	col := 0
	for _, v := range splitPanels(ceilDiv(s.N, lanes), maxVecs[x.regs]) {
		g := panelGroup{col: col, v: v, count: 1, tail: lanes}
		if col+v*lanes > s.N {
			g.tail = s.N - col - (v-1)*lanes
		}
		g.rows = blockRows(x, v, g.masked(lanes))
		col += g.width(lanes)
		if n := len(p.groups); n > 0 && p.groups[n-1].v == v && !g.masked(lanes) {
			p.groups[n-1].count++
			continue
		}
		p.groups = append(p.groups, g)
	}
	return p
}

// splitPanels cuts nv vectors into the fewest panels of at most max
// vectors, as even as possible, wider panels first.
func splitPanels(nv, max int) []int {
	np := ceilDiv(nv, max)
	vs := make([]int, np)
	for i := range vs {
		vs[i] = nv / np
		if i < nv%np {
			vs[i]++
		}
	}
	return vs
}

// blockRows returns how many rows of v accumulators fit x's registers
// beside the v vectors of B, the broadcast register (AVX-512 with v = 1
// uses embedded broadcasts instead) and, for AVX2 with a partial vector,
// the lane mask.
func blockRows(x *isa, v int, masked bool) int {
	free := x.regs - v
	if x != isaAVX512 || v > 1 {
		free-- // broadcast of A(i,p)
	}
	if x == isaAVX2 && masked {
		free-- // VMASKMOVPS mask
	}
	return min(free/v, maxRows)
}

// maxRows caps the rows of one block.
const maxRows = 16

// tailBlocks returns the block heights, largest first, that cover any
// remainder of rows below a main block of rows: the powers of two < rows.
func tailBlocks(rows int) []int {
	var ts []int
	for t := 1; t < rows; t *= 2 {
		ts = append([]int{t}, ts...)
	}
	return ts
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
