package passes

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/dsl"
	"github.com/dlc-lang/dlc/ir"
)

var update = flag.Bool("update", false, "rewrite golden files")

// lowerFile parses and lowers one .dl file.
func lowerFile(t *testing.T, path string, opts LowerOptions) (*ir.Program, error) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := dsl.Parse(filepath.Base(path), src)
	if err != nil {
		return nil, err
	}
	return Lower(f, opts)
}

// golden compares got with the file at path, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestLowerErrors checks the exact message, position and quoted source of
// every ill-typed program under testdata/errors.
func TestLowerErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.dl")
	if len(files) < 20 {
		t.Fatalf("only %d error cases", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := lowerFile(t, path, LowerOptions{})
			if err == nil {
				t.Fatal("lowering succeeded; want an error")
			}
			golden(t, strings.TrimSuffix(path, ".dl")+".golden", err.Error()+"\n")
		})
	}
}

// TestLowerModels checks the IR of every shared test model against its
// golden text form, and that the text parses back to the same program.
func TestLowerModels(t *testing.T) {
	files, _ := filepath.Glob("../testdata/models/*.dl")
	if len(files) < 3 {
		t.Fatalf("found %d models under testdata/models, want the three seed models at least", len(files))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".dl")
		t.Run(name, func(t *testing.T) {
			p, err := lowerFile(t, path, LowerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			text := p.String()
			golden(t, filepath.Join("testdata", "lower", name+".ir"), text)
			back, err := ir.Parse(text)
			if err != nil {
				t.Fatalf("parse back: %v", err)
			}
			if err := ir.Verify(back); err != nil {
				t.Fatal(err)
			}
			if back.String() != text {
				t.Error("IR text does not round-trip")
			}
		})
	}
}

// TestLowerTorchrefModels lowers the models of the PyTorch fixtures and
// checks that their parameters have PyTorch's names and shapes.
func TestLowerTorchrefModels(t *testing.T) {
	want := map[string]map[string]ir.Shape{
		"lenet": {"conv1.weight": {6, 1, 5, 5}, "conv2.bias": {16}, "fc1.weight": {120, 400}, "fc3.weight": {10, 84}},
		"lstm":  {"lstm1.weight_ih_l0": {200, 8}, "lstm1.weight_hh_l0": {200, 50}, "lstm2.bias_hh_l0": {200}, "fc.weight": {1, 50}},
		"mlp":   {"fc1.weight": {10, 10}, "fc3.weight": {1, 10}, "fc3.bias": {1}},
	}
	for name, params := range want {
		p, err := lowerFile(t, "../testdata/torchref/"+name+".dl", LowerOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for pn, shape := range params {
			q := p.Param(pn)
			if q == nil || !q.Type.Shape.Equal(shape) {
				t.Errorf("%s: param %s = %v, want shape %v", name, pn, q, shape)
			}
		}
	}
}

func TestLowerF64AndBatch(t *testing.T) {
	p, err := lowerFile(t, "../testdata/torchref/mlp.dl", LowerOptions{DType: ir.F64, Batch: 100})
	if err != nil {
		t.Fatal(err)
	}
	if p.Batch != 100 || p.Params[0].Type.DType != ir.F64 || p.Inputs[0].Type.DType != ir.F64 {
		t.Errorf("got batch %d, %v, %v", p.Batch, p.Params[0].Type, p.Inputs[0].Type)
	}
}
