package parity

import (
	"testing"

	"github.com/dlc-lang/dlc/internal/parity/models/lenet"
	"github.com/dlc-lang/dlc/internal/parity/models/lstm"
)

// TestGeneratedAllocs checks the generated API's promise: Forward,
// TrainStep and Evaluate allocate nothing.
func TestGeneratedAllocs(t *testing.T) {
	t.Run("lenet", func(t *testing.T) {
		checkAllocs[float32, float32, int32](t, lenet.New(1), "lenet", lenet.XRow, lenet.Fc3Row)
	})
	t.Run("lstm", func(t *testing.T) {
		checkAllocs[float32, float32, float32](t, lstm.New(1), "lstm", lstm.XRow, lstm.FcRow)
	})
}

func checkAllocs[F float, X, Y elem, M genModel[F, X, Y]](t *testing.T, m M, fixture string, xRow, outRow int) {
	fx, err := Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	y := conv[Y](want(t, fx, "target/y"))
	x := conv[X](want(t, fx, "input/x"))
	out := make([]F, len(x)/xRow*outRow)
	for name, f := range map[string]func(){
		"Forward":   func() { _ = m.Forward(x, out) },
		"TrainStep": func() { _, _ = m.TrainStep(x, y) },
		"Evaluate":  func() { _, _, _ = m.Evaluate(x, y) },
	} {
		if n := testing.AllocsPerRun(5, f); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
	if err := m.Forward(x, out); err != nil {
		t.Fatal(err)
	}
	if _, err := m.TrainStep(x, y); err != nil {
		t.Fatal(err)
	}
}
