package runtime

import "fmt"

// Dataset is an in-memory dataset of flat rows: sample i is
// X[i*XRow:(i+1)*XRow] with target Y[i*YRow:(i+1)*YRow].
type Dataset[X, Y any] struct {
	X    []X
	Y    []Y
	XRow int
	YRow int
}

// Len returns the number of samples.
func (d Dataset[X, Y]) Len() int {
	if d.XRow <= 0 {
		return 0
	}
	return len(d.X) / d.XRow
}

// Check reports whether X and Y hold the same whole number of rows.
func (d Dataset[X, Y]) Check() error {
	switch {
	case d.XRow <= 0 || d.YRow <= 0:
		return fmt.Errorf("dataset: row sizes %d and %d, want positive", d.XRow, d.YRow)
	case len(d.X)%d.XRow != 0:
		return fmt.Errorf("dataset: %d inputs are not whole rows of %d", len(d.X), d.XRow)
	case len(d.Y) != d.Len()*d.YRow:
		return fmt.Errorf("dataset: %d targets, want %d for %d samples", len(d.Y), d.Len()*d.YRow, d.Len())
	}
	return nil
}

// Fit trains with step (a generated model's TrainStep method value) on d
// with l: each step gathers the rows of its batch into buffers allocated
// once and calls step. step takes n rows of inputs and targets, for any n
// from 1 to the model's maximum batch, and returns the mean loss over them.
// For augmentation or progress output, write the step yourself with
// GatherRows and Loop.Run.
func Fit[X, Y any, L Float](step func(x []X, y []Y) (L, error), d Dataset[X, Y], l Loop) (EpochStats, error) {
	if err := d.Check(); err != nil {
		return EpochStats{}, err
	}
	bx := make([]X, max(l.BatchSize, 0)*d.XRow)
	by := make([]Y, max(l.BatchSize, 0)*d.YRow)
	return l.Run(d.Len(), func(batch []int) (float64, error) {
		loss, err := step(GatherRows(bx, d.X, d.XRow, batch), GatherRows(by, d.Y, d.YRow, batch))
		return float64(loss), err
	})
}

// Evaluate runs eval (a generated model's Evaluate method value) on all of
// d in order, batch samples at a time, and returns the loss and accuracy
// averaged over samples.
func Evaluate[X, Y any](eval func(x []X, y []Y) (loss, acc float64, err error), d Dataset[X, Y], batch int) (loss, acc float64, err error) {
	if err := d.Check(); err != nil {
		return 0, 0, err
	}
	n := d.Len()
	if n == 0 || batch <= 0 {
		return 0, 0, fmt.Errorf("evaluate: %d samples in batches of %d", n, batch)
	}
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		l, a, err := eval(d.X[lo*d.XRow:hi*d.XRow], d.Y[lo*d.YRow:hi*d.YRow])
		if err != nil {
			return 0, 0, fmt.Errorf("evaluate: samples [%d, %d): %w", lo, hi, err)
		}
		loss += l * float64(hi-lo)
		acc += a * float64(hi-lo)
	}
	return loss / float64(n), acc / float64(n), nil
}

// GatherRows copies rows idx[0], idx[1], ... of src, rowSize elements each,
// to the front of dst and returns that part of dst. dst must hold
// len(idx)*rowSize elements.
func GatherRows[T any](dst, src []T, rowSize int, idx []int) []T {
	dst = dst[:len(idx)*rowSize]
	for i, j := range idx {
		copy(dst[i*rowSize:(i+1)*rowSize], src[j*rowSize:(j+1)*rowSize])
	}
	return dst
}
