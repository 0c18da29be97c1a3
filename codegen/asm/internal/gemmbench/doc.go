// Package gemmbench holds the kernels package asm generates for the GEMMs
// of dlc's example models (MLP, LeNet, LSTM: forward, dX and dW at their
// layer shapes) and for n×n products, n = 16 … 1024, with tests against a
// float64 reference on every variant and benchmarks reporting GFLOP/s:
//
//	go test -run NONE -bench 'GEMM32/.*/AVX512$' ./codegen/asm/internal/gemmbench
//
// The z* files are generated: run go generate -tags generate after
// changing package asm or asmtest; asm's TestGemmbenchFresh fails when
// they are stale.
package gemmbench
