package interp

import (
	"fmt"

	"github.com/dlc-lang/dlc/ir"
)

// Tensor is a dense row-major array with a concrete shape (B resolved to
// the batch size). Integer tensors store their values as float64.
type Tensor struct {
	Shape []int
	Data  []float64
}

// NewTensor returns a zero tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int{}, shape...), Data: make([]float64, numElems(shape))}
}

// FromData returns a tensor of the given shape holding data (not copied).
// It panics if the sizes disagree.
func FromData(shape []int, data []float64) *Tensor {
	if numElems(shape) != len(data) {
		panic(fmt.Sprintf("interp: shape %v needs %d elements, got %d", shape, numElems(shape), len(data)))
	}
	return &Tensor{Shape: append([]int{}, shape...), Data: data}
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int{}, t.Shape...), Data: append([]float64{}, t.Data...)}
}

// At returns the element at the multi-index idx.
func (t *Tensor) At(idx ...int) float64 { return t.Data[offset(t.Shape, idx)] }

// Set stores x at the multi-index idx.
func (t *Tensor) Set(x float64, idx ...int) { t.Data[offset(t.Shape, idx)] = x }

func (t *Tensor) String() string { return fmt.Sprintf("%v%v", t.Shape, t.Data) }

// Resolve turns a static shape into a concrete one, B becoming n.
func Resolve(s ir.Shape, n int) []int {
	out := make([]int, len(s))
	for i, d := range s {
		if d == ir.B {
			d = n
		}
		out[i] = d
	}
	return out
}

func numElems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// strides are the row-major element strides of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	step := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = step
		step *= shape[i]
	}
	return s
}

func offset(shape, idx []int) int {
	if len(idx) != len(shape) {
		panic(fmt.Sprintf("interp: index %v for shape %v", idx, shape))
	}
	off := 0
	for i, st := range strides(shape) {
		if idx[i] < 0 || idx[i] >= shape[i] {
			panic(fmt.Sprintf("interp: index %v out of range for shape %v", idx, shape))
		}
		off += idx[i] * st
	}
	return off
}

// unravel writes the multi-index of flat offset off in shape into idx.
func unravel(shape []int, off int, idx []int) {
	for i := len(shape) - 1; i >= 0; i-- {
		idx[i] = off % shape[i]
		off /= shape[i]
	}
}

// forEach calls fn with the flat offset and multi-index of every element
// of shape, in row-major order. fn must not keep idx.
func forEach(shape []int, fn func(off int, idx []int)) {
	n := numElems(shape)
	idx := make([]int, len(shape))
	for off := 0; off < n; off++ {
		unravel(shape, off, idx)
		fn(off, idx)
	}
}

// dot is the flat offset of idx under the given strides.
func dot(idx, strides []int) int {
	off := 0
	for i, s := range strides {
		off += idx[i] * s
	}
	return off
}
