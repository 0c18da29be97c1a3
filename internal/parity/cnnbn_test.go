package parity

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/internal/parity/models/cnn_bn"
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

// TestGeneratedCNNBN checks cnn_bn against PyTorch where the result does
// not depend on the dropout draw: the fixture's train step uses the fixed
// mask mask/drop1, which the generated TrainStep cannot be given, so its
// loss, gradients and updated parameters are not comparable. What is:
//   - the PyTorch state_dict (with I64 num_batches_tracked) loads exactly;
//   - the batchnorm running statistics and num_batches_tracked after one
//     train step (they come from conv1's output, before the dropout);
//   - the eval-mode Forward with the fixture's step1/ parameters and
//     buffers (dropout off, batchnorm on running statistics);
//   - Evaluate's loss on that model against cross-entropy of eval_output.
func TestGeneratedCNNBN(t *testing.T) {
	fx, err := Open("cnn_bn")
	if err != nil {
		t.Fatal(err)
	}
	x, y := want(t, fx, "input/x"), want(t, fx, "target/y")
	m := wrap[float32, float32, int32](cnn_bn.New(1))
	m.loadFile(t, "cnn_bn_state_dict.safetensors")
	checkParams(t, m, fx, "param/", tol{})
	if _, err := m.train(x, y); err != nil {
		t.Fatal(err)
	}
	saved := m.saved(t)
	for _, name := range []string{"bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"} {
		compare(t, "after one step: "+name, values(t, saved, name), want(t, fx, "step1/"+name), parityTol)
	}

	m = wrap[float32, float32, int32](cnn_bn.New(2))
	if err := m.load(stateDict(t, fx, "step1/")); err != nil {
		t.Fatalf("loading step1/ as a state_dict: %v", err)
	}
	checkParams(t, m, fx, "step1/", tol{})
	wantOut := want(t, fx, "eval_output/fc")
	got, err := m.forward(x, len(wantOut))
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "eval output fc", got, wantOut, parityTol)
	loss, _, err := m.evaluate(x, y)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "eval loss", []float64{loss}, []float64{crossEntropy(wantOut, y)}, parityTol)
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
