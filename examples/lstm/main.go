// Command lstm trains the stacked LSTM of lstm.dl, compiled by dlc, to
// forecast a synthetic hourly electricity load one hour ahead from the last
// 24 hours, and compares its test error with two naive forecasts.
//
//	go generate ./examples/lstm   # recompile lstm.dl into ./model
//	go run ./examples/lstm
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	cfg := defaultConfig()
	flag.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed for the data, initialization and shuffling")
	flag.Parse()
	if _, err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "lstm:", err)
		os.Exit(1)
	}
}
