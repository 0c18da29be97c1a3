package runtime

import (
	"errors"
	"fmt"
	"time"
)

// Loop describes a training run: epochs of shuffled mini-batches.
type Loop struct {
	// Epochs is the number of epochs to run.
	Epochs int
	// BatchSize is the number of samples of a step; the last step of an
	// epoch takes the remaining samples, possibly fewer.
	BatchSize int
	// Seed seeds the shuffle. The order of epoch e (counted from 1) is a
	// pure function of Seed, e and the number of samples: the identity
	// permutation shuffled by an RNG seeded with mix(mix(Seed ^ golden) + e),
	// mix being SplitMix64's finalizer and golden its increment.
	// So a run resumed at epoch e sees the same batches.
	Seed uint64
	// NoShuffle visits the samples in order.
	NoShuffle bool
	// Eval, if set, runs after each epoch, and its results go to OnEpoch.
	Eval func(epoch int) (loss, acc float64, err error)
	// OnEpoch, if set, is called after each epoch (and Eval). Returning
	// true stops the run: early stopping.
	OnEpoch func(EpochStats) (stop bool)
}

// EpochStats reports one epoch.
type EpochStats struct {
	Epoch   int           // counted from 1
	Loss    float64       // training loss, averaged over samples
	Steps   int           // steps taken
	Samples int           // samples seen
	Time    time.Duration // time spent in steps, without Eval

	Evaluated bool // Eval ran and set EvalLoss and EvalAcc
	EvalLoss  float64
	EvalAcc   float64
}

// String formats s for a progress line.
func (s EpochStats) String() string {
	str := fmt.Sprintf("epoch %d: loss %.4f (%d samples, %v)", s.Epoch, s.Loss, s.Samples, s.Time.Round(time.Millisecond))
	if s.Evaluated {
		str += fmt.Sprintf(", eval loss %.4f, accuracy %.2f%%", s.EvalLoss, 100*s.EvalAcc)
	}
	return str
}

// Run trains on n samples: for each epoch it orders the sample indices
// 0..n-1, cuts them into batches and calls step with each batch's indices,
// then runs Eval and OnEpoch. step returns the mean loss over its batch;
// the epoch's loss weighs each batch by its size. step must not keep or
// change the batch slice.
//
// Run returns the stats of the last epoch run. It allocates only at the
// start, never per epoch or step.
func (l *Loop) Run(n int, step func(batch []int) (loss float64, err error)) (EpochStats, error) {
	switch {
	case n <= 0:
		return EpochStats{}, errors.New("train: no samples")
	case l.BatchSize <= 0:
		return EpochStats{}, fmt.Errorf("train: batch size %d, want at least 1", l.BatchSize)
	case l.Epochs < 0:
		return EpochStats{}, fmt.Errorf("train: %d epochs", l.Epochs)
	}
	order := make([]int, n)
	var rng RNG
	var last EpochStats
	for e := 1; e <= l.Epochs; e++ {
		for i := range order {
			order[i] = i
		}
		if !l.NoShuffle {
			rng.Seed(epochKey(l.Seed, uint64(e)))
			rng.Shuffle(order)
		}
		stats, err := l.epoch(e, order, step)
		if err != nil {
			return last, err
		}
		last = stats
		if l.OnEpoch != nil && l.OnEpoch(stats) {
			break
		}
	}
	return last, nil
}

// epoch runs the steps of epoch e over order, then Eval.
func (l *Loop) epoch(e int, order []int, step func([]int) (float64, error)) (EpochStats, error) {
	s := EpochStats{Epoch: e}
	start := time.Now()
	var sum float64
	for lo := 0; lo < len(order); lo += l.BatchSize {
		batch := order[lo:min(lo+l.BatchSize, len(order))]
		loss, err := step(batch)
		if err != nil {
			return s, fmt.Errorf("train: epoch %d, step %d: %w", e, s.Steps+1, err)
		}
		sum += float64(loss) * float64(len(batch))
		s.Steps++
		s.Samples += len(batch)
	}
	s.Time = time.Since(start)
	s.Loss = sum / float64(s.Samples)
	if l.Eval != nil {
		var err error
		if s.EvalLoss, s.EvalAcc, err = l.Eval(e); err != nil {
			return s, fmt.Errorf("train: epoch %d: eval: %w", e, err)
		}
		s.Evaluated = true
	}
	return s, nil
}
