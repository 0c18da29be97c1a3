package asm

import (
	"fmt"
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A GEMMSpec describes one matrix product kernel with constant N and K
// and a row count m passed at run time:
//
//	func Name(m int, a, b, c []float32)               // without Bias
//	func Name(m int, a, b, c, bias []float32)         // with Bias
//
// computes, for i < m and j < N,
//
//	s := Σ_{p<K} A(i,p)·B(p,j)     summed in order p = 0, 1, …, K-1 (but see doc.go, Rounding)
//	if Accumulate { s += c[i*N+j] }
//	if Bias       { s += bias[j] }
//	if Relu && s < 0 { s = 0 }
//	c[i*N+j] = s
//
// where A(i,p) = a[i*K+p], or a[p*m+i] when TransA, and B(p,j) = b[p*N+j],
// or b[j*K+p] when TransB. The element type is float64 when F64.
//
// The caller guarantees m ≥ 0, len(a) ≥ m*K, len(b) ≥ K*N (PackedLen()
// with PackedB), len(c) ≥ m*N and len(bias) ≥ N; the kernels do not check,
// and read and write nothing outside those prefixes. c must not overlap a,
// b or bias.
//
// With TransB and PackedB the kernel's b is not B [N,K] but Bᵀ [K,N] as
// written by the generated NamePackB(bp, b) (bp[p*L+j] = b[j*K+p], with
// row stride L = PackedStride(), and len(bp) ≥ PackedLen()): pack once per
// weight update and call the kernel as often as needed, as for an RNN's
// recurrent weights or a forward pass X·Wᵀ with W [out,in].
type GEMMSpec struct {
	Name       string // Go name of the wrapper, e.g. "gemmFc1Fwd"
	N, K       int    // constant dims; M (rows) is a run-time argument
	TransA     bool   // a is [K,M] instead of [M,K] (dYᵀ·X for dW)
	TransB     bool   // B is [N,K] instead of [K,N] (X·Wᵀ with W [out,in])
	PackedB    bool   // with TransB: the kernel reads Bᵀ packed by NamePackB
	Accumulate bool   // c += A·B instead of c = A·B
	Bias       bool   // add bias[j] to every row
	Relu       bool   // max(0, ·) after the bias
	F64        bool   // float64 instead of float32
	Source     string // optional origin printed above the kernel, e.g. "model.dl:12:7 y = relu(x @ w + b)"
	// RowsHint, when > 0, is the row count most calls pass (a weight
	// gradient's output features). Plans may depend on it; results do not,
	// and calls may pass any m.
	RowsHint int
	// ChunkRows, when > 0, overrides the rows per chunk of a kernel
	// planned with packed panels of B, and the fewest rows it packs for
	// (plan.go): tests set it small so that a few rows run several
	// chunks. It does not change the result.
	ChunkRows int
}

// elem returns the Go element type name.
func (s GEMMSpec) elem() string {
	if s.F64 {
		return "float64"
	}
	return "float32"
}

// size returns the element size in bytes.
func (s GEMMSpec) size() int {
	if s.F64 {
		return 8
	}
	return 4
}

// signature returns the Go signature of the kernel and its variants.
func (s GEMMSpec) signature() string {
	t := "[]" + s.elem()
	if s.Bias {
		return fmt.Sprintf("func(m int, a, b, c, bias %s)", t)
	}
	return fmt.Sprintf("func(m int, a, b, c %s)", t)
}

// args returns the argument list used to forward a call.
func (s GEMMSpec) args() []string {
	if s.Bias {
		return []string{"m", "a", "b", "c", "bias"}
	}
	return []string{"m", "a", "b", "c"}
}

// readsPackedB reports whether the kernel's b is laid out [K,N], which is
// the case without TransB and for packed TransB.
func (s GEMMSpec) readsPackedB() bool { return !s.TransB || s.PackedB }

// PackedStride returns the row stride, in elements, of the Bᵀ NamePackB
// writes: N rounded up to a multiple of 16 when N > 16, so that every row
// starts a 64-byte line in a 64-byte aligned buffer (rows 336 or 800 bytes
// apart split most vector loads across two lines: the forward products
// of 84 and 200 columns ran 7% and 5% faster on aligned rows), else N.
// The padding is neither written nor read.
func (s GEMMSpec) PackedStride() int {
	if s.N <= PackAlign {
		return s.N
	}
	return alignUp(s.N)
}

// alignUp rounds n up to a multiple of PackAlign.
func alignUp(n int) int { return ceilDiv(n, PackAlign) * PackAlign }

// PackAlign is the element multiple PackedStride pads to. Buffers holding
// packed copies should start at a multiple of it too (64 bytes of float32),
// so that the padded rows start cache lines.
const PackAlign = 16

// PackedLen returns the elements of the Bᵀ NamePackB writes: K rows of
// PackedStride, then the tail's rows if any (PackedTail).
func (s GEMMSpec) PackedLen() int {
	if off, cols, stride := s.PackedTail(); cols > 0 {
		return off + cols*stride
	}
	return s.K * s.PackedStride()
}

// PackedTail returns where NamePackB writes B's last cols columns a
// second time, as rows for the AVX-512 kernel's dot products (gemm_dot.go):
//
//	bp[off + t*stride + p] = b[(N-cols+t)*K + p]   for t < cols, p < K
//	bp[off + t*stride + p] = 0                     for K ≤ p < stride
//
// with off and stride multiples of PackAlign; cols is 0 when the kernel
// has no such tail.
func (s GEMMSpec) PackedTail() (off, cols, stride int) {
	if !s.PackedB {
		return 0, 0, 0
	}
	if cols = planGEMM(s, isaAVX512).dot; cols == 0 {
		return 0, 0, 0
	}
	return alignUp(s.K * s.PackedStride()), cols, s.tailStride()
}

// tailStride is the row stride of a dot tail's columns of B laid out as
// rows, packed or in the kernel's stack buffer: K rounded up to whole
// vectors (PackAlign is a zmm register's float32 lanes).
func (s GEMMSpec) tailStride() int { return alignUp(s.K) }

// ldb returns the row stride, in elements, of the kernel's b when
// readsPackedB: PackedStride with PackedB, else N.
func (s GEMMSpec) ldb() int {
	if s.PackedB {
		return s.PackedStride()
	}
	return s.N
}

// variant returns the name of one implementation of s: "AVX512", "AVX2" or
// "Generic" appended to Name with its first letter lowered, so that the
// variants stay unexported.
func (s GEMMSpec) variant(suffix string) string {
	r, n := utf8.DecodeRuneInString(s.Name)
	return string(unicode.ToLower(r)) + s.Name[n:] + suffix
}

// packName returns the name of the generated B packing routine.
func (s GEMMSpec) packName() string { return s.Name + "PackB" }

// packVariant returns the name of one implementation of the packing
// routine, as variant does for the kernel.
func (s GEMMSpec) packVariant(suffix string) string {
	return GEMMSpec{Name: s.packName()}.variant(suffix)
}

// packSignature is the Go signature of the packing routine.
func (s GEMMSpec) packSignature() string {
	return fmt.Sprintf("func(bp, b []%s)", s.elem())
}

// maxDim bounds N and K so that every address offset fits in 32 bits.
const maxDim = 1 << 16

// validate reports the first problem with s.
func (s GEMMSpec) validate() error {
	switch {
	case !token.IsIdentifier(s.Name):
		return fmt.Errorf("gemm %q: name is not a Go identifier", s.Name)
	case s.N < 1 || s.N > maxDim || s.K < 1 || s.K > maxDim:
		return fmt.Errorf("gemm %s: N=%d, K=%d: want 1..%d", s.Name, s.N, s.K, maxDim)
	case s.ChunkRows < 0:
		return fmt.Errorf("gemm %s: ChunkRows=%d: want ≥ 0", s.Name, s.ChunkRows)
	case s.RowsHint < 0:
		return fmt.Errorf("gemm %s: RowsHint=%d: want ≥ 0", s.Name, s.RowsHint)
	case s.PackedB && !s.TransB:
		return fmt.Errorf("gemm %s: PackedB needs TransB", s.Name)
	case strings.ContainsAny(s.Source, "\n\r"):
		return fmt.Errorf("gemm %s: source %q spans lines", s.Name, s.Source)
	}
	return nil
}

// validateSpecs checks every spec and that no two generated names clash.
func validateSpecs(specs []GEMMSpec) error {
	seen := map[string]string{}
	for _, s := range specs {
		if err := s.validate(); err != nil {
			return err
		}
		names := []string{s.Name, s.variant(variantAVX512), s.variant(variantAVX2), s.variant(variantGeneric)}
		if s.PackedB {
			names = append(names, s.packName(), s.packVariant(variantAVX512), s.packVariant(variantAVX2), s.packVariant(variantGeneric))
		}
		for _, n := range names {
			if prev, ok := seen[n]; ok {
				return fmt.Errorf("gemm %s: name %s already used by gemm %s", s.Name, n, prev)
			}
			if _, ok := reserved[n]; ok {
				return fmt.Errorf("gemm %s: name %s is reserved by the generated dispatch", s.Name, n)
			}
			seen[n] = s.Name
		}
	}
	return nil
}
