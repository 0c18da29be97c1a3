package runtime

import (
	"encoding/binary"
	"fmt"
	"math"
)

// F32Tensor returns a tensor of dtype F32 holding a little-endian copy of v.
func F32Tensor(name string, shape []int, v []float32) Tensor {
	b := make([]byte, 4*len(v))
	putF32(b, v)
	return Tensor{Name: name, DType: DTypeF32, Shape: shape, Data: b}
}

// F64Tensor returns a tensor of dtype F64 holding a little-endian copy of v.
func F64Tensor(name string, shape []int, v []float64) Tensor {
	b := make([]byte, 8*len(v))
	putF64(b, v)
	return Tensor{Name: name, DType: DTypeF64, Shape: shape, Data: b}
}

// I32Tensor returns a tensor of dtype I32 holding a little-endian copy of v.
func I32Tensor(name string, shape []int, v []int32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return Tensor{Name: name, DType: DTypeI32, Shape: shape, Data: b}
}

// I64Tensor returns a tensor of dtype I64 holding a little-endian copy of v.
func I64Tensor(name string, shape []int, v []int64) Tensor {
	b := make([]byte, 8*len(v))
	putI64(b, v)
	return Tensor{Name: name, DType: DTypeI64, Shape: shape, Data: b}
}

// Float32s decodes the data of an F32 tensor.
func (t Tensor) Float32s() ([]float32, error) {
	if err := t.check(DTypeF32); err != nil {
		return nil, err
	}
	v := make([]float32, len(t.Data)/4)
	getF32(v, t.Data)
	return v, nil
}

// Float64s decodes the data of an F64 tensor.
func (t Tensor) Float64s() ([]float64, error) {
	if err := t.check(DTypeF64); err != nil {
		return nil, err
	}
	v := make([]float64, len(t.Data)/8)
	getF64(v, t.Data)
	return v, nil
}

// Int32s decodes the data of an I32 tensor.
func (t Tensor) Int32s() ([]int32, error) {
	if err := t.check(DTypeI32); err != nil {
		return nil, err
	}
	v := make([]int32, len(t.Data)/4)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, nil
}

// Int64s decodes the data of an I64 tensor.
func (t Tensor) Int64s() ([]int64, error) {
	if err := t.check(DTypeI64); err != nil {
		return nil, err
	}
	v := make([]int64, len(t.Data)/8)
	getI64(v, t.Data)
	return v, nil
}

// check reports whether t has dtype dt and as many bytes as its shape needs.
func (t Tensor) check(dt DType) error {
	if t.DType != dt {
		return fmt.Errorf("safetensors: tensor %q: dtype %s, want %s", t.Name, t.DType, dt)
	}
	if n, ok := byteSize(t.Shape, dt); !ok || n != int64(len(t.Data)) {
		return fmt.Errorf("safetensors: tensor %q: %d bytes of data do not match shape %v of %s", t.Name, len(t.Data), t.Shape, dt)
	}
	return nil
}

// The put and get helpers convert between typed slices and little-endian
// bytes; b holds exactly as many elements as v.

func putF32(b []byte, v []float32) {
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
}

func putF64(b []byte, v []float64) {
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
}

func putI64(b []byte, v []int64) {
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
}

func getF32(v []float32, b []byte) {
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

func getF64(v []float64, b []byte) {
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
}

func getI64(v []int64, b []byte) {
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
}
