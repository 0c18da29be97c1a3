// Package asm generates amd64 assembly kernels specialized to constant
// shapes, each with a Go stub, a pure-Go twin and a CPU-feature dispatch.
//
// It is ordinary Go that builds on every GOARCH: it only writes assembly
// text, through avo's build.Context (virtual registers, register
// allocation, frame and stub checks). Generate takes a package name and
// GEMM specs and returns a Unit, whose Files are dropped into that package:
//
//	zgemm_amd64.s             per kernel: an exported dispatcher, an AVX-512
//	                          and an AVX2+FMA variant, and for PackedB the
//	                          same three for the B packing routine
//	zgemm_amd64.go            their body-less declarations and doc comments
//	zgemm_dispatch_amd64.go   useAVX512 and useAVX2, set at init from
//	                          golang.org/x/sys/cpu and the ISA extensions avo
//	                          found in the variants
//	zgemm_purego.go           the exported kernels as calls of the Go twins
//	                          (!amd64 || !gc || purego)
//	zgemm_generic.go          the Go twins, also the fallback on amd64 CPUs
//	                          without AVX2 and FMA (no build tag)
//
// The dispatcher tests one flag and tail-jumps to a variant, so a call
// costs one predictable branch over calling the variant. The generated
// package declares useAVX512 and useAVX2; kernel names must not clash
// with them or with the variants' names (name + "AVX512", "AVX2",
// "Generic", first letter lowered).
//
// Kernels (see GEMMSpec): C[m,N] = A·B with m a run-time row count, N and
// K constants, and an epilogue adding C, a bias and applying relu. The
// AVX-512 variant keeps rows×v zmm accumulators (v ≤ 4 vectors of 16
// columns, rows up to 16, within 32 registers), broadcasts A(i,p) and
// FMAs it with v vectors of B(p,·), unrolls K (fully up to 8 steps),
// masks the last partial vector with a k-register and handles leftover
// rows in blocks of 8, 4, 2, 1; with 4 < N ≤ 8 it fills the lanes with
// two steps of K at once (gemm_pairs.go), or with TransA two rows
// (gemm_pairrows.go), and with TransA it computes the last 1-4 columns
// past a full vector in a column strip, 16 rows per vector, gathered and
// scattered at stride N (gemm_strip.go), and without TransA as dot
// products along K, B's columns gathered once per call (gemm_dot.go). The AVX2 variant does the same with at
// most 16 ymm registers (2 vectors of 8 × 6 rows) and VMASKMOVPS; a pass
// rejects any register avo's allocator would put beyond Y15. When B is
// larger than 1 MiB, K is swept in blocks of about 256 steps through C,
// and when a panel's rows of B exceed 64 KB, in blocks whose panel fits
// 32 KB of L1 (plan.go).
//
// Layouts: A is [m,K] or, with TransA, [K,m] (dYᵀ·X); B is [K,N] or, with
// TransB, [N,K] (X·Wᵀ with W [out,in]). A transposed B is strided along
// the vectors, so TransB kernels have assembly only with PackedB: the
// kernel reads Bᵀ as written by the generated NamePackB (an in-register
// 16×16 transpose), to be called once per weight update. TransB without
// PackedB, and float64 packing, exist in Go only.
//
// Rounding: each element is summed in the reference loop's order (p
// ascending, then C, bias, relu), with FMAs, except that blocked kernels
// with Accumulate add the initial C first, paired kernels sum even and
// odd steps apart, and dot tails sum the steps of each lane mod 16 apart
// and then the 16 lanes by a fixed tree. No order depends on m or on the
// row, so any split of the rows gives the same bits. Generated code reads no global
// in the variants (masks come from immediates), so it assembles with
// -dynlink.
//
// The twin of each kernel is its specification: its doc comment is the
// reference loop. Package asmtest (internal) writes test packages that
// check every variant against a float64 reference with guarded buffers,
// and package gemmbench holds the kernels of dlc's models with benchmarks.
//
// Elementwise kernels (ElemSpec, GenerateElem; files zelem_*): dst[i] =
// f(a0[i], ...) over contiguous float32 slices, f a fused expression
// (ElemExpr: arithmetic, relu and its gradient, exp, sigmoid, tanh and
// their gradients). Each is one vector loop with a masked tail: AVX-512
// (k-mask, VSCALEFPS, VRCP14PS refined by Newton-Raphson) and AVX2+FMA
// (VMASKMOVPS), constants kept in registers as far as they fit, and a Go
// twin whose float32 exp32, sigmoid32 and tanh32 (elem_math.go) follow the
// same algorithms. Their dispatch flags are elemAVX512 and elemAVX2.
//
// Multi-output kernels (MultiSpec, GenerateElemMulti; same files and
// flags) update several slices at once and take float32 scalars, broadcast
// once from the frame: the optimizer step (a0 params, a1 grads, then the
// state; lr and the bias corrections as scalars) and the row kernels of
// softmax and cross-entropy. Their variants round every operation as the Go
// twin does (no FMA contraction; VSQRTPS and VDIVPS are correctly rounded),
// so they match it bit for bit outside NaN operands of max and the
// transcendental functions.
//
// Max pooling kernels (PoolSpec, GeneratePool; files zpool_*, flags
// poolAVX512 and poolAVX2): windows that tile the plane (stride = window,
// KH ≤ 4, KW ≤ 2), over n planes per call: the forward, the forward that
// also stores each maximum's uint8 window offset, and the gradient from
// those offsets. A kernel row's taps are the input row deinterleaved
// (VPERMT2PS; VSHUFPS+VPERMPD), reduced with compares and blends by
// PyTorch's rule (first strict maximum, else last NaN), so the variants
// match the twin bit for bit, NaN payloads included.
//
// Package asm must not import the rest of dlc; codegen calls it.
package asm
