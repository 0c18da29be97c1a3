package bench

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dlc-lang/dlc/internal/parity/models/seedlenet"
)

// TestThreadsBitIdentical trains LeNet a few steps on 1, 2 and 3 threads:
// losses and parameters are bit-identical.
func TestThreadsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, seedlenet.MaxBatch*seedlenet.XRow)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	y := make([]int32, seedlenet.MaxBatch)
	for i := range y {
		y[i] = int32(rng.IntN(seedlenet.LogitsRow))
	}
	run := func(threads int) ([]float32, []float32) {
		m := seedlenet.New(1)
		m.SetThreads(threads)
		var losses []float32
		for _, n := range []int{seedlenet.MaxBatch, 37, 1, seedlenet.MaxBatch} {
			l, err := m.TrainStep(x[:n*seedlenet.XRow], y[:n])
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, l)
		}
		var params []float32
		for _, p := range m.Params() {
			params = append(params, p.Data...)
		}
		return losses, params
	}
	l1, p1 := run(1)
	for _, th := range []int{2, 3} {
		l, p := run(th)
		if !slices.Equal(l, l1) || !slices.Equal(p, p1) {
			t.Errorf("%d threads: losses %v, want %v (parameters equal: %v)", th, l, l1, slices.Equal(p, p1))
		}
	}
}
