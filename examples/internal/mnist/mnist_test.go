package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idx returns an IDX file with the given magic, dimensions and data.
func idx(magic uint32, dims []uint32, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if _, err := z.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeSet writes a training and a test set of tiny files into a temporary
// directory: three 2×3 images with pixels 0, 1, ... and labels 7, 0, 9.
func writeSet(t *testing.T, images, labels []byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range map[string][]byte{
		TrainImages: images, TestImages: images, TrainLabels: labels, TestLabels: labels,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var (
	tinyPix    = []byte{0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	tinyImages = idx(imagesMagic, []uint32{3, 2, 3}, tinyPix)
	tinyLabels = idx(labelsMagic, []uint32{3}, []byte{7, 0, 9})
)

func TestLoadTiny(t *testing.T) {
	dir := writeSet(t, gz(t, tinyImages), gz(t, tinyLabels))
	train, test, err := LoadSize(dir, 5)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 3 || test.N != 3 || train.Size != 5 || train.Row() != 25 || len(train.Images) != 75 {
		t.Fatalf("set %+v", train)
	}
	if got := train.Labels; got[0] != 7 || got[1] != 0 || got[2] != 9 {
		t.Errorf("labels %v", got)
	}
	// 2×3 centred in 5×5: top (5-2)/2 = 1, left (5-3)/2 = 1.
	want := []float32{
		0, 0, 0, 0, 0,
		0, 0, 0.2, 0.4, 0,
		0, 0.6, 0.8, 1, 0,
		0, 0, 0, 0, 0,
		0, 0, 0, 0, 0,
	}
	for i, v := range want {
		if got := train.Images[i]; got != v {
			t.Fatalf("image 0 pixel %d = %v, want %v (image %v)", i, got, v, train.Images[:25])
		}
	}
	if got := train.Images[25+1*5+1]; got != float32(1)/255 {
		t.Errorf("image 1 first pixel = %v, want 1/255", got)
	}
	unpadded, _, err := LoadSize(dir, 3)
	if err != nil || unpadded.Images[3] != 0.6 || len(unpadded.Images) != 27 {
		t.Errorf("size 3: %v %v", unpadded, err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name           string
		images, labels []byte
		size           int
		want           string
	}{
		{"images magic", idx(labelsMagic, []uint32{3, 2, 3}, tinyPix), tinyLabels, 5, "idx magic 0x00000801, want 0x00000803"},
		{"labels magic", tinyImages, idx(imagesMagic, []uint32{3}, []byte{7, 0, 9}), 5, "idx magic 0x00000803, want 0x00000801"},
		{"count mismatch", tinyImages, idx(labelsMagic, []uint32{2}, []byte{7, 0}), 5, "has 2 labels for the 3 images"},
		{"truncated images", tinyImages[:len(tinyImages)-1], tinyLabels, 5, "idx data truncated: 17 of 18 bytes"},
		{"trailing bytes", append(tinyImages[:len(tinyImages):len(tinyImages)], 0), tinyLabels, 5, "idx data longer than the 18 bytes"},
		{"short header", tinyImages[:6], tinyLabels, 5, "read idx header"},
		{"huge dimensions", idx(imagesMagic, []uint32{1 << 30, 1 << 10, 1 << 10}, nil), tinyLabels, 5, "too large"},
		{"label not a digit", tinyImages, idx(labelsMagic, []uint32{3}, []byte{7, 10, 9}), 5, "label 10 of sample 1 is not a digit"},
		{"too small", tinyImages, tinyLabels, 2, "2×3 images do not fit in 2×2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeSet(t, gz(t, tt.images), gz(t, tt.labels))
			_, _, err := LoadSize(dir, tt.size)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "mnist: ") {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	dir := writeSet(t, tinyImages, tinyLabels) // not gzipped
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("plain files: error %v", err)
	}
	if _, _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("empty dir: error %v", err)
	}
}

// TestLoadReal loads the real MNIST files when the module is available.
func TestLoadReal(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir, err := Dir()
	if err != nil {
		t.Skipf("no MNIST files: %v", err)
	}
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 || train.Size != 32 {
		t.Fatalf("%d training and %d test images of %d pixels", train.N, test.N, train.Size)
	}
	// The first training digit is a 5, the first test digit a 7.
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Errorf("first labels %d and %d, want 5 and 7", train.Labels[0], test.Labels[0])
	}
	var counts [10]int
	for _, l := range train.Labels {
		counts[l]++
	}
	for d, c := range counts {
		if c < 5000 || c > 7000 {
			t.Errorf("%d training images of digit %d", c, d)
		}
	}
	var sum float64
	for i, v := range train.Images {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %d = %v", i, v)
		}
		y, x := i%1024/32, i%32
		if (y < 2 || y >= 30 || x < 2 || x >= 30) && v != 0 {
			t.Fatalf("padding pixel (%d, %d) of image %d = %v", y, x, i/1024, v)
		}
		sum += float64(v)
	}
	// The mean pixel of the 28×28 training images is 0.1307.
	if mean := sum / float64(train.N*28*28); mean < 0.130 || mean > 0.131 {
		t.Errorf("mean pixel %v, want 0.1307", mean)
	}
}

// TestDirOutsideModule finds the files from a directory outside the dlc
// module, through the pinned version.
func TestDirOutsideModule(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	inside, err := Dir()
	if err != nil {
		t.Skipf("no MNIST files: %v", err)
	}
	t.Chdir(t.TempDir())
	outside, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if outside != inside {
		t.Errorf("outside the module Dir() = %s, inside %s", outside, inside)
	}
	t.Setenv("DLC_MNIST_DIR", "/some/where")
	if d, err := Dir(); d != "/some/where" || err != nil {
		t.Errorf("with DLC_MNIST_DIR set, Dir() = %s, %v", d, err)
	}
}
