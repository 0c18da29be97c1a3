package runtime_test

import (
	"bytes"
	"fmt"
	"math"

	"github.com/dlc-lang/dlc/runtime"
)

// linear is a stand-in for a generated model: y = w·x + b with a
// squared-error loss, trained by SGD.
type linear struct {
	w    []float32 // [1, 2], as torch.nn.Linear(2, 1).weight
	b    []float32 // [1]
	step int64
}

func newLinear(seed uint64) *linear {
	m := &linear{w: make([]float32, 2), b: make([]float32, 1)}
	rng := runtime.NewRNG(seed)
	runtime.KaimingUniform(m.w, rng, 2, math.Sqrt(5))
	runtime.FanInUniform(m.b, rng, 2)
	return m
}

func (m *linear) slots() []runtime.Slot {
	return []runtime.Slot{
		{Name: "fc.weight", Shape: []int{1, 2}, F32: m.w},
		{Name: "fc.bias", Shape: []int{1}, F32: m.b},
		{Name: "optimizer.step", Shape: []int{}, I64: &m.step, Group: "optimizer"},
	}
}

func (m *linear) TrainStep(x, y []float32) (float32, error) {
	var loss, gw0, gw1, gb float32
	n := len(y)
	for i := range n {
		d := m.w[0]*x[2*i] + m.w[1]*x[2*i+1] + m.b[0] - y[i]
		loss += d * d / float32(n)
		gw0 += 2 * d * x[2*i] / float32(n)
		gw1 += 2 * d * x[2*i+1] / float32(n)
		gb += 2 * d / float32(n)
	}
	m.w[0] -= 0.1 * gw0
	m.w[1] -= 0.1 * gw1
	m.b[0] -= 0.1 * gb
	m.step++
	return loss, nil
}

// Train a model with Fit, save it and load its weights into another.
func Example() {
	// y = 2·x0 - 3·x1 + 0.5 on a grid.
	var d runtime.Dataset[float32, float32]
	d.XRow, d.YRow = 2, 1
	for i := range 10 {
		for j := range 10 {
			x0, x1 := float32(i)/10, float32(j)/10
			d.X = append(d.X, x0, x1)
			d.Y = append(d.Y, 2*x0-3*x1+0.5)
		}
	}
	m := newLinear(1)
	loop := runtime.Loop{
		Epochs: 500, BatchSize: 16, Seed: 1,
		OnEpoch: func(s runtime.EpochStats) bool { return s.Loss < 1e-6 },
	}
	if _, err := runtime.Fit(m.TrainStep, d, loop); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("w = [%.2f %.2f], b = %.2f\n", m.w[0], m.w[1], m.b[0])

	var file bytes.Buffer
	if err := runtime.SaveTensors(&file, m.slots(), map[string]string{"format": "pt"}); err != nil {
		fmt.Println(err)
		return
	}
	other := newLinear(2)
	if err := runtime.LoadTensors(&file, other.slots()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loaded w = [%.2f %.2f], b = %.2f, same step: %v\n", other.w[0], other.w[1], other.b[0], other.step == m.step)

	// A file with a wrong shape changes nothing.
	var bad bytes.Buffer
	err := runtime.WriteSafetensors(&bad, []runtime.Tensor{
		runtime.F32Tensor("fc.weight", []int{2, 1}, []float32{1, 1}),
		runtime.F32Tensor("fc.bias", []int{1}, []float32{0}),
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(runtime.LoadTensors(&bad, other.slots()))
	// Output:
	// w = [2.00 -3.00], b = 0.50
	// loaded w = [2.00 -3.00], b = 0.50, same step: true
	// safetensors: tensor "fc.weight": shape [2 1], want [1 2]
}
