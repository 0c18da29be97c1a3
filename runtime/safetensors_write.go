package runtime

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WriteSafetensors writes tensors and metadata to w in the safetensors
// format, the same bytes as the reference writer (Python's
// safetensors.torch.save_file) produces for them:
//
//   - tensors are ordered by dtype, in the reverse order of the reference's
//     Dtype enum (U64, I64, F64, C64, F32, U32, I32, BF16, ... BOOL), and then
//     by name, and their data follow in that order with no padding;
//   - the header is compact JSON: "__metadata__" first when metadata is not
//     nil (with its keys sorted, where the reference follows a hash map),
//     then one {"dtype","shape","data_offsets"} entry per tensor, strings
//     escaped as serde_json does;
//   - the header is padded with spaces to a multiple of 8 bytes, so the data
//     block starts 8-byte aligned.
//
// Each tensor's Data must hold exactly prod(Shape) elements of its DType.
func WriteSafetensors(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	items := make([]item, len(tensors))
	for i, t := range tensors {
		items[i] = item{name: t.Name, dtype: t.DType, shape: t.Shape, raw: t.Data}
		if !t.DType.Valid() {
			return fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		n, ok := byteSize(t.Shape, t.DType)
		if !ok {
			return fmt.Errorf("safetensors: tensor %q: invalid shape %v", t.Name, t.Shape)
		}
		if int64(len(t.Data)) != n {
			return fmt.Errorf("safetensors: tensor %q: %d bytes of data, shape %v of %s needs %d", t.Name, len(t.Data), t.Shape, t.DType, n)
		}
	}
	return writeItems(w, items, metadata)
}

// item is one tensor to write: raw bytes, or a slot to encode.
type item struct {
	name  string
	dtype DType
	shape []int
	raw   []byte
	slot  *Slot
}

// nbytes returns the size of the item's data; its shape has been checked.
func (it *item) nbytes() int64 {
	n, _ := byteSize(it.shape, it.dtype)
	return n
}

// writeItems checks the names, orders the items as the reference writer
// does and writes header and data.
func writeItems(w io.Writer, items []item, metadata map[string]string) error {
	if err := checkNames(items, metadata); err != nil {
		return err
	}
	slices.SortStableFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(dtypes[b.dtype].rank, dtypes[a.dtype].rank), strings.Compare(a.name, b.name))
	})
	if _, err := w.Write(appendHeader(make([]byte, 8, 256), items, metadata)); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	var buf []byte
	for i := range items {
		it := &items[i]
		var err error
		if it.slot != nil {
			if buf == nil {
				buf = make([]byte, 32<<10)
			}
			err = it.slot.encode(w, buf)
		} else {
			_, err = w.Write(it.raw)
		}
		if err != nil {
			return fmt.Errorf("safetensors: %w", err)
		}
	}
	return nil
}

// checkNames rejects duplicate, reserved and non-UTF-8 names and metadata.
func checkNames(items []item, metadata map[string]string) error {
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		switch {
		case it.name == metadataKey:
			return fmt.Errorf("safetensors: tensor name %q is reserved", it.name)
		case !utf8.ValidString(it.name):
			return fmt.Errorf("safetensors: tensor name %q is not valid utf-8", it.name)
		case seen[it.name]:
			return fmt.Errorf("safetensors: duplicate tensor %q", it.name)
		}
		seen[it.name] = true
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("safetensors: metadata %q: not valid utf-8", k)
		}
	}
	return nil
}

// appendHeader appends the header of items (in file order) to b, whose
// first 8 bytes receive the header length.
func appendHeader(b []byte, items []item, metadata map[string]string) []byte {
	b = append(b, '{')
	if metadata != nil {
		b = appendJSONString(b, metadataKey)
		b = append(b, ':', '{')
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, metadata[k])
		}
		b = append(b, '}')
	}
	var off int64
	for i := range items {
		it := &items[i]
		if i > 0 || metadata != nil {
			b = append(b, ',')
		}
		b = appendJSONString(b, it.name)
		b = append(b, `:{"dtype":`...)
		b = appendJSONString(b, string(it.dtype))
		b = append(b, `,"shape":[`...)
		for j, d := range it.shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendInt(b, off, 10)
		b = append(b, ',')
		off += it.nbytes()
		b = strconv.AppendInt(b, off, 10)
		b = append(b, ']', '}')
	}
	b = append(b, '}')
	for (len(b)-8)%8 != 0 {
		b = append(b, ' ')
	}
	binary.LittleEndian.PutUint64(b, uint64(len(b)-8))
	return b
}

// appendJSONString appends s as a JSON string escaped as serde_json does:
// only '"', '\\' and control characters, the latter as \b \t \n \f \r or
// \u00xx with lower-case hex digits.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
