package mnist

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
)

// A Set is a set of MNIST digits: N grayscale images of Size×Size pixels
// in NCHW layout with one channel, scaled to [0, 1], and their labels 0-9.
type Set struct {
	N      int
	Size   int
	Images []float32 // N*1*Size*Size
	Labels []int32   // N
}

// Row returns the number of values of one image, Size*Size.
func (s *Set) Row() int { return s.Size * s.Size }

// The file names of the training and test sets.
const (
	TrainImages = "train-images-idx3-ubyte.gz"
	TrainLabels = "train-labels-idx1-ubyte.gz"
	TestImages  = "t10k-images-idx3-ubyte.gz"
	TestLabels  = "t10k-labels-idx1-ubyte.gz"
)

// Load reads the training and test sets from the gzipped IDX files in dir
// (see Dir), with the 28×28 digits centred on 32×32 zero images, the input
// size of LeNet-5.
func Load(dir string) (train, test *Set, err error) { return LoadSize(dir, 32) }

// LoadSize is Load with images of size×size pixels: 28 keeps the digits as
// they are, larger sizes centre them in zeros.
func LoadSize(dir string, size int) (train, test *Set, err error) {
	if train, err = ReadSet(filepath.Join(dir, TrainImages), filepath.Join(dir, TrainLabels), size); err != nil {
		return nil, nil, err
	}
	if test, err = ReadSet(filepath.Join(dir, TestImages), filepath.Join(dir, TestLabels), size); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// ReadSet reads a set from gzipped IDX image and label files, centring the
// images in size×size pixels.
func ReadSet(imagesPath, labelsPath string, size int) (*Set, error) {
	var n, rows, cols int
	var pix []byte
	err := readGzip(imagesPath, func(f *gzip.Reader) (err error) {
		n, rows, cols, pix, err = ReadImages(f)
		return err
	})
	if err != nil {
		return nil, err
	}
	var labels []byte
	err = readGzip(labelsPath, func(f *gzip.Reader) (err error) {
		labels, err = ReadLabels(f)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(labels) != n {
		return nil, fmt.Errorf("mnist: %s has %d labels for the %d images of %s", labelsPath, len(labels), n, imagesPath)
	}
	if rows > size || cols > size {
		return nil, fmt.Errorf("mnist: %s: %d×%d images do not fit in %d×%d", imagesPath, rows, cols, size, size)
	}
	s := &Set{N: n, Size: size, Images: make([]float32, n*size*size), Labels: make([]int32, n)}
	for i, l := range labels {
		if l > 9 {
			return nil, fmt.Errorf("mnist: %s: label %d of sample %d is not a digit", labelsPath, l, i)
		}
		s.Labels[i] = int32(l)
	}
	s.place(pix, rows, cols)
	return s, nil
}

// place copies the n rows×cols images of pix, scaled to [0, 1], to the
// centre of the images of s.
func (s *Set) place(pix []byte, rows, cols int) {
	top, left := (s.Size-rows)/2, (s.Size-cols)/2
	for i := range s.N {
		src := pix[i*rows*cols:]
		dst := s.Images[i*s.Size*s.Size:]
		for y := range rows {
			for x := range cols {
				dst[(y+top)*s.Size+x+left] = float32(src[y*cols+x]) / 255
			}
		}
	}
}

// readGzip opens the gzipped file path and passes its content to read.
func readGzip(path string, read func(*gzip.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("mnist: %s: %w", path, err)
	}
	if err := read(z); err != nil {
		return fmt.Errorf("mnist: %s: %w", path, err)
	}
	return nil
}
