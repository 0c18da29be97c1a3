package runtime

import (
	"bytes"
	"maps"
	"slices"
	"testing"
)

// FuzzReadSafetensors checks that ReadSafetensors never panics and that
// whatever it accepts, WriteSafetensors writes back into a file that reads
// the same and writes the same bytes again.
func FuzzReadSafetensors(f *testing.F) {
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  `, f32Bytes(1, 2)))
	f.Add(stFile(`{"__metadata__":{"format":"pt"},"b":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"a":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]}}`, make([]byte, 12)))
	f.Add(stFile(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{7}))
	for _, m := range malformed {
		f.Add(m.file)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ReadSafetensors(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteSafetensors(&out, file.Tensors, file.Metadata); err != nil {
			t.Fatalf("write back: %v", err)
		}
		again, err := ReadSafetensors(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if !maps.Equal(again.Metadata, file.Metadata) || len(again.Tensors) != len(file.Tensors) {
			t.Fatalf("read back %+v, want %+v", again, file)
		}
		for _, want := range file.Tensors {
			got, ok := again.Tensor(want.Name)
			if !ok || got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("tensor %q read back as %+v, want %+v", want.Name, got, want)
			}
		}
		var out2 bytes.Buffer
		if err := WriteSafetensors(&out2, again.Tensors, again.Metadata); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("writer not idempotent:\n%q\n%q", out.Bytes(), out2.Bytes())
		}
	})
}
