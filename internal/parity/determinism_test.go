package parity

import (
	"testing"

	"github.com/dlc-lang/dlc/internal/parity/models/seedlenet"
	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// TestTrainingIsDeterministic trains two models from the same seed on the
// same batches: every loss and every parameter bit must agree, and a
// different seed must give different initial weights.
func TestTrainingIsDeterministic(t *testing.T) {
	const n, steps = 5, 4
	x := make([]float32, n*seedlenet.XRow)
	dlcrt.Normal(x, dlcrt.NewRNG(11), 0, 1)
	y := []int32{0, 9, 4, 4, 2}
	train := func(seed uint64) (*seedlenet.Model, []float32) {
		m := seedlenet.New(seed)
		var losses []float32
		for i := 0; i < steps; i++ {
			l, err := m.TrainStep(x, y)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, l)
		}
		return m, losses
	}
	a, la := train(7)
	b, lb := train(7)
	for i := range la {
		if la[i] != lb[i] {
			t.Fatalf("step %d: loss %v vs %v", i, la[i], lb[i])
		}
	}
	pa, pb := a.ParamBlock(), b.ParamBlock()
	for i := range pa {
		if pa[i] != pb[i] {
			t.Fatalf("parameter element %d differs after %d steps: %v vs %v", i, steps, pa[i], pb[i])
		}
	}
	c, d := seedlenet.New(8).ParamBlock(), seedlenet.New(7).ParamBlock()
	same := 0
	for i := 0; i < 100; i++ {
		if c[i] == d[i] {
			same++
		}
	}
	if same > 10 {
		t.Errorf("seeds 7 and 8 share %d of the first 100 weights", same)
	}
}
