package parity

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	dlcrt "github.com/dlc-lang/dlc/runtime"
)

type float interface{ ~float32 | ~float64 }

type elem interface{ ~int32 | ~float32 | ~float64 }

// genModel is the API every generated package's *Model has, for its float
// type F, input element type X and target element type Y. Params is read
// by reflection (its Tensor type is per package).
type genModel[F float, X, Y elem] interface {
	Forward(x []X, out []F) error
	Evaluate(x []X, y []Y) (loss, acc float64, err error)
	TrainStep(x []X, y []Y) (F, error)
	Grads() []F
	ParamBlock() []F
	Step() int64
	Save(w io.Writer) error
	Load(r io.Reader) error
}

// model is a generated *Model behind float64 slices, so that one test
// body serves every package.
type model struct {
	raw      any
	forward  func(x []float64, outLen int) ([]float64, error)
	train    func(x, y []float64) (float64, error)
	evaluate func(x, y []float64) (loss, acc float64, err error)
	grads    func() []float64
	step     func() int64
	save     func(w io.Writer) error
	load     func(r io.Reader) error
}

func wrap[F float, X, Y elem, M genModel[F, X, Y]](m M) *model {
	return &model{
		raw: m,
		forward: func(x []float64, outLen int) ([]float64, error) {
			out := make([]F, outLen)
			err := m.Forward(conv[X](x), out)
			return conv[float64](out), err
		},
		train: func(x, y []float64) (float64, error) {
			loss, err := m.TrainStep(conv[X](x), conv[Y](y))
			return float64(loss), err
		},
		evaluate: func(x, y []float64) (float64, float64, error) { return m.Evaluate(conv[X](x), conv[Y](y)) },
		grads:    func() []float64 { return conv[float64](m.Grads()) },
		step:     m.Step,
		save:     m.Save,
		load:     m.Load,
	}
}

func conv[T, S elem](s []S) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

// view is one entry of Params(): a copy of its data and, for a parameter,
// its offset in ParamBlock (and so in Grads).
type view struct {
	Name   string
	Shape  []int
	Data   []float64
	Buffer bool
	Off    int
}

// params reads m.Params() by reflection and locates every parameter in
// ParamBlock, failing the test when one is not a view of it.
func (m *model) params(t *testing.T) []view {
	t.Helper()
	rv := reflect.ValueOf(m.raw)
	ts := rv.MethodByName("Params").Call(nil)[0]
	block := rv.MethodByName("ParamBlock").Call(nil)[0]
	size := block.Type().Elem().Size()
	var out []view
	for i := range ts.Len() {
		tv := ts.Index(i)
		data := tv.FieldByName("Data")
		v := view{
			Name:   tv.FieldByName("Name").String(),
			Shape:  tv.FieldByName("Shape").Interface().([]int),
			Buffer: tv.FieldByName("Buffer").Bool(),
			Off:    -1,
		}
		for j := range data.Len() {
			v.Data = append(v.Data, data.Index(j).Float())
		}
		if !v.Buffer {
			d := data.Pointer() - block.Pointer()
			if data.Pointer() < block.Pointer() || d%size != 0 || int(d/size)+data.Len() > block.Len() {
				t.Fatalf("Params: %s is not a view of ParamBlock", v.Name)
			}
			v.Off = int(d / size)
		}
		out = append(out, v)
	}
	return out
}

// saved saves m and reads the file back.
func (m *model) saved(t *testing.T) *dlcrt.SafetensorsFile {
	t.Helper()
	var buf bytes.Buffer
	if err := m.save(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := dlcrt.ReadSafetensors(&buf)
	if err != nil {
		t.Fatalf("reading what Save wrote: %v", err)
	}
	return f
}

// loadFile loads testdata/torchref/<file> into m.
func (m *model) loadFile(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(filepath.Join(Dir(), file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := m.load(f); err != nil {
		t.Fatalf("Load %s: %v", file, err)
	}
}

// values returns a safetensors tensor as float64.
func values(t *testing.T, f *dlcrt.SafetensorsFile, name string) []float64 {
	t.Helper()
	ten, ok := f.Tensor(name)
	if !ok {
		t.Fatalf("no tensor %s", name)
	}
	var out []float64
	var err error
	switch ten.DType {
	case dlcrt.DTypeF32:
		var v []float32
		v, err = ten.Float32s()
		out = conv[float64](v)
	case dlcrt.DTypeI64:
		var v []int64
		v, err = ten.Int64s()
		for _, x := range v {
			out = append(out, float64(x))
		}
	default:
		out, err = ten.Float64s()
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// want returns a fixture tensor, failing the test when it is absent.
func want(t *testing.T, fx *Fixture, name string) []float64 {
	t.Helper()
	v, _, err := fx.Float64(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tol is a comparison tolerance: |got-want| <= Atol + Rtol*|want|.
type tol struct{ Rtol, Atol float64 }

// compare checks got against want and logs how much of the tolerance the
// worst element uses (a ratio <= 1 passes), so that -v shows the margins.
func compare(t *testing.T, what string, got, want []float64, tl tol) {
	t.Helper()
	if msg := Close(got, want, tl.Rtol, tl.Atol); msg != "" {
		t.Errorf("%s: %s (rtol %g, atol %g)", what, msg, tl.Rtol, tl.Atol)
		return
	}
	if testing.Verbose() {
		worst := 0.0
		for i := range got {
			if r := abs(got[i]-want[i]) / (tl.Atol + tl.Rtol*abs(want[i])); r > worst {
				worst = r
			}
		}
		if worst > 0.1 {
			t.Logf("%s: worst element uses %.2f of the tolerance", what, worst)
		}
	}
}
