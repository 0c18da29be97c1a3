package asmtest

import (
	"fmt"

	"github.com/dlc-lang/dlc/codegen/asm"
)

// A Case is a kernel to test and benchmark.
type Case struct {
	Spec asm.GEMMSpec
	M    int // rows for benchmarks, also tested
}

// train returns the three GEMMs of a training step of a layer with weights
// W [out,in] on batch rows: forward X·Wᵀ (packed), dX = dY·W and dW = dYᵀ·X.
func train(tag string, batch, out, in int, fwd asm.GEMMSpec, accumulateDW bool) []Case {
	fwd.Name, fwd.N, fwd.K, fwd.TransB, fwd.PackedB = "Fwd"+tag, out, in, true, true
	return []Case{
		{Spec: fwd, M: batch},
		{Spec: asm.GEMMSpec{Name: "DX" + tag, N: in, K: out}, M: batch},
		{Spec: asm.GEMMSpec{Name: "DW" + tag, N: in, K: batch, TransA: true, Accumulate: accumulateDW, RowsHint: out}, M: out},
	}
}

// ModelCases returns the GEMMs of dlc's example models (MLP, LeNet, LSTM)
// at the shapes of /work/shared/peers/RESULTS.md.
func ModelCases() []Case {
	hidden := asm.GEMMSpec{Bias: true, Relu: true}
	var cs []Case
	cs = append(cs, train("Mlp10x10", 32, 10, 10, hidden, false)...)
	cs = append(cs, train("Mlp10x1", 32, 1, 10, asm.GEMMSpec{Bias: true}, false)...)
	cs = append(cs, train("Fc1B64", 64, 120, 400, hidden, false)...)
	cs = append(cs, train("Fc1B32", 32, 120, 400, hidden, false)...)
	cs = append(cs, train("Fc2B32", 32, 84, 120, hidden, false)...)
	cs = append(cs, train("Fc3B32", 32, 10, 84, asm.GEMMSpec{Bias: true}, false)...)
	cs = append(cs, train("Conv1Img", 784, 6, 25, hidden, false)...)
	cs = append(cs, train("Conv2Img", 100, 16, 150, hidden, false)...)
	cs = append(cs, train("Conv1B32", 25088, 6, 25, hidden, false)...)
	cs = append(cs, train("Conv2B32", 3200, 16, 150, hidden, false)...)
	cs = append(cs, train("LstmHh", 32, 200, 50, asm.GEMMSpec{Accumulate: true}, true)...)
	cs = append(cs, train("LstmIh1", 32, 200, 8, asm.GEMMSpec{Bias: true}, true)...)
	return cs
}

// BenchCases returns the cases of package gemmbench: ModelCases and
// SquareCases.
func BenchCases() []Case { return append(ModelCases(), SquareCases()...) }

// SquareCases returns NN products of n×n matrices for n = 16 … 1024.
func SquareCases() []Case {
	var cs []Case
	for n := 16; n <= 1024; n *= 2 {
		cs = append(cs, Case{Spec: asm.GEMMSpec{Name: fmt.Sprintf("Square%d", n), N: n, K: n}, M: n})
	}
	return cs
}

// oddDims are sizes that are not multiples of any vector width.
var oddDims = []int{1, 7, 17, 33, 65}

