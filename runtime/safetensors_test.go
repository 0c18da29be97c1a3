package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
)

// stFile returns a safetensors file with the given header (not padded) and
// data block.
func stFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func f32Bytes(v ...float32) []byte { return F32Tensor("", nil, v).Data }

// TestPythonFixture checks the bytes safetensors.torch.save_file({"a":
// torch.tensor([1., 2.])}) writes: compact JSON with sorted keys, padded with
// spaces to a multiple of 8, then the little-endian data.
func TestPythonFixture(t *testing.T) {
	want := []byte{56, 0, 0, 0, 0, 0, 0, 0}
	want = append(want, `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  `...)
	want = append(want, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40) // 1.0, 2.0

	f, err := ReadSafetensors(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 1 || f.Metadata != nil {
		t.Fatalf("got %d tensors, metadata %v", len(f.Tensors), f.Metadata)
	}
	v, err := f.Tensors[0].Float32s()
	if err != nil || !slices.Equal(v, []float32{1, 2}) || !slices.Equal(f.Tensors[0].Shape, []int{2}) {
		t.Fatalf("tensor a = %v %v, %v", f.Tensors[0].Shape, v, err)
	}

	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, []Tensor{F32Tensor("a", []int{2}, []float32{1, 2})}, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("writer output differs:\n got %q\nwant %q", buf.Bytes(), want)
	}
}

// TestReferenceVectors checks the writer against the expected outputs of
// the reference implementation's own tests (safetensors/src/tensor.rs:
// test_serialization, test_empty).
func TestReferenceVectors(t *testing.T) {
	tests := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		header  string
	}{
		{"serialization", []Tensor{F32Tensor("attn.0", []int{1, 2, 3}, []float32{0, 1, 2, 3, 4, 5})}, nil,
			`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`},
		{"forced alignment", []Tensor{F32Tensor("attn0", []int{1, 1, 2, 3}, []float32{0, 1, 2, 3, 4, 5})}, nil,
			`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `},
		{"empty", nil, nil, `{}      `},
		{"empty with metadata", nil, map[string]string{"framework": "pt"}, `{"__metadata__":{"framework":"pt"}}     `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data []byte
			for _, x := range tt.tensors {
				data = append(data, x.Data...)
			}
			want := stFile(tt.header, data)
			var buf bytes.Buffer
			if err := WriteSafetensors(&buf, tt.tensors, tt.meta); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("got  %q\nwant %q", buf.Bytes(), want)
			}
			if _, err := ReadSafetensors(bytes.NewReader(want)); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestWriteOrderAndRoundTrip(t *testing.T) {
	tensors := []Tensor{
		F32Tensor("b.weight", []int{2, 2}, []float32{1, -2, 3.5, float32(math.Inf(1))}),
		F32Tensor("a.weight", []int{3}, []float32{7, 8, 9}),
		I64Tensor("step", nil, []int64{-42}),
		F64Tensor("z", []int{1, 2}, []float64{math.Pi, -0.0}),
		I32Tensor("labels", []int{0}, []int32{}),
		I32Tensor("idx", []int{2}, []int32{math.MinInt32, 5}),
	}
	meta := map[string]string{"z": "last", "format": "pt", "a": "é<&>\"\\\n\x01"}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	f, err := ReadSafetensors(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, x := range f.Tensors {
		order = append(order, x.Name)
	}
	// Reference order: dtype rank descending (I64, F64, F32, I32), then name.
	if want := []string{"step", "z", "a.weight", "b.weight", "idx", "labels"}; !slices.Equal(order, want) {
		t.Errorf("file order %v, want %v", order, want)
	}
	for _, want := range tensors {
		got, ok := f.Tensor(want.Name)
		if !ok || got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("tensor %q: got %+v, want %+v", want.Name, got, want)
		}
	}
	if len(f.Metadata) != len(meta) {
		t.Errorf("metadata %v, want %v", f.Metadata, meta)
	}
	for k, v := range meta {
		if f.Metadata[k] != v {
			t.Errorf("metadata[%q] = %q, want %q", k, f.Metadata[k], v)
		}
	}
	hdr := string(buf.Bytes()[8:])
	if want := `{"__metadata__":{"a":"é<&>\"\\\n\u0001","format":"pt","z":"last"},"step":`; !strings.HasPrefix(hdr, want) {
		t.Errorf("header starts %q, want %q", hdr[:len(want)], want)
	}
	if hlen := binary.LittleEndian.Uint64(buf.Bytes()); hlen%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", hlen)
	}
}

