package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dlc-lang/dlc/examples/internal/mnist"
	"github.com/dlc-lang/dlc/examples/mnist/model"
	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// MNIST's pixel mean and standard deviation (of the 28×28 training
// images), as in the PyTorch examples.
const (
	mnistMean = 0.1307
	mnistStd  = 0.3081
)

// config holds the settings of a run.
type config struct {
	Epochs   int
	Batch    int
	Threads  int // threads of the model's kernels (Model.SetThreads); results do not depend on it
	Out      string
	Augment  bool
	Seed     uint64
	Limit    int
	Progress bool      // show a progress bar per epoch on stderr
	Stdout   io.Writer // epoch lines and the result; nil means os.Stdout
}

// defaultConfig returns the settings of `go run ./examples/mnist`.
func defaultConfig() config {
	return config{Epochs: 3, Batch: model.MaxBatch, Threads: 0, Out: "out/mnist", Seed: 1}
}

// result is what a run produces.
type result struct {
	Model   *model.Model
	History []dlcrt.EpochStats
	Acc     float64 // test accuracy after the last epoch
}

// learningRate returns the rate of epoch e (from 1) of n: lenet.dl's 0.05
// (with momentum 0.9, batches of 64) while the loss falls fast, then a
// fifth of it for the last epoch of a run of three or more, which settles
// the weights and adds a few tenths of a percent of test accuracy.
func learningRate(e, n int) float32 {
	const base = 0.05
	if n >= 3 && e == n {
		return base / 5
	}
	return base
}

// run loads MNIST, trains LeNet-5 as cfg says, writes lenet.safetensors and
// curve.png to cfg.Out and prints the epoch lines and the test accuracy.
func run(cfg config) (*result, error) {
	stdout := cfg.Stdout
	if stdout == nil {
		stdout = os.Stdout
	}
	switch {
	case cfg.Epochs < 1:
		return nil, fmt.Errorf("-epochs %d: want at least 1", cfg.Epochs)
	case cfg.Batch < 1 || cfg.Batch > model.MaxBatch:
		return nil, fmt.Errorf("-batch %d: want 1 to %d, the batch lenet.dl was built with", cfg.Batch, model.MaxBatch)
	case cfg.Limit < 0:
		return nil, fmt.Errorf("-limit %d: want 0 (all) or more", cfg.Limit)
	}
	dir, err := mnist.Dir()
	if err != nil {
		return nil, err
	}
	train, test, err := mnist.Load(dir)
	if err != nil {
		return nil, err
	}
	if cfg.Limit > 0 && cfg.Limit < train.N {
		train.N = cfg.Limit
		train.Images = train.Images[:train.N*train.Row()]
		train.Labels = train.Labels[:train.N]
	}
	// Training images stay in [0, 1] so that shifted-in pixels are
	// background; each batch is normalized after augmentation.
	dlcrt.Normalize(test.Images, mnistMean, mnistStd)
	trainSet := dlcrt.Dataset[float32, int32]{X: train.Images, Y: train.Labels, XRow: model.XRow, YRow: model.YRow}
	testSet := dlcrt.Dataset[float32, int32]{X: test.Images, Y: test.Labels, XRow: model.XRow, YRow: model.YRow}
	if err := errors.Join(trainSet.Check(), testSet.Check()); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, err
	}

	res, err := fit(cfg, trainSet, testSet, stdout)
	if err != nil {
		return nil, err
	}
	if err := save(res.Model, filepath.Join(cfg.Out, "lenet.safetensors")); err != nil {
		return nil, err
	}
	if err := plotCurve(res.History, filepath.Join(cfg.Out, "curve.png")); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "test accuracy: %.3f\n", res.Acc)
	return res, nil
}

// fit trains a new model on trainSet, evaluating on testSet after each
// epoch.
func fit(cfg config, trainSet, testSet dlcrt.Dataset[float32, int32], stdout io.Writer) (*result, error) {
	m := model.New(cfg.Seed)
	m.SetThreads(cfg.Threads)
	res := &result{Model: m}
	steps := (trainSet.Len() + cfg.Batch - 1) / cfg.Batch
	var bar *progress
	loop := dlcrt.Loop{
		Epochs:    cfg.Epochs,
		BatchSize: cfg.Batch,
		Seed:      cfg.Seed,
		Eval: func(int) (float64, float64, error) {
			bar.finish()
			return dlcrt.Evaluate(m.Evaluate, testSet, model.MaxBatch)
		},
		OnEpoch: func(s dlcrt.EpochStats) bool {
			res.History = append(res.History, s)
			fmt.Fprintf(stdout, "epoch %d/%d: train loss %.4f, test loss %.4f, test accuracy %.2f%% (%.1fs)\n",
				s.Epoch, cfg.Epochs, s.Loss, s.EvalLoss, 100*s.EvalAcc, s.Time.Seconds())
			if s.Epoch < cfg.Epochs {
				m.SetLR(learningRate(s.Epoch+1, cfg.Epochs))
				bar = newProgress(cfg.Progress, steps, s.Epoch+1, cfg.Epochs)
			}
			return false
		},
	}
	m.SetLR(learningRate(1, cfg.Epochs))
	bar = newProgress(cfg.Progress, steps, 1, cfg.Epochs)

	// The step: gather the batch, shift it if asked, normalize it, train.
	bx := make([]float32, cfg.Batch*trainSet.XRow)
	by := make([]int32, cfg.Batch*trainSet.YRow)
	aug := dlcrt.NewRNG(cfg.Seed ^ 0x5eed)
	last, err := loop.Run(trainSet.Len(), func(batch []int) (float64, error) {
		x := dlcrt.GatherRows(bx, trainSet.X, trainSet.XRow, batch)
		y := dlcrt.GatherRows(by, trainSet.Y, trainSet.YRow, batch)
		if cfg.Augment {
			dlcrt.RandomShift(x, 1, 32, 32, 2, aug)
		}
		dlcrt.Normalize(x, mnistMean, mnistStd)
		loss, err := m.TrainStep(x, y)
		bar.add()
		return float64(loss), err
	})
	if err != nil {
		return nil, err
	}
	res.Acc = last.EvalAcc
	return res, nil
}

// save writes m's weights to path as safetensors.
func save(m *model.Model, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := m.Save(f); err != nil {
		f.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	return f.Close()
}
