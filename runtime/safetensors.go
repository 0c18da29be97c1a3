package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxHeaderSize is the largest safetensors header accepted, in bytes. It is
// the limit of the reference loader.
const MaxHeaderSize = 100_000_000

// A Tensor is one named tensor of a safetensors file: its dtype, its shape
// (row-major, PyTorch layout) and its raw little-endian bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// SafetensorsFile is a parsed and fully validated safetensors file.
type SafetensorsFile struct {
	// Metadata is the "__metadata__" map, nil when the file has none.
	Metadata map[string]string
	// Tensors holds the tensors in file order (increasing data offsets).
	// Their Data slices share one buffer.
	Tensors []Tensor

	index map[string]int
}

// Tensor returns the tensor called name.
func (f *SafetensorsFile) Tensor(name string) (Tensor, bool) {
	i, ok := f.index[name]
	if !ok {
		return Tensor{}, false
	}
	return f.Tensors[i], true
}

// ReadSafetensors reads a safetensors file from r and validates all of it:
// the header length (at most MaxHeaderSize), the JSON header, every tensor's
// dtype, shape and data offsets (contiguous, without holes or overlaps,
// covering the whole data block) and the length of the data block, which must
// end exactly where r ends.
//
// Memory grows with the bytes actually read, never with lengths the file
// merely claims.
func ReadSafetensors(r io.Reader) (*SafetensorsFile, error) {
	hlen, err := readHeaderLength(r)
	if err != nil {
		return nil, err
	}
	header, err := readUpTo(r, int64(hlen))
	if err != nil {
		return nil, fmt.Errorf("safetensors: read header: %w", err)
	}
	if uint64(len(header)) < hlen {
		return nil, fmt.Errorf("safetensors: header length %d exceeds file size (%d header bytes follow)", hlen, len(header))
	}
	h, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	data, err := readUpTo(r, h.size)
	if err != nil {
		return nil, fmt.Errorf("safetensors: read data: %w", err)
	}
	if err := h.checkDataLength(int64(len(data))); err != nil {
		return nil, err
	}
	if err := checkEOF(r, h.size); err != nil {
		return nil, err
	}
	for i, s := range h.spans {
		h.file.Tensors[i].Data = data[s.begin:s.end:s.end]
	}
	return &h.file, nil
}

// readHeaderLength reads the 8-byte little-endian header length and checks
// it against MaxHeaderSize.
func readHeaderLength(r io.Reader) (uint64, error) {
	var b [8]byte
	n, err := io.ReadFull(r, b[:])
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return 0, errors.New("safetensors: empty file")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return 0, fmt.Errorf("safetensors: file too short: %d bytes, the header length alone takes 8", n)
	case err != nil:
		return 0, fmt.Errorf("safetensors: read header length: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(b[:])
	if hlen > MaxHeaderSize {
		return 0, fmt.Errorf("safetensors: header length %d exceeds the limit of %d bytes", hlen, MaxHeaderSize)
	}
	return hlen, nil
}

// checkDataLength reports a data block shorter than the header describes,
// naming the first tensor that does not fit. A tensor that starts at or past
// the end of the data lies out of it; one that starts inside is truncated.
func (h *header) checkDataLength(have int64) error {
	if have >= h.size {
		return nil
	}
	for i, s := range h.spans {
		if s.end <= have {
			continue
		}
		name := h.file.Tensors[i].Name
		if s.begin >= have {
			return fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] out of bounds of the %d-byte data block", name, s.begin, s.end, have)
		}
		return fmt.Errorf("safetensors: tensor %q: truncated data: wants bytes [%d %d), the file ends at %d", name, s.begin, s.end, have)
	}
	return fmt.Errorf("safetensors: truncated data: %d bytes, want %d", have, h.size)
}

// checkEOF reports bytes after the last tensor.
func checkEOF(r io.Reader, size int64) error {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n > 0 {
			return fmt.Errorf("safetensors: trailing bytes after the last tensor (the header describes %d bytes of data)", size)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("safetensors: read data: %w", err)
		}
	}
}

// readUpTo reads n bytes from r, or fewer if r ends first. Its buffer starts
// small and doubles, so a short input never costs an n-byte allocation.
func readUpTo(r io.Reader, n int64) ([]byte, error) {
	const first = 64 << 10
	if n > math.MaxInt {
		n = math.MaxInt
	}
	buf := make([]byte, 0, min(n, first))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}
