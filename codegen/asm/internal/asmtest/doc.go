// Package asmtest builds test packages of generated kernels: the files of
// an asm.Unit plus tests that check every variant (AVX-512, AVX2, Go)
// against a float64 reference loop with guarded buffers, and benchmarks
// that report GFLOP/s. Package asm's tests and the committed benchmark
// package gemmbench both use it.
package asmtest
