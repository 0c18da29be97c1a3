package ir

import (
	"fmt"
	"strconv"
	"strings"
)

// DType is the element type of a tensor.
type DType uint8

const (
	F32 DType = iota + 1
	F64
	I32
	// U8 holds small non-negative integers: the offsets inside a pooling
	// window that maxpool2d_argmax saves (see PoolIndexDType). No other op
	// produces it, and programs may not declare it.
	U8
)

var dtypeNames = [...]string{F32: "f32", F64: "f64", I32: "i32", U8: "u8"}

func (d DType) String() string {
	if int(d) < len(dtypeNames) && dtypeNames[d] != "" {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == F32 || d == F64 }

// Size is the size of one element in bytes.
func (d DType) Size() int {
	switch d {
	case F64:
		return 8
	case U8:
		return 1
	}
	return 4
}

// ParseDType maps "f32", "f64", "i32", "u8" to a DType.
func ParseDType(s string) (DType, bool) {
	for d, n := range dtypeNames {
		if n != "" && n == s {
			return DType(d), true
		}
	}
	return 0, false
}

// B is the symbolic batch dimension in a Shape. It may appear only as axis 0.
const B = -1

// Shape is a list of dimensions; a dimension is a positive size or B.
type Shape []int

// Rank is the number of dimensions.
func (s Shape) Rank() int { return len(s) }

// Batched reports whether axis 0 is the batch dimension.
func (s Shape) Batched() bool { return len(s) > 0 && s[0] == B }

// Elems is the number of elements when the batch dimension has size batch.
func (s Shape) Elems(batch int) int {
	n := 1
	for _, d := range s {
		if d == B {
			d = batch
		}
		n *= d
	}
	return n
}

// RowElems is the number of elements per batch row (all dims but a leading B).
func (s Shape) RowElems() int {
	if s.Batched() {
		return s[1:].Elems(0)
	}
	return s.Elems(0)
}

// Equal reports whether two shapes are identical.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of s.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

func (s Shape) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		if d == B {
			b.WriteByte('B')
		} else {
			b.WriteString(strconv.Itoa(d))
		}
	}
	b.WriteByte(']')
	return b.String()
}

// Type is the static type of a Value: element type and shape.
type Type struct {
	DType DType
	Shape Shape
}

// T is shorthand for a Type literal.
func T(d DType, dims ...int) Type { return Type{DType: d, Shape: Shape(dims)} }

func (t Type) String() string { return t.DType.String() + t.Shape.String() }

// Equal reports whether two types are identical.
func (t Type) Equal(u Type) bool { return t.DType == u.DType && t.Shape.Equal(u.Shape) }

// Pos is a position in a source file.
type Pos struct {
	File      string
	Line, Col int
}

// IsValid reports whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}
