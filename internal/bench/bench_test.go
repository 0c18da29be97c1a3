package bench

import (
	"math"
	"testing"
)

func BenchmarkSeed(b *testing.B) {
	for _, c := range Cases() {
		flops, err := FLOPs(c)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Step(); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(c.Batch)/sec, "samples/s")
			b.ReportMetric(float64(flops)/sec/1e9, "GFLOP/s")
		})
	}
}

// TestCases runs every case a few times: the steps succeed, allocate
// nothing, and have a FLOP count.
func TestCases(t *testing.T) {
	for _, c := range Cases() {
		if err := c.Step(); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if allocs := testing.AllocsPerRun(2, func() { _ = c.Step() }); allocs != 0 {
			t.Errorf("%s: %g allocations per step, want 0", c.Name, allocs)
		}
		flops, err := FLOPs(c)
		if err != nil || flops <= 0 || flops > math.MaxInt64/2 {
			t.Errorf("%s: FLOPs = %d, %v", c.Name, flops, err)
		}
	}
}