func TestTypedHelpers(t *testing.T) {
	f64 := []float64{1, math.SmallestNonzeroFloat64, math.NaN()}
	got, err := F64Tensor("x", []int{3}, f64).Float64s()
	if err != nil || math.Float64bits(got[2]) != math.Float64bits(f64[2]) || got[1] != f64[1] {
		t.Errorf("F64 round trip: %v, %v", got, err)
	}
	i64 := []int64{math.MinInt64, 0, math.MaxInt64}
	if got, err := I64Tensor("x", []int{3}, i64).Int64s(); err != nil || !slices.Equal(got, i64) {
		t.Errorf("I64 round trip: %v, %v", got, err)
	}
	i32 := []int32{math.MinInt32, -1, math.MaxInt32}
	if got, err := I32Tensor("x", []int{3}, i32).Int32s(); err != nil || !slices.Equal(got, i32) {
		t.Errorf("I32 round trip: %v, %v", got, err)
	}
	if _, err := F32Tensor("x", []int{1}, []float32{1}).Float64s(); err == nil {
		t.Error("Float64s of an F32 tensor: no error")
	}
	if _, err := F32Tensor("x", []int{2}, []float32{1}).Float32s(); err == nil {
		t.Error("Float32s with a short data block: no error")
	}
}

func TestWriteErrors(t *testing.T) {
	ok := F32Tensor("a", []int{1}, []float32{1})
	tests := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    string
	}{
		{"duplicate", []Tensor{ok, ok}, nil, `duplicate tensor "a"`},
		{"reserved", []Tensor{F32Tensor("__metadata__", []int{1}, []float32{1})}, nil, "reserved"},
		{"bad utf-8 name", []Tensor{F32Tensor("\xff", []int{1}, []float32{1})}, nil, "not valid utf-8"},
		{"bad utf-8 metadata", nil, map[string]string{"k": "\xff"}, "not valid utf-8"},
		{"unknown dtype", []Tensor{{Name: "a", DType: "F17", Shape: []int{1}, Data: make([]byte, 4)}}, nil, `unknown dtype "F17"`},
		{"short data", []Tensor{{Name: "a", DType: DTypeF32, Shape: []int{2}, Data: make([]byte, 4)}}, nil, "4 bytes of data, shape [2] of F32 needs 8"},
		{"negative shape", []Tensor{{Name: "a", DType: DTypeF32, Shape: []int{-1}}}, nil, "invalid shape [-1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteSafetensors(io.Discard, tt.tensors, tt.meta)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	boom := errors.New("disk full")
	err := WriteSafetensors(failWriter{boom}, []Tensor{F32Tensor("a", []int{1}, []float32{1})}, nil)
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// malformed lists broken files, one per check of ReadSafetensors, with a
// piece of the error each must produce.
var malformed = []struct {
	name string
	file []byte
	want string
}{
	{"empty file", nil, "safetensors: empty file"},
	{"short header length", []byte{8, 0, 0}, "file too short: 3 bytes"},
	{"header length beyond file", stFile("{}", nil)[:9], "header length 2 exceeds file size (1 header bytes follow)"},
	{"header length beyond cap", binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1), "header length 100000001 exceeds the limit of 100000000 bytes"},
	{"header not json", stFile(`{"a":}`, nil), "header is not valid json"},
	{"header not an object", stFile(`["a"]`, nil), "header does not start with '{'"},
	{"header starts with space", stFile(` {}`, nil), "header does not start with '{'"},
	{"header not utf-8", stFile("{\"\xff\":1}", nil), "header is not valid utf-8"},
	{"data after header object", stFile(`{} {}`, nil), "header has data after its closing '}'"},
	{"entry not an object", stFile(`{"a":[1]}`, nil), `tensor "a": entry is not a json object`},
	{"missing dtype", stFile(`{"a":{"shape":[],"data_offsets":[0,4]}}`, f32Bytes(1)), `tensor "a": dtype is missing or not a string`},
	{"unknown dtype", stFile(`{"a":{"dtype":"F17","shape":[],"data_offsets":[0,4]}}`, f32Bytes(1)), `tensor "a": unknown dtype "F17"`},
	{"negative shape", stFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, f32Bytes(1)), `tensor "a": shape: value -1 is negative`},
	{"non-integer shape", stFile(`{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}`, f32Bytes(1)), `tensor "a": shape: value 1.0 is not an integer`},
	{"string shape", stFile(`{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, f32Bytes(1)), `tensor "a": shape: value "1" is not an integer`},
	{"huge shape", stFile(`{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, f32Bytes(1)), `value 99999999999999999999 out of range`},
	{"shape overflow", stFile(`{"a":{"dtype":"F32","shape":[2147483647,2147483647,4],"data_offsets":[0,4]}}`, f32Bytes(1)), `shape [2147483647 2147483647 4] of F32 overflows`},
	{"shape not an array", stFile(`{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}`, f32Bytes(1)), `tensor "a": shape: missing or not an array`},
	{"data_offsets wrong length", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, f32Bytes(1)), `tensor "a": data_offsets has 3 values, want 2`},
	{"data_offsets end before begin", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, f32Bytes(1)), `tensor "a": data_offsets [4 0] end before they begin`},
	{"data_offsets out of data", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32Bytes(1)), `tensor "b": data_offsets [4 8] out of bounds of the 4-byte data block`},
	{"overlapping tensors", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32Bytes(1, 2, 3)), `tensor "b": data_offsets [4 12] overlap tensor "a" [0 8]`},
	{"hole between tensors", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, f32Bytes(1, 2, 3)), `tensor "b": hole of 4 bytes before its data_offsets [8 12]`},
	{"hole at start", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32Bytes(1, 2)), `tensor "a": hole of 4 bytes`},
	{"byte length mismatch", stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, f32Bytes(1, 2)), `tensor "a": data_offsets [0 8] span 8 bytes, shape [3] of F32 needs 12`},
	{"duplicate tensor", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32Bytes(1, 2)), `duplicate key "a" in header`},
	{"trailing bytes", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32Bytes(1, 2)), "trailing bytes after the last tensor"},
	{"truncated data", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32Bytes(1)), `tensor "a": truncated data: wants bytes [0 8), the file ends at 4`},
	{"metadata value not a string", stFile(`{"__metadata__":{"k":1}}`, nil), `__metadata__ value of "k" is not a string`},
	{"metadata value null", stFile(`{"__metadata__":{"k":null}}`, nil), `__metadata__ value of "k" is not a string`},
	{"metadata not an object", stFile(`{"__metadata__":"x"}`, nil), `__metadata__ is not a json object`},
	{"duplicate metadata", stFile(`{"__metadata__":{},"__metadata__":{}}`, nil), `duplicate key "__metadata__"`},
}

