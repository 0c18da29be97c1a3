package runtime

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

// testModel is the state of a tiny model: parameters and an optimizer
// group, as a generated model lays them out.
type testModel struct {
	w, b, avg []float32
	step      int64
}

func newTestModel(fill float32) *testModel {
	m := &testModel{w: make([]float32, 6), b: make([]float32, 2), avg: make([]float32, 6), step: int64(fill)}
	for _, s := range [][]float32{m.w, m.b, m.avg} {
		for i := range s {
			s[i] = fill + float32(i)
		}
	}
	return m
}

func (m *testModel) slots() []Slot {
	return []Slot{
		{Name: "fc1.weight", Shape: []int{2, 3}, F32: m.w},
		{Name: "fc1.bias", Shape: []int{2}, F32: m.b},
		{Name: "optimizer.step", Shape: []int{}, I64: &m.step, Group: "optimizer"},
		{Name: "optimizer.state.fc1.weight.exp_avg", Shape: []int{2, 3}, F32: m.avg, Group: "optimizer"},
	}
}

func (m *testModel) equal(o *testModel) bool {
	return slices.Equal(m.w, o.w) && slices.Equal(m.b, o.b) && slices.Equal(m.avg, o.avg) && m.step == o.step
}

// save writes tensors to a safetensors file.
func save(t *testing.T, tensors ...Tensor) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, tensors, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSaveLoadRoundTrip(t *testing.T) {
	src := newTestModel(10)
	var buf bytes.Buffer
	if err := SaveTensors(&buf, src.slots(), map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	dst := newTestModel(0)
	if err := LoadTensors(bytes.NewReader(buf.Bytes()), dst.slots()); err != nil {
		t.Fatal(err)
	}
	if !dst.equal(src) {
		t.Errorf("loaded %+v, want %+v", dst, src)
	}
	// SaveTensors writes what WriteSafetensors writes for the same data.
	want := save(t,
		F32Tensor("fc1.weight", []int{2, 3}, src.w), F32Tensor("fc1.bias", []int{2}, src.b),
		I64Tensor("optimizer.step", []int{}, []int64{src.step}),
		F32Tensor("optimizer.state.fc1.weight.exp_avg", []int{2, 3}, src.avg))
	var got bytes.Buffer
	if err := SaveTensors(&got, src.slots(), nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("SaveTensors and WriteSafetensors differ")
	}
}

// TestSaveLargeSlot crosses the chunk size of the slot encoder.
func TestSaveLargeSlot(t *testing.T) {
	src := make([]float64, 10007)
	for i := range src {
		src[i] = float64(i) * 0.5
	}
	var buf bytes.Buffer
	if err := SaveTensors(&buf, []Slot{{Name: "x", Shape: []int{len(src)}, F64: src}}, nil); err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, len(src))
	if err := LoadTensors(bytes.NewReader(buf.Bytes()), []Slot{{Name: "x", Shape: []int{len(src)}, F64: dst}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dst, src) {
		t.Error("large slot round trip differs")
	}
}

func TestLoadStateDictOnly(t *testing.T) {
	w := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{7, 8}
	file := save(t, F32Tensor("fc1.weight", []int{2, 3}, w), F32Tensor("fc1.bias", []int{2}, b))
	m := newTestModel(100)
	before := newTestModel(100)
	if err := LoadTensors(bytes.NewReader(file), m.slots()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.w, w) || !slices.Equal(m.b, b) {
		t.Errorf("parameters %v %v, want %v %v", m.w, m.b, w, b)
	}
	if m.step != before.step || !slices.Equal(m.avg, before.avg) {
		t.Errorf("optimizer state changed: step %d avg %v", m.step, m.avg)
	}
}

func TestLoadWidenNarrow(t *testing.T) {
	f32 := []float32{1.5, -2.25, float32(math.Inf(-1))}
	dst64 := make([]float64, 3)
	file := save(t, F32Tensor("x", []int{3}, f32))
	if err := LoadTensors(bytes.NewReader(file), []Slot{{Name: "x", Shape: []int{3}, F64: dst64}}); err != nil {
		t.Fatal(err)
	}
	if want := []float64{1.5, -2.25, math.Inf(-1)}; !slices.Equal(dst64, want) {
		t.Errorf("widened %v, want %v", dst64, want)
	}
	f64 := []float64{0.1, 1e300, -3}
	dst32 := make([]float32, 3)
	file = save(t, F64Tensor("x", []int{3}, f64))
	if err := LoadTensors(bytes.NewReader(file), []Slot{{Name: "x", Shape: []int{3}, F32: dst32}}); err != nil {
		t.Fatal(err)
	}
	if want := []float32{0.1, float32(math.Inf(1)), -3}; !slices.Equal(dst32, want) {
		t.Errorf("narrowed %v, want %v", dst32, want)
	}
}

func TestLoadErrors(t *testing.T) {
	m := newTestModel(1)
	full := func(extra ...Tensor) []byte {
		ts := []Tensor{
			F32Tensor("fc1.weight", []int{2, 3}, m.w), F32Tensor("fc1.bias", []int{2}, m.b),
			I64Tensor("optimizer.step", []int{}, []int64{3}),
			F32Tensor("optimizer.state.fc1.weight.exp_avg", []int{2, 3}, m.avg),
		}
		return save(t, append(ts, extra...)...)
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"missing tensor", save(t, F32Tensor("fc1.weight", []int{2, 3}, m.w)),
			`safetensors: tensor "fc1.bias": missing`},
		{"unexpected tensor", full(F32Tensor("fc2.bias", []int{1}, []float32{1})),
			`safetensors: tensor "fc2.bias": unexpected`},
		{"wrong shape", save(t, F32Tensor("fc1.weight", []int{3, 2}, m.w), F32Tensor("fc1.bias", []int{2}, m.b)),
			`safetensors: tensor "fc1.weight": shape [3 2], want [2 3]`},
		{"wrong dtype", save(t, F32Tensor("fc1.weight", []int{2, 3}, m.w), I32Tensor("fc1.bias", []int{2}, []int32{1, 2})),
			`safetensors: tensor "fc1.bias": dtype I32, want F32`},
		{"wrong scalar dtype", save(t, F32Tensor("fc1.weight", []int{2, 3}, m.w), F32Tensor("fc1.bias", []int{2}, m.b),
			F32Tensor("optimizer.step", []int{}, []float32{3}), F32Tensor("optimizer.state.fc1.weight.exp_avg", []int{2, 3}, m.avg)),
			`safetensors: tensor "optimizer.step": dtype F32, want I64`},
		{"partial optimizer group", save(t, F32Tensor("fc1.weight", []int{2, 3}, m.w), F32Tensor("fc1.bias", []int{2}, m.b),
			I64Tensor("optimizer.step", []int{}, []int64{3})),
			`safetensors: tensor "optimizer.state.fc1.weight.exp_avg": missing, but the file holds 1 of the 2 tensors of group "optimizer"`},
		{"malformed file", []byte{1, 2}, "file too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newTestModel(-5)
			err := LoadTensors(bytes.NewReader(tt.file), got.slots())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if !got.equal(newTestModel(-5)) {
				t.Errorf("failed load changed the model: %+v", got)
			}
		})
	}
}

