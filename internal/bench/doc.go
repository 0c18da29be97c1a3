// Package bench holds Go benchmarks of the committed generated packages of
// the seed models (internal/parity/models/seed*): TrainStep at the batch
// of testdata/models and Forward at batch 1, reporting samples/s, GFLOP/s
// (matmul and conv FLOPs, from driver.FLOPs) and allocations.
//
//	go test -run '^$' -bench . -benchtime 1s -count 5 ./internal/bench
//
// compare.sh runs dlc bench and PyTorch on the seed models one after the
// other and prints the ratios; docs/performance.md has the figures.
package bench
