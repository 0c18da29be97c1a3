package parity

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/internal/parity/models/cnn_bn"
	"github.com/dlc-lang/dlc/internal/parity/models/pad_bn"
	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// stateDict writes the fixture's tensors under prefix (step1/, ...) as a
// state_dict file: the names without the prefix, dtypes as stored (F32,
// I64 for num_batches_tracked).
func stateDict(t *testing.T, fx *Fixture, prefix string) *bytes.Buffer {
	t.Helper()
	var ts []dlcrt.Tensor
	for _, ten := range fx.file.Tensors {
		if name, ok := strings.CutPrefix(ten.Name, prefix); ok {
			ten.Name = name
			ts = append(ts, ten)
		}
	}
	var buf bytes.Buffer
	if err := dlcrt.WriteSafetensors(&buf, ts, nil); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// stepTol loosens the comparison of parameters and optimizer state after
// a step where the step is ill-conditioned: biases that feed batchnorm,
// which removes any per-channel constant, so that their gradient is zero
// up to PyTorch's float32 rounding (checked with the 1e-6 floor like every
// gradient). cnn_bn: Adam's first step lr·g/(|g|+eps) turns that rounding
// into a move anywhere in [-lr, lr], so conv1.bias need only stay within lr
// (1e-3) of PyTorch's. pad_bn: fc1.bias, and conv.bias, whose channel 1 is
// positive everywhere so that a shift reaches batchnorm as a per-feature
// constant too: SGD's momentum buffer is the rounding itself (~1e-7),
// compared with the gradients' 1e-6 floor.
var stepTol = map[string]map[string]tol{
	"cnn_bn": {"conv1.bias": {Atol: 1e-3}},
	"pad_bn": {"fc1.bias": {Rtol: 1e-4, Atol: 1e-6}, "conv.bias": {Rtol: 1e-4, Atol: 1e-6}},
}

// masked is a generated model whose dropout masks can be fixed.
type masked interface {
	SetDropoutMask(layer string, keep []float32) error
}

// TestGeneratedTrainMode checks the models whose training mode differs
// from Forward's (batchnorm on batch statistics, dropout) against PyTorch:
// cnn_bn (padded, strided and dilated convolutions, batchnorm2d, max,
// average and global average pooling, dropout) and pad_bn ("same"
// convolution, max and average pooling with padding, batchnorm1d,
// dropout). The fixture's train step drops with its fixed mask mask/<layer>,
// which SetDropoutMask gives the generated model, so the train-mode loss,
// every gradient, the parameters, running statistics, num_batches_tracked
// and optimizer state after one step all compare; then the eval-mode
// Forward (dropout off, batchnorm on running statistics) with the
// fixture's step1/ tensors loaded as a state_dict, and Evaluate's loss.
func TestGeneratedTrainMode(t *testing.T) {
	for _, c := range []struct {
		name string
		new  func() any
	}{
		{"cnn_bn", func() any { return cnn_bn.New(1) }},
		{"pad_bn", func() any { return pad_bn.New(1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			fx, err := Open(c.name)
			if err != nil {
				t.Fatal(err)
			}
			x, y := want(t, fx, "input/x"), want(t, fx, "target/y")
			newModel := func() *model {
				switch raw := c.new().(type) {
				case *cnn_bn.Model:
					return wrap[float32, float32, int32](raw)
				case *pad_bn.Model:
					return wrap[float32, float32, int32](raw)
				}
				panic("unknown model")
			}
			m := newModel()
			m.loadFile(t, c.name+"_state_dict.safetensors")
			checkParams(t, m, fx, "param/", tol{})
			masks := fx.Names("mask/")
			if len(masks) != 1 {
				t.Fatalf("fixture masks %v, want one", masks)
			}
			if err := m.raw.(masked).SetDropoutMask(masks[0], conv[float32](want(t, fx, "mask/"+masks[0]))); err != nil {
				t.Fatal(err)
			}
			loss, err := m.train(x, y)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "train-mode loss", []float64{loss}, want(t, fx, "loss"), parityTol)
			checkGrads(t, m, fx, parityTol)
			checkParams(t, m, fx, "step1/", parityTol, stepTol[c.name])
			checkState(t, m, fx, "state/", 1, parityTol)

			m = newModel()
			if err := m.load(stateDict(t, fx, "step1/")); err != nil {
				t.Fatalf("loading step1/ as a state_dict: %v", err)
			}
			checkParams(t, m, fx, "step1/", tol{})
			out := fx.Names("eval_output/")[0]
			wantOut := want(t, fx, "eval_output/"+out)
			got, err := m.forward(x, len(wantOut))
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "eval output "+out, got, wantOut, parityTol)
			loss, _, err = m.evaluate(x, y)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "eval loss", []float64{loss}, []float64{crossEntropy(wantOut, y)}, parityTol)
		})
	}
}

// crossEntropy is the mean cross-entropy of logits [n, k] with labels [n].
func crossEntropy(logits, labels []float64) float64 {
	k := len(logits) / len(labels)
	sum := 0.0
	for i, l := range labels {
		row := logits[i*k : (i+1)*k]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		z := 0.0
		for _, v := range row {
			z += math.Exp(v - mx)
		}
		sum += mx + math.Log(z) - row[int(l)]
	}
	return sum / float64(len(labels))
}

// TestSetDropoutMaskErrors checks SetDropoutMask's validation and that a
// mask with other rows than the step fails the step without changing
// anything; nil returns the layer to random masks.
func TestSetDropoutMaskErrors(t *testing.T) {
	m := cnn_bn.New(1)
	ones := make([]float32, 2*16)
	for i := range ones {
		ones[i] = 1
	}
	for _, c := range []struct {
		layer string
		keep  []float32
		want  string
	}{
		{"drop2", ones, `no dropout layer "drop2" (the layers are drop1)`},
		{"drop1", ones[:17], "the mask has 17 elements, want 1 to MaxBatch (4) rows of 16"},
		{"drop1", []float32{}, "the mask has 0 elements"},
		{"drop1", make([]float32, 5*16), "the mask has 80 elements"},
		{"drop1", append([]float32{0.5}, ones[1:16]...), "element 0 is 0.5, want 0 or 1"},
	} {
		err := m.SetDropoutMask(c.layer, c.keep)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SetDropoutMask(%q, %d elements) = %v, want an error containing %q", c.layer, len(c.keep), err, c.want)
		}
	}
	if err := m.SetDropoutMask("drop1", ones); err != nil {
		t.Fatal(err)
	}
	x, y := make([]float32, 4*cnn_bn.XRow), make([]int32, 4)
	if _, err := m.TrainStep(x, y); err == nil || !strings.Contains(err.Error(), "the dropout mask of layer drop1 has 2 rows, the step 4") {
		t.Errorf("TrainStep with a 2-row mask on 4 rows: %v", err)
	}
	if m.Step() != 0 {
		t.Errorf("a failed step counted: Step() = %d", m.Step())
	}
	if _, err := m.TrainStep(x[:2*cnn_bn.XRow], y[:2]); err != nil {
		t.Errorf("TrainStep with a matching mask: %v", err)
	}
	if err := m.SetDropoutMask("drop1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := m.TrainStep(x, y); err != nil {
		t.Errorf("TrainStep after clearing the mask: %v", err)
	}
}