// TestLoadErrorExact checks the exact message for a shape mismatch and that
// all problems are reported, in slot order and then by name.
func TestLoadErrorExact(t *testing.T) {
	w := make([]float32, 100)
	file := save(t, F32Tensor("fc1.weight", []int{10, 5}, w[:50]))
	err := LoadTensors(bytes.NewReader(file), []Slot{{Name: "fc1.weight", Shape: []int{10, 10}, F32: w}})
	if want := `safetensors: tensor "fc1.weight": shape [10 5], want [10 10]`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}

	file = save(t, F32Tensor("b", []int{1}, []float32{1}), F32Tensor("a", []int{1}, []float32{1}), F32Tensor("x", []int{2}, []float32{1, 2}))
	err = LoadTensors(bytes.NewReader(file), []Slot{{Name: "x", Shape: []int{1}, F32: w[:1]}, {Name: "y", Shape: []int{1}, F32: w[:1]}})
	want := `safetensors: tensor "x": shape [2], want [1]
safetensors: tensor "y": missing
safetensors: tensor "a": unexpected
safetensors: tensor "b": unexpected`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestBadSlots(t *testing.T) {
	var n int64
	tests := []struct {
		name  string
		slots []Slot
		want  string
	}{
		{"no destination", []Slot{{Name: "a", Shape: []int{1}}}, `slot "a": 0 destinations set`},
		{"two destinations", []Slot{{Name: "a", Shape: []int{1}, F32: []float32{1}, F64: []float64{1}}}, `slot "a": 2 destinations set`},
		{"wrong length", []Slot{{Name: "a", Shape: []int{2, 2}, F32: []float32{1}}}, `slot "a": destination holds 1 elements, shape [2 2] needs 4`},
		{"non-scalar I64", []Slot{{Name: "a", Shape: []int{2}, I64: &n}}, `slot "a": destination holds 1 elements, shape [2] needs 2`},
		{"negative shape", []Slot{{Name: "a", Shape: []int{-1}, F32: []float32{}}}, `slot "a": invalid shape [-1]`},
		{"duplicate", []Slot{{Name: "a", I64: &n}, {Name: "a", I64: &n}}, `duplicate slot "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, err := range []error{
				LoadTensors(bytes.NewReader(save(t)), tt.slots),
				SaveTensors(&bytes.Buffer{}, tt.slots, nil),
			} {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want %q", err, tt.want)
				}
			}
		})
	}
}
