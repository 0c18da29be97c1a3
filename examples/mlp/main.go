// Command mlp trains the seed MLP, compiled by dlc from mlp.dl, on two
// interleaved half-moons in 10 dimensions and reports its test accuracy.
//
//	go generate ./examples/mlp   # recompile mlp.dl into ./model
//	go run ./examples/mlp
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dlc-lang/dlc/examples/mlp/model"
	dlcrt "github.com/dlc-lang/dlc/runtime"
)

func main() {
	epochs := flag.Int("epochs", 40, "training epochs")
	seed := flag.Uint64("seed", 1, "seed for initialization, data and shuffling")
	save := flag.String("save", "", "write the trained weights to this safetensors file")
	flag.Parse()
	if err := run(*epochs, *seed, *save); err != nil {
		fmt.Fprintln(os.Stderr, "mlp:", err)
		os.Exit(1)
	}
}

func run(epochs int, seed uint64, save string) error {
	rng := dlcrt.NewRNG(seed)
	trainX, trainY := moons(4000, 0.15, rng)
	testX, testY := moons(1000, 0.15, rng)
	train := dlcrt.Dataset[float32, float32]{X: trainX, Y: trainY, XRow: model.XRow, YRow: model.YRow}
	test := dlcrt.Dataset[float32, float32]{X: testX, Y: testY, XRow: model.XRow, YRow: model.YRow}

	m := model.New(seed)
	loop := dlcrt.Loop{
		Epochs:    epochs,
		BatchSize: model.MaxBatch,
		Seed:      seed,
		Eval: func(int) (float64, float64, error) {
			return dlcrt.Evaluate(m.Evaluate, test, model.MaxBatch)
		},
		OnEpoch: func(s dlcrt.EpochStats) bool {
			fmt.Println(s)
			return false
		},
	}
	if _, err := dlcrt.Fit(m.TrainStep, train, loop); err != nil {
		return err
	}
	_, acc, err := dlcrt.Evaluate(m.Evaluate, test, model.MaxBatch)
	if err != nil {
		return err
	}
	fmt.Printf("test accuracy: %.3f\n", acc)
	if save != "" {
		f, err := os.Create(save)
		if err != nil {
			return err
		}
		if err := m.Save(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}
