package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestSmoke trains a few short epochs on three weeks of data and checks
// that the loss is finite and falls.
func TestSmoke(t *testing.T) {
	var stdout bytes.Buffer
	res, err := run(config{Epochs: 3, Seed: 1, Weeks: 3, Stdout: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + stdout.String())
	if len(res.History) != 3 {
		t.Fatalf("%d epochs reported, want 3", len(res.History))
	}
	for i, s := range res.History {
		if math.IsNaN(s.Loss) || math.IsInf(s.Loss, 0) || math.IsNaN(s.EvalLoss) || math.IsInf(s.EvalLoss, 0) {
			t.Fatalf("epoch %d: train mse %v, test mse %v: want finite", i+1, s.Loss, s.EvalLoss)
		}
		if i > 0 && s.Loss >= res.History[i-1].Loss {
			t.Errorf("epoch %d: train mse %.4f, not below epoch %d's %.4f", i+1, s.Loss, i, res.History[i-1].Loss)
		}
	}
	if !strings.Contains(stdout.String(), "\ntest mse: ") {
		t.Errorf("output lacks the result line:\n%s", stdout.String())
	}
}

// TestSeries checks that the data is deterministic and that the windows
// line up with the series.
func TestSeries(t *testing.T) {
	a, b := genSeries(500, 3), genSeries(500, 3)
	for i := range a.Load {
		if a.Load[i] != b.Load[i] {
			t.Fatalf("hour %d: %v then %v for the same seed", i, a.Load[i], b.Load[i])
		}
	}
	d := windows(a, 100, 200, 24, 1, 0.5)
	if d.Len() != 76 {
		t.Fatalf("%d windows, want 76", d.Len())
	}
	// The last value of window i is hour 100+i+23, its target hour 100+i+24.
	for i := range d.Len() {
		x := d.X[i*d.XRow+23*features]
		if want := float32((a.Load[100+i+23] - 1) / 0.5); x != want {
			t.Fatalf("window %d: last load %v, want %v", i, x, want)
		}
		if want := float32((a.Load[100+i+24] - 1) / 0.5); d.Y[i] != want {
			t.Fatalf("window %d: target %v, want %v", i, d.Y[i], want)
		}
	}
}
