package parity

import (
	"math"
	"testing"

	"github.com/dlc-lang/dlc/internal/parity/models/lenetgrad64"
	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// TestInputGradFiniteDifference checks dlc build -grad-input: the gradient
// of the loss with respect to LeNet's input image, read with InputGrad
// after a TrainStep, against central differences of Evaluate's loss (the
// model has no dropout or batchnorm, so evaluation and training agree).
func TestInputGradFiniteDifference(t *testing.T) {
	const n = 3
	m := lenetgrad64.New(1)
	x := make([]float64, n*lenetgrad64.XRow)
	dlcrt.Normal(x, dlcrt.NewRNG(2), 0, 1)
	y := []int32{3, 7, 1}
	if m.InputGrad("x") != nil {
		t.Fatal("InputGrad before the first TrainStep is not nil")
	}
	loss := func() float64 {
		l, _, err := m.Evaluate(x, y)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// Take the gradient at the starting weights: copy it before the step's update is visible.
	probe := lenetgrad64.New(1)
	if _, err := probe.TrainStep(x, y); err != nil {
		t.Fatal(err)
	}
	grad := append([]float64(nil), probe.InputGrad("x")...)
	if len(grad) != len(x) {
		t.Fatalf("InputGrad has %d elements, want %d", len(grad), len(x))
	}
	if probe.InputGrad("y") != nil || probe.InputGrad("nope") != nil {
		t.Error("InputGrad of a target or unknown name is not nil")
	}
	const h = 1e-6
	rng := dlcrt.NewRNG(3)
	for k := 0; k < 40; k++ {
		i := rng.IntN(len(x))
		old := x[i]
		x[i] = old + h
		up := loss()
		x[i] = old - h
		down := loss()
		x[i] = old
		fd := (up - down) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-6+1e-5*math.Abs(fd) {
			t.Errorf("dloss/dx[%d] = %g, finite difference %g", i, grad[i], fd)
		}
	}
}
