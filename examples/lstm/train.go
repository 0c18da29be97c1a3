package main

import (
	"fmt"
	"io"
	"os"

	"github.com/dlc-lang/dlc/examples/lstm/model"
	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// window is the number of past hours the model reads: T in lstm.dl.
const window = model.XRow / features

// config holds the settings of a run.
type config struct {
	Epochs int
	Seed   uint64
	Weeks  int       // length of the series
	Stdout io.Writer // epoch lines and the result; nil means os.Stdout
}

// defaultConfig returns the settings of `go run ./examples/lstm`.
func defaultConfig() config {
	return config{Epochs: 6, Seed: 1, Weeks: 60}
}

// result is what a run produces.
type result struct {
	History  []dlcrt.EpochStats
	MSE      float64 // test MSE after the last epoch
	Last     float64 // test MSE of the last-value forecast
	Seasonal float64 // test MSE of the value 24 hours earlier
}

// learningRate returns Adam's rate for epoch e (from 1) of n: lstm.dl's
// 1e-3, then 3e-4 for the last third of the epochs, where the test error
// at 1e-3 still jumps from epoch to epoch.
func learningRate(e, n int) float32 {
	if 3*(e-1) >= 2*n {
		return 3e-4
	}
	return 1e-3
}

// run generates the series, trains on its first 80% and tests on the rest.
func run(cfg config) (*result, error) {
	stdout := cfg.Stdout
	if stdout == nil {
		stdout = os.Stdout
	}
	if cfg.Epochs < 1 || cfg.Weeks < 2 {
		return nil, fmt.Errorf("%d epochs on %d weeks: want at least 1 and 2", cfg.Epochs, cfg.Weeks)
	}
	s := genSeries(cfg.Weeks*7*24, cfg.Seed)
	split := len(s.Load) * 4 / 5
	mean, std := dlcrt.MeanStd(s.Load[:split])
	train := windows(s, 0, split, window, mean, std)
	test := windows(s, split-window, len(s.Load), window, mean, std)
	last, seasonal := baselines(test)
	fmt.Fprintf(stdout, "%d training and %d test windows of %d hours; test mse of naive forecasts: last value %.4f, same hour yesterday %.4f\n",
		train.Len(), test.Len(), window, last, seasonal)

	m := model.New(cfg.Seed)
	res := &result{Last: last, Seasonal: seasonal}
	loop := dlcrt.Loop{
		Epochs:    cfg.Epochs,
		BatchSize: model.MaxBatch,
		Seed:      cfg.Seed,
		Eval: func(int) (float64, float64, error) {
			return dlcrt.Evaluate(m.Evaluate, test, model.MaxBatch)
		},
		OnEpoch: func(s dlcrt.EpochStats) bool {
			res.History = append(res.History, s)
			fmt.Fprintf(stdout, "epoch %d/%d: train mse %.4f, test mse %.4f (%.1fs)\n",
				s.Epoch, cfg.Epochs, s.Loss, s.EvalLoss, s.Time.Seconds())
			m.SetLR(learningRate(s.Epoch+1, cfg.Epochs))
			return false
		},
	}
	m.SetLR(learningRate(1, cfg.Epochs))
	final, err := dlcrt.Fit(m.TrainStep, train, loop)
	if err != nil {
		return nil, err
	}
	res.MSE = final.EvalLoss
	fmt.Fprintf(stdout, "test mse: %.4f (last-value baseline %.4f)\n", res.MSE, res.Last)
	return res, nil
}
