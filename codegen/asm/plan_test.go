package asm

import (
	"fmt"
	"slices"
	"testing"
)

func TestSplitPanels(t *testing.T) {
	for _, tc := range []struct {
		nv, max int
		want    []int
	}{
		{1, 4, []int{1}},
		{4, 4, []int{4}},
		{5, 4, []int{3, 2}},
		{8, 4, []int{4, 4}},
		{10, 4, []int{4, 3, 3}},
		{25, 4, []int{4, 4, 4, 4, 3, 3, 3}},
		{9, 2, []int{2, 2, 2, 2, 1}},
	} {
		if got := splitPanels(tc.nv, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("splitPanels(%d, %d) = %v, want %v", tc.nv, tc.max, got, tc.want)
		}
	}
}

// TestTailBlocks checks that the tail blocks cover every remainder below
// a main block exactly once: the remainder's binary digits.
func TestTailBlocks(t *testing.T) {
	for rows := 1; rows <= maxRows; rows++ {
		ts := tailBlocks(rows)
		for rem := 0; rem < rows; rem++ {
			sum := 0
			for _, tb := range ts {
				if rem&tb != 0 {
					sum += tb
				}
			}
			if sum != rem {
				t.Errorf("rows %d: tails %v cover %d of remainder %d", rows, ts, sum, rem)
			}
		}
	}
}

