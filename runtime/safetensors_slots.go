package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// A Slot is one tensor a model loads and saves: its name and shape in the
// file (PyTorch names and layouts) and the memory that holds it. Exactly one
// of F32, F64 and I64 is set, with exactly prod(Shape) elements (I64 is a
// scalar: Shape is [] or [1]). A slot of zero elements still needs a non-nil
// (empty) slice.
//
// Slots with an empty Group are required. Slots sharing a non-empty Group,
// such as the optimizer state ("optimizer.step",
// "optimizer.state.fc1.weight.exp_avg", ...), load together: when the file
// holds all of them they are loaded, when it holds none of them they are left
// untouched (so a plain PyTorch state_dict loads), and when it holds only
// some of them the load fails.
type Slot struct {
	Name  string
	Shape []int
	F32   []float32
	F64   []float64
	I64   *int64
	Group string
}

// LoadTensors reads a safetensors file from r into slots. It checks
// everything first — file format, missing and unexpected tensors, partial
// groups, dtypes, shapes and byte lengths — and copies data into the slots
// only when all checks pass, so a failed load leaves every slot unchanged.
// The error lists every problem found, one per line, each naming its tensor:
//
//	safetensors: tensor "fc1.weight": shape [10 5], want [10 10]
//
// Data of dtype F32 loads into F64 slots (widened exactly) and data of dtype
// F64 into F32 slots (rounded to nearest), so weights move between -dtype
// f32 and f64 builds; any other dtype mismatch is an error.
func LoadTensors(r io.Reader, slots []Slot) error {
	if err := checkSlots(slots); err != nil {
		return err
	}
	f, err := ReadSafetensors(r)
	if err != nil {
		return err
	}
	return f.Load(slots)
}

// SaveTensors writes slots to w as a safetensors file (see
// WriteSafetensors), F32 slots as F32, F64 slots as F64 and I64 slots as
// I64. Data are encoded in small chunks, never copied whole.
func SaveTensors(w io.Writer, slots []Slot, metadata map[string]string) error {
	if err := checkSlots(slots); err != nil {
		return err
	}
	items := make([]item, len(slots))
	for i := range slots {
		s := &slots[i]
		items[i] = item{name: s.Name, dtype: s.dtype(), shape: s.Shape, slot: s}
	}
	return writeItems(w, items, metadata)
}

