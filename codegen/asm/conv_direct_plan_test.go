package asm

import "testing"

// TestPlanConv checks that the register blocks of the direct convolutions
// fit the registers of each ISA, and LeNet's blocks.
func TestPlanConv(t *testing.T) {
	for _, c := range []struct {
		s         ConvSpec
		z512, avx convPlan
	}{
		{ConvSpec{C: 1, O: 6, KH: 5, KW: 5, H: 32, W: 32}, convPlan{nvt: 1, r: 4, ob: 6}, convPlan{nvt: 1, r: 2, ob: 6}},
		{ConvSpec{C: 6, O: 16, KH: 5, KW: 5, H: 14, W: 14}, convPlan{nvt: 1, r: 6, ob: 4}, convPlan{nvt: 1, r: 2, ob: 6}},
	} {
		if got := planConv(c.s, 16, 32, 2); got != c.z512 {
			t.Errorf("%+v AVX-512: %+v, want %+v", c.s, got, c.z512)
		}
		if got := planConv(c.s, 8, 16, 2); got != c.avx {
			t.Errorf("%+v AVX2: %+v, want %+v", c.s, got, c.avx)
		}
	}
	for _, o := range []int{1, 5, 33} {
		for _, w := range []int{1, 9, 40, 100} {
			s := ConvSpec{C: 2, O: o, KH: 3, KW: 1, H: 7, W: w}
			for _, isa := range []struct{ lanes, regs int }{{16, 32}, {8, 16}} {
				p := planConv(s, isa.lanes, isa.regs, 2)
				if p.ob*p.r*p.nvt+p.r*p.nvt > isa.regs-2 || p.ob < 1 || p.r < 1 || p.nvt < 1 || p.ob > o || p.r > s.OH() {
					t.Errorf("%+v lanes %d: plan %+v", s, isa.lanes, p)
				}
			}
		}
	}
}

// TestPlanChan checks the channel-vector blocks: LeNet's conv2 forward in
// four blocks of 25 positions, its weight gradient with all 25 taps in
// one pass on AVX-512 and in blocks of 5 on AVX2.
func TestPlanChan(t *testing.T) {
	s := ConvSpec{C: 6, O: 16, KH: 5, KW: 5, H: 14, W: 14}
	if got := planChan(s, 32, 2); got != 25 {
		t.Errorf("planChan = %d, want 25", got)
	}
	if got := chanTapBlock(s, 16, 32, 2); got != 25 {
		t.Errorf("chanTapBlock AVX-512 = %d, want 25", got)
	}
	if got := chanTapBlock(s, 8, 16, 2); got != 5 {
		t.Errorf("chanTapBlock AVX2 = %d, want 5", got)
	}
	s.O = 32
	if got := planChan(s, 32, 2); 2*got+2 > 30 {
		t.Errorf("planChan O=32 = %d positions, too many registers", got)
	}
}
