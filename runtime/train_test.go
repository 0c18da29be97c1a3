package runtime

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// recordSteps runs l over n samples and returns the batches of each epoch.
func recordSteps(t *testing.T, l Loop, n int) [][][]int {
	t.Helper()
	var epochs [][][]int
	l.OnEpoch = func(EpochStats) bool { return false }
	cur := [][]int{}
	_, err := l.Run(n, func(batch []int) (float64, error) {
		cur = append(cur, slices.Clone(batch))
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for len(cur) > 0 {
		k := (n + l.BatchSize - 1) / l.BatchSize
		epochs = append(epochs, cur[:k])
		cur = cur[k:]
	}
	return epochs
}

func TestRunBatchesAndShuffle(t *testing.T) {
	l := Loop{Epochs: 3, BatchSize: 4, Seed: 1}
	epochs := recordSteps(t, l, 10)
	if len(epochs) != 3 {
		t.Fatalf("%d epochs, want 3", len(epochs))
	}
	var orders [][]int
	for e, batches := range epochs {
		var sizes []int
		var order []int
		for _, b := range batches {
			sizes = append(sizes, len(b))
			order = append(order, b...)
		}
		if !slices.Equal(sizes, []int{4, 4, 2}) {
			t.Errorf("epoch %d: batch sizes %v, want [4 4 2]", e+1, sizes)
		}
		sorted := slices.Sorted(slices.Values(order))
		if !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Errorf("epoch %d: order %v is not a permutation", e+1, order)
		}
		orders = append(orders, order)
	}
	if slices.Equal(orders[0], orders[1]) || slices.Equal(orders[1], orders[2]) {
		t.Errorf("epochs share an order: %v", orders)
	}
	// The same seed repeats the run; epoch e's order does not depend on
	// the epochs before it.
	again := recordSteps(t, l, 10)
	if !slices.EqualFunc(epochs, again, func(a, b [][]int) bool { return slices.EqualFunc(a, b, slices.Equal) }) {
		t.Error("same seed, different batches")
	}
	var r RNG
	r.Seed(mix64(mix64(1^golden) + 3)) // the documented key of seed 1, epoch 3
	want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	r.Shuffle(want)
	if !slices.Equal(orders[2], want) {
		t.Errorf("epoch 3 order %v, want %v", orders[2], want)
	}
	other := recordSteps(t, Loop{Epochs: 1, BatchSize: 4, Seed: 2}, 10)
	if slices.EqualFunc(other[0], epochs[0], slices.Equal) {
		t.Error("different seeds, same order")
	}
	inOrder := recordSteps(t, Loop{Epochs: 2, BatchSize: 3, NoShuffle: true}, 7)
	if want := [][]int{{0, 1, 2}, {3, 4, 5}, {6}}; !slices.EqualFunc(inOrder[1], want, slices.Equal) {
		t.Errorf("NoShuffle batches %v, want %v", inOrder[1], want)
	}
}

func TestRunLossAndCallbacks(t *testing.T) {
	var seen []EpochStats
	l := Loop{
		Epochs: 10, BatchSize: 3, Seed: 4,
		Eval: func(epoch int) (float64, float64, error) { return float64(epoch), 0.5, nil },
		OnEpoch: func(s EpochStats) bool {
			seen = append(seen, s)
			return s.Epoch == 3 // early stop
		},
	}
	// The loss of a batch is the mean of its indices, so every epoch's
	// sample-weighted loss is the mean of 0..9 whatever the batches.
	last, err := l.Run(10, func(batch []int) (float64, error) {
		sum := 0
		for _, i := range batch {
			sum += i
		}
		return float64(float32(sum) / float32(len(batch))), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || last != seen[2] {
		t.Fatalf("ran %d epochs (last %+v), want 3", len(seen), last)
	}
	for _, s := range seen {
		if math.Abs(s.Loss-4.5) > 1e-6 || s.Steps != 4 || s.Samples != 10 || !s.Evaluated || s.EvalLoss != float64(s.Epoch) || s.EvalAcc != 0.5 {
			t.Errorf("stats %+v", s)
		}
	}
	if str := seen[0].String(); !strings.HasPrefix(str, "epoch 1: loss 4.5000 (10 samples") || !strings.HasSuffix(str, "eval loss 1.0000, accuracy 50.00%") {
		t.Errorf("String() = %q", str)
	}
}

func TestRunErrors(t *testing.T) {
	boom := errors.New("boom")
	ok := func([]int) (float64, error) { return 0, nil }
	tests := []struct {
		name string
		l    Loop
		n    int
		step func([]int) (float64, error)
		want string
	}{
		{"no samples", Loop{Epochs: 1, BatchSize: 1}, 0, ok, "train: no samples"},
		{"batch size", Loop{Epochs: 1}, 5, ok, "train: batch size 0, want at least 1"},
		{"epochs", Loop{Epochs: -1, BatchSize: 1}, 5, ok, "train: -1 epochs"},
		{"step", Loop{Epochs: 2, BatchSize: 2}, 5, func(b []int) (float64, error) {
			if slices.Contains(b, 4) {
				return 0, boom
			}
			return 0, nil
		}, "train: epoch 1, step "},
		{"eval", Loop{Epochs: 2, BatchSize: 2, Eval: func(int) (float64, float64, error) { return 0, 0, boom }}, 5, ok, "train: epoch 1: eval: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.l.Run(tt.n, tt.step)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// line is a model y = w*x + b trained by SGD on squared error. It fails a
// step whose targets are not the targets of its inputs, so it also checks
// that Fit pairs rows correctly.
type line struct {
	w, b  float64
	steps int
}

func target(x float64) float64 { return 3*x - 1 }

func (m *line) TrainStep(x, y []float64) (float32, error) {
	if len(x) != len(y) || len(x) == 0 {
		return 0, errors.New("bad batch")
	}
	var loss, gw, gb float64
	for i := range x {
		if y[i] != target(x[i]) {
			return 0, errors.New("rows of x and y do not match")
		}
		d := m.w*x[i] + m.b - y[i]
		loss += d * d
		gw += 2 * d * x[i]
		gb += 2 * d
	}
	n := float64(len(x))
	m.w -= 0.1 * gw / n
	m.b -= 0.1 * gb / n
	m.steps++
	return float32(loss / n), nil
}

func (m *line) Evaluate(x, y []float64) (float64, float64, error) {
	var loss, right float64
	for i := range x {
		d := m.w*x[i] + m.b - y[i]
		loss += d * d
		if math.Abs(d) < 0.01 {
			right++
		}
	}
	return loss / float64(len(x)), right / float64(len(x)), nil
}

func lineData(n int) Dataset[float64, float64] {
	d := Dataset[float64, float64]{XRow: 1, YRow: 1}
	for i := range n {
		x := float64(i)/float64(n) - 0.5
		d.X = append(d.X, x)
		d.Y = append(d.Y, target(x))
	}
	return d
}

func TestFitAndEvaluate(t *testing.T) {
	m := &line{}
	d := lineData(50)
	l := Loop{Epochs: 200, BatchSize: 8, Seed: 1}
	l.Eval = func(int) (float64, float64, error) { return Evaluate(m.Evaluate, d, 7) }
	l.OnEpoch = func(s EpochStats) bool { return s.EvalLoss < 1e-8 }
	last, err := Fit(m.TrainStep, d, l)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.w-3) > 1e-3 || math.Abs(m.b+1) > 1e-3 || last.EvalAcc != 1 {
		t.Errorf("fitted w %v b %v (eval %+v), want 3 and -1", m.w, m.b, last)
	}
	if last.Epoch == 200 || m.steps != last.Epoch*7 {
		t.Errorf("%d steps in %d epochs: early stopping or batching is off", m.steps, last.Epoch)
	}
	// Evaluate weighs batches by their size.
	m.w, m.b = 0, 0
	var want float64
	for i := range d.X {
		want += d.Y[i] * d.Y[i]
	}
	want /= float64(len(d.X))
	for _, batch := range []int{1, 7, 50, 64} {
		if loss, _, err := Evaluate(m.Evaluate, d, batch); err != nil || math.Abs(loss-want) > 1e-12 {
			t.Errorf("batch %d: loss %v, %v, want %v", batch, loss, err, want)
		}
	}
}

func TestDatasetCheck(t *testing.T) {
	tests := []struct {
		d    Dataset[float32, int32]
		want string
	}{
		{Dataset[float32, int32]{X: make([]float32, 6), Y: make([]int32, 3), XRow: 2, YRow: 1}, ""},
		{Dataset[float32, int32]{X: make([]float32, 6), Y: make([]int32, 3), XRow: 0, YRow: 1}, "row sizes"},
		{Dataset[float32, int32]{X: make([]float32, 7), Y: make([]int32, 3), XRow: 2, YRow: 1}, "not whole rows"},
		{Dataset[float32, int32]{X: make([]float32, 6), Y: make([]int32, 4), XRow: 2, YRow: 1}, "4 targets, want 3"},
	}
	for _, tt := range tests {
		err := tt.d.Check()
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Check() = %v, want %q", err, tt.want)
		}
	}
	if _, err := Fit((&line{}).TrainStep, Dataset[float64, float64]{X: []float64{1}, XRow: 1, YRow: 1}, Loop{Epochs: 1, BatchSize: 1}); err == nil {
		t.Error("Fit accepted a bad dataset")
	}
	if _, _, err := Evaluate((&line{}).Evaluate, lineData(3), 0); err == nil {
		t.Error("Evaluate accepted batch 0")
	}
}

func TestGatherRows(t *testing.T) {
	src := []int32{0, 1, 10, 11, 20, 21, 30, 31}
	dst := make([]int32, 6)
	got := GatherRows(dst, src, 2, []int{3, 0, 2})
	if want := []int32{30, 31, 0, 1, 20, 21}; !slices.Equal(got, want) {
		t.Errorf("GatherRows = %v, want %v", got, want)
	}
	if got := GatherRows(dst, src, 2, []int{1}); len(got) != 2 || got[0] != 10 {
		t.Errorf("GatherRows of one row = %v", got)
	}
}

// TestTrainAllocs checks that epochs and steps allocate nothing: a run of
// 20 epochs allocates as much as a run of one.
func TestTrainAllocs(t *testing.T) {
	d := lineData(100)
	allocs := func(epochs int) float64 {
		return testing.AllocsPerRun(5, func() {
			m := &line{}
			if _, err := Fit(m.TrainStep, d, Loop{Epochs: epochs, BatchSize: 16, Seed: 1, OnEpoch: func(EpochStats) bool { return false }}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if one, many := allocs(1), allocs(20); one != many {
		t.Errorf("1 epoch: %v allocations, 20 epochs: %v", one, many)
	}
}
