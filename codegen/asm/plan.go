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
// reloading C once per block. Larger B with wide rows is packed panel by
// panel instead (usePackB, gemm_packpanel.go). When only a panel's K rows
// of B exceed twice l1PanelBytes (LeNet's fc1, 400 steps of 256 bytes), K
// is cut so that each block of rows rereads the panel from L1 rather than
// L2, at the price of one more pass over C per block.
//
// Blocking does not change the order of a sum: each element of C adds its
// products in the order p = 0, 1, …, K-1, as the Go twin does (blocked
// kernels with Accumulate start from C, see blockInit). Paired steps and
// dot tails do split it (doc.go, Rounding).
type gemmPlan struct {
	lanes  int          // elements per vector
	groups []panelGroup // left to right
	unroll int          // K steps per loop iteration; blocks with no more steps are unrolled fully
	kc     int          // K steps per sweep of C; K when not blocked
	pairs  bool         // steps in pairs in one vector (gemm_pairs.go)
	// rows in pairs in one vector (gemm_pairrows.go)
	pairRows bool
	// the last strip columns of C, after the panels, in a column strip
	// (gemm_strip.go); 0 when none
	strip int
	// the last dot columns of C, after the panels, as dot products along K
	// (gemm_dot.go); 0 when none
	dot int
	// packB: each panel's kc×width block of B is copied into a contiguous
	// stack buffer before the sweep of its rows, and the rows are swept in
	// chunks of about mc rows, each through all blocks of K
	// (gemm_packpanel.go)
	packB   bool
	mc      int
	small   *gemmPlan // with packB: the plain plan, for fewer than minRows rows
	minRows int
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
	fullUnrollK  = 8        // K up to this is unrolled completely
	blockBBytes  = 1 << 20  // B larger than this is swept in blocks of K
	kcTarget     = 256      // steps per block of K, about
	l1PanelBytes = 32 << 10 // a panel's block of B fits L1 beside A's rows and C
)

// blockK returns the steps per block of a blocked K: a divisor of K near
// target if there is one, so that every block is the same loop, else
// target, leaving a shorter last block.
func blockK(k, target int) int {
	for d := 0; d <= target/2; d++ {
		for _, kc := range []int{target - d, target + d} {
			if k%kc == 0 {
				return kc
			}
		}
	}
	return target
}

