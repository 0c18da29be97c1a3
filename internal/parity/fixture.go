package parity

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// Fixture is one PyTorch reference case.
type Fixture struct {
	Name string
	file *dlcrt.SafetensorsFile
}

// Dir is testdata/torchref of this module.
func Dir() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "testdata", "torchref")
}

// Open reads testdata/torchref/<name>.safetensors.
func Open(name string) (*Fixture, error) {
	f, err := os.Open(filepath.Join(Dir(), name+".safetensors"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := dlcrt.ReadSafetensors(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Fixture{Name: name, file: st}, nil
}

// Has reports whether the fixture holds a tensor.
func (fx *Fixture) Has(name string) bool {
	_, ok := fx.file.Tensor(name)
	return ok
}

// Float64 returns a tensor's values (integers converted) and shape.
func (fx *Fixture) Float64(name string) ([]float64, []int, error) {
	t, ok := fx.file.Tensor(name)
	if !ok {
		return nil, nil, fmt.Errorf("%s: no tensor %s", fx.Name, name)
	}
	switch t.DType {
	case dlcrt.DTypeI64:
		v, err := t.Int64s()
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, t.Shape, err
	case dlcrt.DTypeI32:
		v, err := t.Int32s()
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, t.Shape, err
	case dlcrt.DTypeF32:
		v, err := t.Float32s()
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, t.Shape, err
	}
	v, err := t.Float64s()
	return v, t.Shape, err
}

// Float32 returns a float tensor as float32.
func (fx *Fixture) Float32(name string) ([]float32, error) {
	v, _, err := fx.Float64(name)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out, err
}

// Int32 returns an integer tensor (labels, ids) as int32.
func (fx *Fixture) Int32(name string) ([]int32, error) {
	v, _, err := fx.Float64(name)
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out, err
}

// Names lists the tensors under prefix (e.g. "param/"), without it, sorted.
func (fx *Fixture) Names(prefix string) []string {
	var out []string
	for _, t := range fx.file.Tensors {
		if strings.HasPrefix(t.Name, prefix) {
			out = append(out, strings.TrimPrefix(t.Name, prefix))
		}
	}
	sort.Strings(out)
	return out
}

// Close compares got with want elementwise: |got-want| <= atol + rtol*|want|.
// It returns a description of the worst element, or "" when all are close.
func Close(got, want []float64, rtol, atol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("length %d, want %d", len(got), len(want))
	}
	worst, at := 0.0, -1
	for i := range got {
		d := got[i] - want[i]
		if d < 0 {
			d = -d
		}
		tol := atol + rtol*abs(want[i])
		if d > tol && d-tol > worst || got[i] != got[i] {
			worst, at = d-tol, i
		}
	}
	if at < 0 {
		return ""
	}
	return fmt.Sprintf("element %d = %g, want %g", at, got[at], want[at])
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