// Load copies the tensors of f into slots with the checks and conversions
// of LoadTensors.
func (f *SafetensorsFile) Load(slots []Slot) error {
	if err := checkSlots(slots); err != nil {
		return err
	}
	src := make([]int, len(slots)) // index into f.Tensors, or -1
	type count struct{ slots, found int }
	groups := make(map[string]*count)
	for i, s := range slots {
		j, ok := f.index[s.Name]
		src[i] = -1
		if ok {
			src[i] = j
		}
		if s.Group != "" {
			g := groups[s.Group]
			if g == nil {
				g = &count{}
				groups[s.Group] = g
			}
			g.slots++
			if ok {
				g.found++
			}
		}
	}
	var errs []error
	for i, s := range slots {
		if src[i] >= 0 {
			if err := s.match(f.Tensors[src[i]]); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if s.Group == "" {
			errs = append(errs, fmt.Errorf("safetensors: tensor %q: missing", s.Name))
		} else if g := groups[s.Group]; g.found > 0 {
			errs = append(errs, fmt.Errorf("safetensors: tensor %q: missing, but the file holds %d of the %d tensors of group %q", s.Name, g.found, g.slots, s.Group))
		}
	}
	errs = append(errs, f.unexpected(slots)...)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for i := range slots {
		if src[i] >= 0 {
			slots[i].decode(f.Tensors[src[i]])
		}
	}
	return nil
}

// unexpected reports the tensors of f that no slot names, in name order.
func (f *SafetensorsFile) unexpected(slots []Slot) []error {
	want := make(map[string]bool, len(slots))
	for _, s := range slots {
		want[s.Name] = true
	}
	var names []string
	for _, t := range f.Tensors {
		if !want[t.Name] {
			names = append(names, t.Name)
		}
	}
	slices.Sort(names)
	errs := make([]error, len(names))
	for i, n := range names {
		errs[i] = fmt.Errorf("safetensors: tensor %q: unexpected", n)
	}
	return errs
}

// checkSlots reports malformed slots: duplicate names, no or several
// destinations, or a destination whose length does not match the shape.
func checkSlots(slots []Slot) error {
	seen := make(map[string]bool, len(slots))
	for i := range slots {
		s := &slots[i]
		if seen[s.Name] {
			return fmt.Errorf("safetensors: duplicate slot %q", s.Name)
		}
		seen[s.Name] = true
		if err := s.check(); err != nil {
			return err
		}
	}
	return nil
}

// check reports whether s has exactly one destination of the right length.
func (s *Slot) check() error {
	set := 0
	n := 0
	if s.F32 != nil {
		set, n = set+1, len(s.F32)
	}
	if s.F64 != nil {
		set, n = set+1, len(s.F64)
	}
	if s.I64 != nil {
		set, n = set+1, 1
	}
	if set != 1 {
		return fmt.Errorf("safetensors: slot %q: %d destinations set, want exactly one of F32, F64 and I64", s.Name, set)
	}
	want, ok := numElements(s.Shape)
	if !ok {
		return fmt.Errorf("safetensors: slot %q: invalid shape %v", s.Name, s.Shape)
	}
	if int64(n) != want {
		return fmt.Errorf("safetensors: slot %q: destination holds %d elements, shape %v needs %d", s.Name, n, s.Shape, want)
	}
	return nil
}

// dtype returns the dtype s is saved as.
func (s *Slot) dtype() DType {
	switch {
	case s.F32 != nil:
		return DTypeF32
	case s.F64 != nil:
		return DTypeF64
	}
	return DTypeI64
}

// accepts reports whether data of dtype dt load into s.
func (s *Slot) accepts(dt DType) bool {
	switch s.dtype() {
	case DTypeF32, DTypeF64:
		return dt == DTypeF32 || dt == DTypeF64
	}
	return dt == DTypeI64
}

// match reports whether t can load into s.
func (s *Slot) match(t Tensor) error {
	if !s.accepts(t.DType) {
		return fmt.Errorf("safetensors: tensor %q: dtype %s, want %s", t.Name, t.DType, s.dtype())
	}
	if !slices.Equal(t.Shape, s.Shape) {
		return fmt.Errorf("safetensors: tensor %q: shape %v, want %v", t.Name, t.Shape, s.Shape)
	}
	return t.check(t.DType)
}

// decode copies the data of t, which matches s, into s.
func (s *Slot) decode(t Tensor) {
	switch {
	case s.F32 != nil && t.DType == DTypeF32:
		getF32(s.F32, t.Data)
	case s.F32 != nil:
		for i := range s.F32 {
			s.F32[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:])))
		}
	case s.F64 != nil && t.DType == DTypeF64:
		getF64(s.F64, t.Data)
	case s.F64 != nil:
		for i := range s.F64 {
			s.F64[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:])))
		}
	default:
		*s.I64 = int64(binary.LittleEndian.Uint64(t.Data))
	}
}

// encode writes the data of s to w through buf.
func (s *Slot) encode(w io.Writer, buf []byte) error {
	switch {
	case s.F32 != nil:
		return writeChunks(w, buf, s.F32, 4, putF32)
	case s.F64 != nil:
		return writeChunks(w, buf, s.F64, 8, putF64)
	}
	binary.LittleEndian.PutUint64(buf, uint64(*s.I64))
	_, err := w.Write(buf[:8])
	return err
}

// writeChunks encodes v with put into buf, size bytes an element, and
// writes it to w one bufferful at a time.
func writeChunks[T any](w io.Writer, buf []byte, v []T, size int, put func([]byte, []T)) error {
	step := len(buf) / size
	for lo := 0; lo < len(v); lo += step {
		hi := min(lo+step, len(v))
		put(buf, v[lo:hi])
		if _, err := w.Write(buf[:size*(hi-lo)]); err != nil {
			return err
		}
	}
	return nil
}