// OddCases returns kernels of odd sizes: every N×K of oddDims as a plain
// product, a few of them with each option and in float64, and shapes that
// loop over panels to the last column or block K.
func OddCases() []Case {
	var cs []Case
	for _, n := range oddDims {
		for _, k := range oddDims {
			cs = append(cs, Case{Spec: asm.GEMMSpec{Name: fmt.Sprintf("Odd%dx%d", n, k), N: n, K: k}, M: 65})
		}
	}
	opts := []asm.GEMMSpec{
		{Name: "TransA", TransA: true},
		{Name: "Packed", TransB: true, PackedB: true},
		{Name: "Unpacked", TransB: true},
		{Name: "TransAB", TransA: true, TransB: true, PackedB: true},
		{Name: "Acc", Accumulate: true},
		{Name: "BiasRelu", Bias: true, Relu: true},
		{Name: "All", TransA: true, Accumulate: true, Bias: true, Relu: true},
	}
	// Steps in pairs (AVX-512, 4 < N ≤ 8), K even and odd.
	cs = append(cs,
		Case{Spec: asm.GEMMSpec{Name: "Pair5x2", N: 5, K: 2}, M: 33},
		Case{Spec: asm.GEMMSpec{Name: "Pair8x3", N: 8, K: 3, Accumulate: true}, M: 33},
		Case{Spec: asm.GEMMSpec{Name: "Pair6x25", N: 6, K: 25, TransB: true, PackedB: true, Bias: true, Relu: true}, M: 33},
		Case{Spec: asm.GEMMSpec{Name: "Pair8x200", N: 8, K: 200, Accumulate: true, Bias: true}, M: 33},
		Case{Spec: asm.GEMMSpec{Name: "Pair7x18", N: 7, K: 18}, M: 33},
		// Rows in pairs (AVX-512, TransA, 4 < N ≤ 8).
		Case{Spec: asm.GEMMSpec{Name: "PairRows8x32", N: 8, K: 32, TransA: true, Accumulate: true}, M: 67},
		Case{Spec: asm.GEMMSpec{Name: "PairRows5x7", N: 5, K: 7, TransA: true, Bias: true, Relu: true}, M: 67},
		Case{Spec: asm.GEMMSpec{Name: "PairRows6x1", N: 6, K: 1, TransA: true}, M: 67},
		Case{Spec: asm.GEMMSpec{Name: "PairRows8x9", N: 8, K: 9, TransA: true, TransB: true, PackedB: true, Accumulate: true, Bias: true}, M: 67},
	)
	// Column strips (AVX-512, TransA, N mod 16 ≤ 4): beside panels and
	// alone, every block height, a partial last vector, each option.
	cs = append(cs,
		Case{Spec: asm.GEMMSpec{Name: "Strip50x32", N: 50, K: 32, TransA: true, Accumulate: true, Bias: true, Relu: true}, M: 211},
		Case{Spec: asm.GEMMSpec{Name: "Strip2x5", N: 2, K: 5, TransA: true}, M: 40},
		Case{Spec: asm.GEMMSpec{Name: "Strip19x40", N: 19, K: 40, TransA: true, TransB: true, PackedB: true, Bias: true}, M: 100},
		Case{Spec: asm.GEMMSpec{Name: "Strip4x40", N: 4, K: 40, TransA: true, Accumulate: true}, M: 70},
	)
	// Dot-product tails (AVX-512, A not transposed, N mod 16 ≤ 4): beside
	// panels and alone, every block height, K a multiple of 16 or not,
	// one vector and a partial one, Bᵗ gathered, packed or B itself, each
	// option.
	cs = append(cs,
		Case{Spec: asm.GEMMSpec{Name: "Dot50x200", N: 50, K: 200, Accumulate: true}, M: 39},
		Case{Spec: asm.GEMMSpec{Name: "Dot84x120", N: 84, K: 120, TransB: true, PackedB: true, Bias: true, Relu: true}, M: 37},
		Case{Spec: asm.GEMMSpec{Name: "Dot19x33", N: 19, K: 33, Accumulate: true, Bias: true, Relu: true}, M: 23},
		Case{Spec: asm.GEMMSpec{Name: "Dot17x31", N: 17, K: 31, Bias: true}, M: 31},
		Case{Spec: asm.GEMMSpec{Name: "Dot1x64", N: 1, K: 64, TransB: true, PackedB: true, Accumulate: true}, M: 15},
		Case{Spec: asm.GEMMSpec{Name: "Dot1x50", N: 1, K: 50, TransB: true, PackedB: true, Bias: true}, M: 9},
		Case{Spec: asm.GEMMSpec{Name: "Dot36x48", N: 36, K: 48, Relu: true}, M: 7},
	)
	// Panel loops that end the sweep, and K in several blocks.
	cs = append(cs,
		Case{Spec: asm.GEMMSpec{Name: "Wide128x5", N: 128, K: 5}, M: 17},
		Case{Spec: asm.GEMMSpec{Name: "Wide96x20", N: 96, K: 20, Bias: true}, M: 17},
		Case{Spec: asm.GEMMSpec{Name: "Blocked7x40000", N: 7, K: 40000, Accumulate: true}, M: 9},
		Case{Spec: asm.GEMMSpec{Name: "Blocked5x52429", N: 5, K: 52429, Bias: true}, M: 9}, // no divisor in 128..384
		Case{Spec: asm.GEMMSpec{Name: "Blocked33x8000", N: 33, K: 8000, TransA: true, Bias: true, Relu: true}, M: 9},
		Case{Spec: asm.GEMMSpec{Name: "Blocked130x1100F64", N: 130, K: 1100, TransA: true, Accumulate: true, Bias: true, Relu: true, F64: true}, M: 9},
		Case{Spec: asm.GEMMSpec{Name: "Blocked130x2100", N: 130, K: 2100, TransA: true, Bias: true, Relu: true}, M: 9},
	)
	// Packed panels of a large B (plan.go), in chunks of a few rows so that
	// the tested row counts run several: panels of 4 and 3 vectors, a
	// partial last vector, K in blocks with a shorter last one, float64.
	cs = append(cs,
		Case{Spec: asm.GEMMSpec{Name: "Packed160x820", N: 160, K: 820, ChunkRows: 6}, M: 40},
		Case{Spec: asm.GEMMSpec{Name: "Packed150x1100", N: 150, K: 1100, TransA: true, Accumulate: true, Bias: true, Relu: true, ChunkRows: 4}, M: 17},
		Case{Spec: asm.GEMMSpec{Name: "Packed90x1500", N: 90, K: 1500, TransB: true, PackedB: true, Bias: true, ChunkRows: 5}, M: 13},
		Case{Spec: asm.GEMMSpec{Name: "Packed70x1030F64", N: 70, K: 1030, Accumulate: true, F64: true, ChunkRows: 7}, M: 15},
	)
	for _, o := range opts {
		for _, nk := range [][2]int{{7, 33}, {33, 17}, {65, 1}, {17, 65}} {
			s := o
			s.Name, s.N, s.K = fmt.Sprintf("%s%dx%d", o.Name, nk[0], nk[1]), nk[0], nk[1]
			cs = append(cs, Case{Spec: s, M: 33})
			s.Name, s.F64 = s.Name+"F64", true
			cs = append(cs, Case{Spec: s, M: 33})
		}
	}
	return cs
}
