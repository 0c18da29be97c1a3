package parity

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/internal/parity/models/cnn_bn"
	"github.com/dlc-lang/dlc/internal/parity/models/pad_bn"
	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// allCases is genCases and the models of TestGeneratedTrainMode, whose
// Forward differs from their train-mode output but whose files compare.
func allCases() []genCase {
	return append(genCases[:len(genCases):len(genCases)],
		genCase{"cnn_bn", "cnn_bn", func() *model { return wrap[float32, float32, int32](cnn_bn.New(1)) }, parityTol},
		genCase{"pad_bn", "pad_bn", func() *model { return wrap[float32, float32, int32](pad_bn.New(1)) }, parityTol})
}

// trained returns c's model loaded from the PyTorch state_dict after one
// train step on the fixture's batch, so that every parameter, buffer and
// counter differs from its initial value.
func trained(t *testing.T, c genCase) (*model, *Fixture) {
	t.Helper()
	fx, err := Open(c.fixture)
	if err != nil {
		t.Fatal(err)
	}
	m := c.new()
	m.loadFile(t, c.fixture+"_state_dict.safetensors")
	if _, err := m.train(want(t, fx, "input/x"), want(t, fx, "target/y")); err != nil {
		t.Fatal(err)
	}
	return m, fx
}

// TestSaveIsPyTorchStateDict checks that what Save writes is, apart from
// the optimizer.* tensors, a state_dict with the names, shapes and dtypes
// of the PyTorch-written one (F64 instead of F32 for the f64 build), and
// that Save, Load into a fresh model and Save again gives the same bytes.
func TestSaveIsPyTorchStateDict(t *testing.T) {
	for _, c := range allCases() {
		t.Run(c.name, func(t *testing.T) {
			m, _ := trained(t, c)
			var buf bytes.Buffer
			if err := m.save(&buf); err != nil {
				t.Fatal(err)
			}
			first := bytes.Clone(buf.Bytes())
			got, err := dlcrt.ReadSafetensors(&buf)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(filepath.Join(Dir(), c.fixture+"_state_dict.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			ref, err := dlcrt.ReadSafetensors(f)
			if err != nil {
				t.Fatal(err)
			}
			if got.Metadata != nil {
				t.Errorf("metadata %v, want none", got.Metadata)
			}
			var names []string
			for _, ten := range got.Tensors {
				if ten.Name == "optimizer.step" || ten.Name == "optimizer.lr" || strings.HasPrefix(ten.Name, "optimizer.state.") {
					continue
				}
				if strings.HasPrefix(ten.Name, "optimizer") {
					t.Errorf("tensor %s: want optimizer.step, optimizer.lr or optimizer.state.<param>.<key>", ten.Name)
				}
				names = append(names, ten.Name)
				r, ok := ref.Tensor(ten.Name)
				if !ok {
					t.Errorf("tensor %s is not in the PyTorch state_dict", ten.Name)
					continue
				}
				wantDType := r.DType
				if c.name == "mlp64" && wantDType == dlcrt.DTypeF32 {
					wantDType = dlcrt.DTypeF64
				}
				if ten.DType != wantDType || fmt.Sprint(ten.Shape) != fmt.Sprint(r.Shape) {
					t.Errorf("tensor %s: %s %v, want %s %v", ten.Name, ten.DType, ten.Shape, wantDType, r.Shape)
				}
			}
			if len(names) != len(ref.Tensors) {
				t.Errorf("state_dict tensors %v, PyTorch's has %d", names, len(ref.Tensors))
			}

			fresh := c.new()
			if err := fresh.load(bytes.NewReader(first)); err != nil {
				t.Fatal(err)
			}
			var again bytes.Buffer
			if err := fresh.save(&again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, again.Bytes()) {
				t.Error("Save, Load, Save: the two files differ")
			}
		})
	}
}

// torchPython is the interpreter with torch (Debian's python3-torch; the
// pyenv python3 on PATH has none); DLC_TORCH_PYTHON overrides it.
func torchPython(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts python with torch")
	}
	py := os.Getenv("DLC_TORCH_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if err := exec.Command(py, "-c", "import torch, numpy").Run(); err != nil {
		t.Skipf("no python with torch and numpy (%s: %v); set DLC_TORCH_PYTHON", py, err)
	}
	return py
}

// TestTorchLoadsSavedModels has PyTorch load what generated models save
// (testdata/torch_load.py): load_state_dict(strict=True) into the fixture's
// nn.Module, then an eval-mode forward that must match the model's Forward
// within 1e-4 relative.
func TestTorchLoadsSavedModels(t *testing.T) {
	py := torchPython(t)
	dir := t.TempDir()
	args := []string{filepath.Join("testdata", "torch_load.py"), Dir(), dir}
	for _, c := range allCases() {
		m, fx := trained(t, c)
		var buf bytes.Buffer
		if err := m.save(&buf); err != nil {
			t.Fatal(err)
		}
		xs, _, _ := fx.Float64("input/x")
		want, shape, err := fx.Float64("output/" + fx.Names("output/")[0])
		if err != nil {
			t.Fatal(err)
		}
		y, err := m.forward(xs, len(want))
		if err != nil {
			t.Fatal(err)
		}
		x, _ := fx.file.Tensor("input/x")
		x.Name = "x"
		var io bytes.Buffer
		err = dlcrt.WriteSafetensors(&io, []dlcrt.Tensor{x, dlcrt.F64Tensor("out", shape, y)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, c.name+".safetensors"), buf.Bytes())
		writeFile(t, filepath.Join(dir, c.name+".io.safetensors"), io.Bytes())
		args = append(args, c.name+":"+c.fixture)
	}
	res, err := exec.Command(py, args...).CombinedOutput()
	t.Logf("%s", res)
	if err != nil {
		t.Fatalf("torch_load.py: %v", err)
	}
	if n := strings.Count(string(res), "ok "); n != len(allCases()) {
		t.Errorf("%d cases ok, want %d", n, len(allCases()))
	}
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