func TestReadMalformed(t *testing.T) {
	msgs := make(map[string]string)
	for _, tt := range malformed {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadSafetensors(bytes.NewReader(tt.file))
			if err == nil {
				t.Fatalf("no error, read %+v", f)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("error %q lacks the safetensors: prefix", err)
			}
			// Variants of one check share their want; other checks must
			// not produce the same message.
			if other, dup := msgs[err.Error()]; dup && other != tt.want {
				t.Errorf("same error as the check for %q: %v", other, err)
			}
			msgs[err.Error()] = tt.want
		})
	}
}

func TestReadValidEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		file []byte
	}{
		{"padded with spaces", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}   `, f32Bytes(1))},
		{"padded with newline", stFile("{}\n", nil)},
		{"null metadata", stFile(`{"__metadata__":null}`, nil)},
		{"scalar", stFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, f32Bytes(1))},
		{"empty tensors", stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F64","shape":[2,0],"data_offsets":[0,0]}}`, nil)},
		{"unsorted keys", stFile(`{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32Bytes(1, 2))},
		{"extra entry field", stFile(`{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2],"note":"x"}}`, []byte{0, 0})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ReadSafetensors(bytes.NewReader(tt.file)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestReadClaimedLengthNotAllocated checks that a file claiming a huge
// header or data block costs memory in proportion to its real size.
func TestReadClaimedLengthNotAllocated(t *testing.T) {
	files := [][]byte{
		binary.LittleEndian.AppendUint64(nil, MaxHeaderSize),
		stFile(`{"a":{"dtype":"U8","shape":[1000000000],"data_offsets":[0,1000000000]}}`, []byte{1}),
	}
	for _, file := range files {
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		if _, err := ReadSafetensors(bytes.NewReader(file)); err == nil {
			t.Fatal("no error")
		}
		goruntime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("allocated %d bytes for a %d-byte file", n, len(file))
		}
	}
}

// TestReadOneByteAtATime reads through a reader that returns one byte per
// call, as slow streams do.
func TestReadOneByteAtATime(t *testing.T) {
	var buf bytes.Buffer
	want := []Tensor{F32Tensor("w", []int{3}, []float32{1, 2, 3}), I64Tensor("n", []int{}, []int64{7})}
	if err := WriteSafetensors(&buf, want, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadSafetensors(oneByteReader{bytes.NewReader(buf.Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 2 || f.Metadata["k"] != "v" {
		t.Errorf("read %+v", f)
	}
}

type oneByteReader struct{ r io.Reader }

func (r oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return r.r.Read(p[:1])
}