// planKC returns the steps per block of K for a plain plan: blocks of about
// kcTarget when B is large, else blocks whose panel of B fits l1PanelBytes
// when its K rows take over twice that, else K.
func planKC(s GEMMSpec, x *isa) int {
	lanes := x.lanes(s.size())
	if s.K*s.N*s.size() > blockBBytes && s.K > kcTarget {
		return blockK(s.K, kcTarget)
	}
	// At twice the budget (256×256) the blocks measured 2% slower, C's
	// extra passes costing about what L1 saves; at 400 steps 9% faster.
	row := min(s.N, maxVecs[x.regs]*lanes) * s.size() // a panel's bytes per step
	if target := l1PanelBytes / row; s.K > 2*target {
		return blockK(s.K, target)
	}
	return s.K
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

// planGEMM blocks s for x: with packed panels when B is large (usePackB),
// the plain plan kept in small for calls with few rows.
func planGEMM(s GEMMSpec, x *isa) gemmPlan {
	p := planBlocks(s, x, false)
	if !usePackB(s) {
		return p
	}
	q := planBlocks(s, x, true)
	q.small, q.minRows = &p, packMinRows
	if s.ChunkRows > 0 {
		q.minRows = s.ChunkRows
	}
	return q
}

// planBlocks blocks s for x, with packed panels when packed.
func planBlocks(s GEMMSpec, x *isa, packed bool) gemmPlan {
	lanes := x.lanes(s.size())
	p := gemmPlan{lanes: lanes, kc: planKC(s, x)}
	if packed {
		p.packB, p.kc = true, packK(s)
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
	p.strip = stripCols(s, x, p.kc, packed)
	if p.strip == 0 {
		p.dot = dotCols(s, x, p.kc, packed)
	}
	col, cols := 0, s.N-p.strip-p.dot
	for _, v := range splitPanels(ceilDiv(cols, lanes), maxVecs[x.regs]) {
		g := panelGroup{col: col, v: v, count: 1, tail: lanes}
		if col+v*lanes > cols {
			g.tail = cols - col - (v-1)*lanes
		}
		g.rows = blockRows(x, v, g.masked(lanes))
		col += g.width(lanes)
		if n := len(p.groups); n > 0 && p.groups[n-1].v == v && !g.masked(lanes) {
			p.groups[n-1].count++
			continue
		}
		p.groups = append(p.groups, g)
	}
	if p.packB {
		p.mc = chunkRows(s, p)
	}
	return p
}

// Packed panels and row chunks (gemm_packpanel.go), for large B only.
//
// Without them a panel's rows of B, N elements apart, are reread by every
// block of rows. When B is large that read misses L1 every step, and with
// N·size a multiple of 4 KiB the rows of a panel (and of A) map to a few
// sets of L1 and L2 and evict each other: at 1024×1024 the blocked kernel
// ran at 60-75% of the FMA peak uncontended and far lower when another
// process shared the caches. The packed plan copies each panel's kc×width
// block of B into a contiguous stack buffer (read in order from L2 by the
// row blocks, at a cost of one extra read and write of B per chunk of rows
// and block of K), and sweeps the rows in chunks whose block of A (and C,
// if K is blocked) fits in L2, reused by every panel.
//
// The cost rule: pack when B exceeds packBBytes (a quarter of L2), so that
// it no longer stays in L2 beside A and C, and its rows are at least
// packMinRowBytes apart. Smaller products keep the plain plan and its
// code: every layer kernel of the examples, whose largest B is 188 KiB.
// As the copy pays only when many row blocks reuse a panel, a packed
// kernel called with fewer than packMinRows rows (a weight gradient over
// few output features, as gemmbench's LeNet conv2 dW, 16×150×3200) runs
// the plain plan instead, chosen at run time.
const (
	packBBytes      = 512 << 10 // pack B larger than this
	packMinRowBytes = 256       // whose rows are at least this far apart
	kcPackMax       = 512       // most steps per block of K: 128 KiB of stack for a 64-float panel
	kcPackMaxTransA = 256       // the same with TransA (packK)
	chunkBytes      = 3 << 19   // A's block of a chunk of rows (and its C when K is blocked) fits this: ¾ of L2
	packMinRows     = 64        // fewer rows run the plain plan
)

// usePackB reports whether s is planned with packed panels of B.
func usePackB(s GEMMSpec) bool {
	return s.K*s.N*s.size() > packBBytes && s.N*s.size() >= packMinRowBytes
}

// packK returns the steps per block of K with packed panels: K when it
// fits the buffer, else K split evenly into blocks of at most kcPackMax
// (the last may be one step shorter). Fewer blocks mean fewer reloads of
// C. With TransA the block's rows of A lie m elements apart, and with m a
// multiple of 1024 floats kcPackMax of them would fill the L2 sets they
// map to: such kernels take at most kcPackMaxTransA steps.
func packK(s GEMMSpec) int {
	most := kcPackMax
	if s.TransA {
		most = kcPackMaxTransA
	}
	return ceilDiv(s.K, ceilDiv(s.K, most))
}

// chunkRows returns the rows per chunk of a packed plan: the spec's
// ChunkRows if set, else as many as keep the chunk's kc steps of A, and
// its rows of C when K is blocked (C is then reloaded by every block),
// within chunkBytes, a multiple of every group's block height so that only
// the last chunk has tail blocks.
func chunkRows(s GEMMSpec, p gemmPlan) int {
	if s.ChunkRows > 0 {
		return s.ChunkRows
	}
	l := 1
	for _, g := range p.groups {
		l = l * g.rows / gcd(l, g.rows)
	}
	row := p.kc * s.size() // A's bytes per row of a chunk
	if p.kc < s.K {
		row += s.N * s.size() // and C's, reloaded by every block of K
	}
	return max(l, chunkBytes/row/l*l)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
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
	r := min(free/v, maxRows)
	if r > 8 && r%8 == 1 {
		// 9 rows (3 vectors) leave tails of 1-7 rows for every batch that is
		// a multiple of 8, and a 1-row tail waits on the FMA latency: 8 rows
		// ran 3-7% faster at 32 rows (LeNet's fc2 and fc3 products).
		r--
	}
	return r
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
