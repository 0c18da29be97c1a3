package runtime

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// metadataKey is the header key of the free-form string map.
const metadataKey = "__metadata__"

// span is the [begin, end) byte range of one tensor in the data block.
type span struct{ begin, end int64 }

// header is a parsed and validated safetensors header.
type header struct {
	file  SafetensorsFile // tensors in offset order, without Data
	spans []span          // data_offsets of file.Tensors[i]
	size  int64           // length of the data block
}

// parseHeader parses the JSON header b and checks every tensor's entry and
// that the data offsets tile [0, size) with no hole or overlap.
func parseHeader(b []byte) (*header, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("safetensors: header is not valid utf-8")
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("safetensors: header does not start with '{'")
	}
	h := &header{}
	var entries []entry
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, jsonError(err)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(err)
		}
		name := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonError(err)
		}
		if seen[name] {
			return nil, fmt.Errorf("safetensors: duplicate key %q in header", name)
		}
		seen[name] = true
		if name == metadataKey {
			if h.file.Metadata, err = parseMetadata(raw); err != nil {
				return nil, err
			}
			continue
		}
		e, err := parseEntry(name, raw)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("safetensors: header has data after its closing '}'")
	}
	if err := h.tile(entries); err != nil {
		return nil, err
	}
	return h, nil
}

// jsonError wraps a JSON syntax error of the header.
func jsonError(err error) error {
	return fmt.Errorf("safetensors: header is not valid json: %w", err)
}

// entry is one tensor's header entry.
type entry struct {
	name  string
	dtype DType
	shape []int
	span
}

// tile sorts entries by offset, checks that they cover the data block
// without holes or overlaps, and fills h.
func (h *header) tile(entries []entry) error {
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), strings.Compare(a.name, b.name))
	})
	var pos int64
	for i, e := range entries {
		if e.begin < pos {
			p := entries[i-1]
			return fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] overlap tensor %q [%d %d]", e.name, e.begin, e.end, p.name, p.begin, p.end)
		}
		if e.begin > pos {
			return fmt.Errorf("safetensors: tensor %q: hole of %d bytes before its data_offsets [%d %d]", e.name, e.begin-pos, e.begin, e.end)
		}
		pos = e.end
	}
	h.size = pos
	h.file.Tensors = make([]Tensor, len(entries))
	h.file.index = make(map[string]int, len(entries))
	h.spans = make([]span, len(entries))
	for i, e := range entries {
		h.file.Tensors[i] = Tensor{Name: e.name, DType: e.dtype, Shape: e.shape}
		h.file.index[e.name] = i
		h.spans[i] = e.span
	}
	return nil
}

// parseEntry parses {"dtype": ..., "shape": [...], "data_offsets": [b, e]}
// and checks that the offsets span exactly the bytes the shape needs.
func parseEntry(name string, raw json.RawMessage) (entry, error) {
	e := entry{name: name}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return e, fmt.Errorf("safetensors: tensor %q: entry is not a json object", name)
	}
	var dt string
	if err := json.Unmarshal(fields["dtype"], &dt); err != nil {
		return e, fmt.Errorf("safetensors: tensor %q: dtype is missing or not a string", name)
	}
	e.dtype = DType(dt)
	if !e.dtype.Valid() {
		return e, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, dt)
	}
	dims, err := parseInts(fields["shape"])
	if err != nil {
		return e, fmt.Errorf("safetensors: tensor %q: shape: %v", name, err)
	}
	e.shape = make([]int, len(dims))
	for i, d := range dims {
		if d > math.MaxInt {
			return e, fmt.Errorf("safetensors: tensor %q: shape: value %d out of range", name, d)
		}
		e.shape[i] = int(d)
	}
	offs, err := parseInts(fields["data_offsets"])
	if err != nil {
		return e, fmt.Errorf("safetensors: tensor %q: data_offsets: %v", name, err)
	}
	if len(offs) != 2 {
		return e, fmt.Errorf("safetensors: tensor %q: data_offsets has %d values, want 2", name, len(offs))
	}
	e.begin, e.end = offs[0], offs[1]
	if e.end < e.begin {
		return e, fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] end before they begin", name, e.begin, e.end)
	}
	n, ok := byteSize(e.shape, e.dtype)
	if !ok {
		return e, fmt.Errorf("safetensors: tensor %q: shape %v of %s overflows", name, e.shape, e.dtype)
	}
	if e.end-e.begin != n {
		return e, fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] span %d bytes, shape %v of %s needs %d", name, e.begin, e.end, e.end-e.begin, e.shape, e.dtype, n)
	}
	return e, nil
}

// parseInts parses a JSON array of non-negative integers.
func parseInts(raw json.RawMessage) ([]int64, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil || elems == nil {
		return nil, errors.New("missing or not an array")
	}
	vs := make([]int64, len(elems))
	for i, el := range elems {
		s := string(bytes.TrimSpace(el))
		v, err := strconv.ParseInt(s, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("value %s out of range", s)
		}
		if err != nil {
			return nil, fmt.Errorf("value %s is not an integer", s)
		}
		if v < 0 {
			return nil, fmt.Errorf("value %d is negative", v)
		}
		vs[i] = v
	}
	return vs, nil
}

// parseMetadata parses the "__metadata__" map, which must hold only
// strings. A null map is the same as none.
func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, errors.New("safetensors: __metadata__ is not a json object")
	}
	if fields == nil {
		return nil, nil
	}
	md := make(map[string]string, len(fields))
	for k, v := range fields {
		var s string
		if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
			return nil, fmt.Errorf("safetensors: __metadata__ value of %q is not a string", k)
		}
		md[k] = s
	}
	return md, nil
}

// numElements returns the product of shape, or false if a dimension is
// negative or the product overflows.
func numElements(shape []int) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && n > math.MaxInt64/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}

// byteSize returns the number of bytes a tensor of shape and dtype takes,
// or false if it overflows.
func byteSize(shape []int, dt DType) (int64, bool) {
	n, ok := numElements(shape)
	size := int64(dt.Size())
	if !ok || n > math.MaxInt64/size {
		return 0, false
	}
	return n * size, true
}
