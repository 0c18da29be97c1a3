package mnist

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX magic numbers: two zero bytes, the element type (0x08, unsigned
// byte) and the number of dimensions.
const (
	imagesMagic = 0x00000803
	labelsMagic = 0x00000801
)

// maxElems bounds the data an IDX header may announce.
const maxElems = 1 << 30

// ReadImages reads an IDX file of unsigned-byte images (magic 0x00000803):
// n images of rows×cols pixels, row-major.
func ReadImages(r io.Reader) (n, rows, cols int, pix []byte, err error) {
	br := bufio.NewReader(r)
	dims, err := readHeader(br, imagesMagic, 3)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	n, rows, cols = dims[0], dims[1], dims[2]
	if pix, err = readData(br, n*rows*cols); err != nil {
		return 0, 0, 0, nil, err
	}
	return n, rows, cols, pix, nil
}

// ReadLabels reads an IDX file of unsigned-byte labels (magic 0x00000801).
func ReadLabels(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	dims, err := readHeader(br, labelsMagic, 1)
	if err != nil {
		return nil, err
	}
	return readData(br, dims[0])
}

// readHeader reads the magic number and the big-endian dimensions.
func readHeader(r io.Reader, magic uint32, ndims int) ([]int, error) {
	hdr := make([]byte, 4+4*ndims)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("read idx header: %w", err)
	}
	if got := binary.BigEndian.Uint32(hdr); got != magic {
		return nil, fmt.Errorf("idx magic 0x%08x, want 0x%08x", got, magic)
	}
	dims := make([]int, ndims)
	total := 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(hdr[4+4*i:]))
		if dims[i] > 0 && total > maxElems/dims[i] {
			return nil, fmt.Errorf("idx dimensions %v too large", dims[:i+1])
		}
		total *= dims[i]
	}
	return dims, nil
}

// readData reads exactly n bytes and checks that r ends there.
func readData(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, n)
	if got, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("idx data truncated: %d of %d bytes: %w", got, n, err)
	}
	var one [1]byte
	if _, err := io.ReadFull(r, one[:]); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, fmt.Errorf("read idx data: %w", err)
		}
		return nil, fmt.Errorf("idx data longer than the %d bytes of its header", n)
	}
	return b, nil
}
