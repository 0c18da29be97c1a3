package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/examples/internal/mnist"
	"github.com/dlc-lang/dlc/examples/mnist/model"
	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// TestSmoke trains one short epoch, then checks the outputs: the result
// line, the PNG, and weights that load back into a new model with the same
// Forward outputs.
func TestSmoke(t *testing.T) {
	if _, err := mnist.Dir(); err != nil {
		t.Skipf("mnist data not available: %v", err)
	}
	cfg := defaultConfig()
	cfg.Epochs, cfg.Limit, cfg.Augment = 1, 512, true
	cfg.Out = t.TempDir()
	var stdout bytes.Buffer
	cfg.Stdout = &stdout
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if !strings.Contains(out, "epoch 1/1: train loss ") || !strings.Contains(out, "\ntest accuracy: 0.") {
		t.Errorf("output lacks the epoch or result line:\n%s", out)
	}
	if len(res.History) != 1 || res.Acc < 0.2 {
		t.Errorf("history %v, accuracy %.3f: want one epoch above 20%% (chance is 10%%)", res.History, res.Acc)
	}

	png, err := os.ReadFile(filepath.Join(cfg.Out, "curve.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("curve.png is not a PNG file")
	}

	f, err := os.Open(filepath.Join(cfg.Out, "lenet.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	loaded := model.New(cfg.Seed + 1)
	if err := loaded.Load(f); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, model.MaxBatch*model.XRow)
	dlcrt.Normal(x, dlcrt.NewRNG(7), 0, 1)
	want := make([]float32, model.MaxBatch*model.LogitsRow)
	got := make([]float32, len(want))
	if err := res.Model.Forward(x, want); err != nil {
		t.Fatal(err)
	}
	if err := loaded.Forward(x, got); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("logit %d: loaded model gives %v, trained model %v", i, got[i], want[i])
		}
	}
}