func TestChooseUnroll(t *testing.T) {
	for n, want := range map[int]int{0: 1, 1: 1, 7: 7, 8: 4, 9: 3, 15: 5, 399: 3, 255: 5, 119: 7, 83: 4, 24: 4} {
		if got := chooseUnroll(n); got != want {
			t.Errorf("chooseUnroll(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestBlockK(t *testing.T) {
	for k, want := range map[int]int{1024: 256, 3200: 200, 25088: 256, 1100: 275, 52429: 256, 40000: 250} {
		if got := blockK(k, kcTarget); got != want {
			t.Errorf("blockK(%d) = %d, want %d", k, got, want)
		}
	}
}

func TestPlanKC(t *testing.T) {
	for _, tc := range []struct {
		s    GEMMSpec
		x    *isa
		want int
	}{
		{GEMMSpec{N: 120, K: 400, TransB: true, PackedB: true}, isaAVX512, 100}, // LeNet fc1: 100 KB panels
		{GEMMSpec{N: 120, K: 400}, isaAVX2, 400},                                // 2 ymm: 25 KB panels
		{GEMMSpec{N: 84, K: 120}, isaAVX512, 120},                               // 30 KB panels
		{GEMMSpec{N: 50, K: 200}, isaAVX512, 200},                               // 200 B per step: 40 KB
		{GEMMSpec{N: 256, K: 256}, isaAVX512, 256},                              // 64 KB: blocks measured slower
		{GEMMSpec{N: 1024, K: 1024}, isaAVX512, 256},                            // B over 1 MiB
		{GEMMSpec{N: 16, K: 10000}, isaAVX512, 500},                             // 64 B per step: blocks of about 512
	} {
		if got := planKC(tc.s, tc.x); got != tc.want {
			t.Errorf("%+v on %s: kc = %d, want %d", tc.s, tc.x.name, got, tc.want)
		}
	}
}

// TestPlanGEMM checks, for many shapes, that the panels tile [0,N), that
// only the last vector is partial, and that every block fits the isa's
// registers (accumulators, B, broadcast, AVX2 mask).
func TestPlanGEMM(t *testing.T) {
	for _, n := range []int{1, 6, 7, 8, 10, 16, 17, 25, 33, 50, 64, 65, 84, 96, 120, 128, 150, 200, 400, 1024} {
		for _, f64 := range []bool{false, true} {
			for _, x := range isas {
				for _, ta := range []bool{false, true} {
					s := GEMMSpec{Name: "g", N: n, K: 300, F64: f64, TransA: ta}
					p := planGEMM(s, x)
					t.Run(fmt.Sprintf("N%d/F64=%t/TransA=%t/%s", n, f64, ta, x.name), func(t *testing.T) { checkPlan(t, s, x, p) })
				}
			}
		}
	}
}

func checkPlan(t *testing.T, s GEMMSpec, x *isa, p gemmPlan) {
	col := 0
	for i, g := range p.groups {
		if g.col != col {
			t.Errorf("group %d starts at %d, want %d", i, g.col, col)
		}
		if g.masked(p.lanes) && (i != len(p.groups)-1 || g.count != 1) {
			t.Errorf("group %d: partial vector not in the last panel", i)
		}
		if g.tail < 1 || g.tail > p.lanes {
			t.Errorf("group %d: tail %d", i, g.tail)
		}
		regs := g.rows*g.v + g.v
		if x != isaAVX512 || g.v > 1 {
			regs++
		}
		if x == isaAVX2 && g.masked(p.lanes) {
			regs++
		}
		switch {
		case p.pairs:
			regs = g.rows + 7 // t, bv, a, 4 permutations
		case p.pairRows:
			regs = g.rows/2 + 9 // t, bv, a, 3 permutations, bias, zero
		}
		if regs > x.regs || g.rows < 1 {
			t.Errorf("group %d: %d rows x %d vectors need %d registers of %d", i, g.rows, g.v, regs, x.regs)
		}
		col += g.count * g.width(p.lanes)
	}
	if w := p.strip; w > 0 {
		if w > stripMaxCols {
			t.Errorf("strip of %d columns", w)
		}
		if regs := stripVecs(w)*w + w + 4; regs > x.regs {
			t.Errorf("strip of %d columns needs %d registers of %d", w, regs, x.regs)
		}
	}
	if w := p.dot; w > 0 {
		if w > dotMaxCols || p.strip > 0 {
			t.Errorf("dot tail of %d columns beside a strip of %d", w, p.strip)
		}
		if regs := dotRows(w)*w + w + 3; regs > x.regs {
			t.Errorf("dot tail of %d columns needs %d registers of %d", w, regs, x.regs)
		}
	}
	narrow := p.strip + p.dot
	if col+narrow != s.N {
		t.Errorf("panels cover %d columns, the strip %d and the dot tail %d, want %d", col, p.strip, p.dot, s.N)
	}
	// The strip and the dot tail start where the panels' pointers end.
	if p.sweptBytes(s.size()) < (s.N-narrow)*s.size() {
		t.Errorf("sweptBytes %d < panel row bytes %d", p.sweptBytes(s.size()), (s.N-narrow)*s.size())
	}
	if narrow > 0 && p.sweptBytes(s.size()) != (s.N-narrow)*s.size() {
		t.Errorf("sweptBytes %d: the narrow columns would not start at column %d", p.sweptBytes(s.size()), s.N-narrow)
	}
}

func TestStripCols(t *testing.T) {
	for _, tc := range []struct {
		s    GEMMSpec
		x    *isa
		want int
	}{
		{GEMMSpec{N: 50, K: 32, TransA: true, Accumulate: true}, isaAVX512, 2}, // the LSTM's dW_hh
		{GEMMSpec{N: 4, K: 32, TransA: true}, isaAVX512, 4},
		{GEMMSpec{N: 84, K: 32, TransA: true, TransB: true, PackedB: true}, isaAVX512, 4},
		{GEMMSpec{N: 53, K: 32, TransA: true}, isaAVX512, 0},               // 5 columns: a masked vector is as cheap
		{GEMMSpec{N: 48, K: 32, TransA: true}, isaAVX512, 0},               // no partial vector
		{GEMMSpec{N: 50, K: 32}, isaAVX512, 0},                             // A(i:i+16,p) not one vector
		{GEMMSpec{N: 50, K: 32, TransA: true}, isaAVX2, 0},                 // AVX-512 only (scatter)
		{GEMMSpec{N: 50, K: 32, TransA: true, F64: true}, isaAVX512, 0},    // float32 only
		{GEMMSpec{N: 50, K: 32, TransA: true, TransB: true}, isaAVX512, 0}, // B not packed
	} {
		if got := stripCols(tc.s, tc.x, tc.s.K, false); got != tc.want {
			t.Errorf("%+v on %s: %d, want %d", tc.s, tc.x.name, got, tc.want)
		}
	}
	if got := stripCols(GEMMSpec{N: 50, K: 4000, TransA: true}, isaAVX512, 250, false); got != 0 {
		t.Errorf("K in blocks: strip of %d", got)
	}
}

func TestDotCols(t *testing.T) {
	for _, tc := range []struct {
		s    GEMMSpec
		x    *isa
		want int
	}{
		{GEMMSpec{N: 50, K: 200, Accumulate: true}, isaAVX512, 2},                        // the LSTM's dH = dG·W_hh
		{GEMMSpec{N: 84, K: 120, TransB: true, PackedB: true}, isaAVX512, 4},             // LeNet's fc2 forward
		{GEMMSpec{N: 84, K: 10}, isaAVX512, 0},                                           // K too short to repay the reduction
		{GEMMSpec{N: 84, K: 40, RowsHint: 2}, isaAVX512, 0},                              // too few rows to repay the gathers
		{GEMMSpec{N: 84, K: 40, TransB: true, PackedB: true, RowsHint: 2}, isaAVX512, 4}, // no gathers: PackB wrote Bᵗ
		{GEMMSpec{N: 1, K: 10, TransB: true, PackedB: true}, isaAVX512, 0},               // saves less than twice the reduction
		{GEMMSpec{N: 53, K: 200}, isaAVX512, 0},                                          // 5 columns
		{GEMMSpec{N: 48, K: 200}, isaAVX512, 0},                                          // no partial vector
		{GEMMSpec{N: 50, K: 200, TransA: true}, isaAVX512, 0},                            // A's rows not contiguous: the strip's case
		{GEMMSpec{N: 50, K: 200}, isaAVX2, 0},                                            // AVX-512 only
		{GEMMSpec{N: 50, K: 200, F64: true}, isaAVX512, 0},                               // float32 only
		{GEMMSpec{N: 50, K: 200, TransB: true}, isaAVX512, 0},                            // B not packed
		{GEMMSpec{N: 4, K: 4000}, isaAVX512, 0},                                          // Bᵗ over dotMaxBytes
		{GEMMSpec{N: 1, K: 4000}, isaAVX512, 1},                                          // Bᵗ within
	} {
		if got := dotCols(tc.s, tc.x, tc.s.K, false); got != tc.want {
			t.Errorf("%+v on %s: %d, want %d", tc.s, tc.x.name, got, tc.want)
		}
	}
	if got := dotCols(GEMMSpec{N: 50, K: 4000}, isaAVX512, 250, false); got != 0 {
		t.Errorf("K in blocks: dot tail of %d", got)
	}
}

func TestUsePairs(t *testing.T) {
	for _, tc := range []struct {
		s    GEMMSpec
		x    *isa
		want bool
	}{
		{GEMMSpec{N: 8, K: 200}, isaAVX512, true},
		{GEMMSpec{N: 5, K: 2, TransB: true, PackedB: true}, isaAVX512, true},
		{GEMMSpec{N: 4, K: 200}, isaAVX512, false},               // a quarter of the lanes: pairs would not fill them
		{GEMMSpec{N: 9, K: 200}, isaAVX512, false},               // two steps do not fit 16 lanes
		{GEMMSpec{N: 8, K: 1}, isaAVX512, false},                 // no pair
		{GEMMSpec{N: 8, K: 200}, isaAVX2, false},                 // AVX-512 only
		{GEMMSpec{N: 8, K: 200, TransA: true}, isaAVX512, false}, // A(i,p), A(i,p+1) not adjacent
		{GEMMSpec{N: 8, K: 200, TransB: true}, isaAVX512, false}, // B not packed
		{GEMMSpec{N: 8, K: 200, F64: true}, isaAVX512, false},
	} {
		if got := usePairs(tc.s, tc.x, tc.s.K); got != tc.want {
			t.Errorf("%+v on %s: %t, want %t", tc.s, tc.x.name, got, tc.want)
		}
	}
}

func TestUsePairRows(t *testing.T) {
	for _, tc := range []struct {
		s    GEMMSpec
		x    *isa
		want bool
	}{
		{GEMMSpec{N: 8, K: 32, TransA: true}, isaAVX512, true},
		{GEMMSpec{N: 5, K: 1, TransA: true, TransB: true, PackedB: true}, isaAVX512, true},
		{GEMMSpec{N: 8, K: 32}, isaAVX512, false}, // A(i,p), A(i+1,p) not adjacent
		{GEMMSpec{N: 4, K: 32, TransA: true}, isaAVX512, false},
		{GEMMSpec{N: 9, K: 32, TransA: true}, isaAVX512, false},
		{GEMMSpec{N: 8, K: 32, TransA: true}, isaAVX2, false},
		{GEMMSpec{N: 8, K: 32, TransA: true, TransB: true}, isaAVX512, false},
		{GEMMSpec{N: 8, K: 32, TransA: true, F64: true}, isaAVX512, false},
	} {
		if got := usePairRows(tc.s, tc.x, tc.s.K); got != tc.want {
			t.Errorf("%+v on %s: %t, want %t", tc.s, tc.x.name, got, tc.want)
		}
	}
}

// TestPackPlan checks the cost rule of packed panels: only B larger than
// packBBytes with rows at least packMinRowBytes apart (no layer of the
// examples), K in the fewest blocks that fit the buffer, and chunks whose
// block of A (and C when K is blocked) fits chunkBytes, a multiple of
// every group's block height.
func TestPackPlan(t *testing.T) {
	for _, tc := range []struct {
		s      GEMMSpec
		x      *isa
		packed bool
		kc, mc int
	}{
		{GEMMSpec{N: 256, K: 256}, isaAVX512, false, 256, 0},
		{GEMMSpec{N: 120, K: 400}, isaAVX512, false, 100, 0},  // K blocked for L1 (planKC)
		{GEMMSpec{N: 7, K: 40000}, isaAVX512, false, 250, 0},  // rows 28 bytes apart: blocked, not packed
		{GEMMSpec{N: 512, K: 512}, isaAVX512, true, 512, 768}, // one chunk for 512 rows
		{GEMMSpec{N: 1024, K: 1024}, isaAVX512, true, 512, 252},
		{GEMMSpec{N: 1024, K: 1024}, isaAVX2, true, 512, 252},
		{GEMMSpec{N: 1000, K: 1100, TransA: true}, isaAVX512, true, 220, 312}, // groups of 6 and 8 rows
		{GEMMSpec{N: 1000, K: 1100}, isaAVX512, true, 367, 264},
		{GEMMSpec{N: 512, K: 512, F64: true}, isaAVX512, true, 512, 384},
		{GEMMSpec{N: 512, K: 512, ChunkRows: 5}, isaAVX512, true, 512, 5},
	} {
		p := planGEMM(tc.s, tc.x)
		if p.packB != tc.packed || p.kc != tc.kc || p.mc != tc.mc {
			t.Errorf("%+v on %s: packB %t, kc %d, mc %d; want %t, %d, %d", tc.s, tc.x.name, p.packB, p.kc, p.mc, tc.packed, tc.kc, tc.mc)
		}
		if p.packB {
			for _, g := range p.groups {
				if tc.s.ChunkRows == 0 && p.mc%g.rows != 0 {
					t.Errorf("%+v on %s: chunk of %d rows, blocks of %d", tc.s, tc.x.name, p.mc, g.rows)
				}
			}
		}
	}
}
