package asm

import (
	"fmt"
	"strings"
)

// Max pooling kernels (PoolSpec): 2-D max pooling of planes whose windows
// tile the plane, stride = kernel, no padding, floor mode (trailing rows
// and columns that fill no window are not read, and get zero gradient).
// Each kernel is specialized to its constant plane and window and gets an
// AVX-512 variant (16 lanes, k-mask tails), an AVX2 variant (8 lanes,
// VMASKMOVPS tails, 16 VEX registers) and a Go twin, its specification;
// the dispatch picks one at init from golang.org/x/sys/cpu with its own
// flags (poolAVX512, poolAVX2), as for the other kernel families.
//
// The semantics are PyTorch's CPU max_pool2d: the taps of a window are
// scanned row by row and a value replaces the running maximum when it is
// greater (strict: ties, -0 against +0 included, keep the first) or NaN
// (so the last NaN wins). The variants compute no arithmetic, only
// compares and moves: they are bit-identical to the twin, NaN payloads
// included. Their vectors run along an output row: the KW taps of a
// kernel row are the input row deinterleaved (VPERMT2PS on AVX-512,
// VSHUFPS+VPERMPD on AVX2), each kernel row is reduced over its taps, then
// the rows in order. The rule is associative over contiguous runs of taps
// (the later run wins when it holds a NaN or a strictly greater maximum),
// so this order gives the scan's result.
//
// Three kinds share the spec:
//   - forward: y = max over each window (inference saves no index);
//   - Index: forward that also stores the argmax as a uint8 offset inside
//     the window, (y-wy)·KW + (x-wx), row-major over the kernel;
//   - Grad: the backward from those offsets: dx = 0 + dy at each window's
//     argmax and +0 elsewhere (the windows do not overlap, so each input
//     element gets at most one dy; 0 + dy turns -0 into +0 as PyTorch's
//     scatter-add into zeros does).

// A PoolSpec is one max pooling kernel over n planes of [H,W], windows
// KH×KW with stride KH×KW:
//
//	forward: func Name(y, x []float32, n int)               x [n,H,W], y [n,OH,OW]
//	Index:   func Name(y []float32, idx []uint8, x []float32, n int)   idx [n,OH,OW]
//	Grad:    func Name(dx, dy []float32, idx []uint8, n int) dx [n,H,W], dy and idx [n,OH,OW]
//
// with OH = H/KH, OW = W/KW. Outputs overlap no argument; Grad requires
// idx < KH·KW.
type PoolSpec struct {
	Name        string
	H, W        int
	KH, KW      int
	Index, Grad bool
	Source      string // shown in the doc comment
}

// OH and OW are the output plane's height and width.
func (s PoolSpec) OH() int { return s.H / s.KH }
func (s PoolSpec) OW() int { return s.W / s.KW }

// PoolFits reports whether the kernels implement pooling windows kh×kw
// (stride = window, no padding) over planes h×w.
func PoolFits(h, w, kh, kw int) bool {
	return kh >= 1 && kh <= 4 && (kw == 1 || kw == 2) && h >= kh && w >= kw &&
		w/kw <= 512 && h*w <= 1<<20
}

func (s PoolSpec) signature() string {
	switch {
	case s.Grad:
		return "func(dx, dy []float32, idx []uint8, n int)"
	case s.Index:
		return "func(y []float32, idx []uint8, x []float32, n int)"
	}
	return "func(y, x []float32, n int)"
}

// params are the parameter names of the signature, in order.
func (s PoolSpec) params() string {
	switch {
	case s.Grad:
		return "dx, dy, idx, n"
	case s.Index:
		return "y, idx, x, n"
	}
	return "y, x, n"
}

func (s PoolSpec) variant(suffix string) string {
	return strings.ToLower(s.Name[:1]) + s.Name[1:] + suffix
}

// Flags of the pooling dispatch.
const (
	poolFlagAVX512 = "poolAVX512"
	poolFlagAVX2   = "poolAVX2"
)

// poolFlags are the pooling kernels' flags, in isas order.
var poolFlags = []string{poolFlagAVX512, poolFlagAVX2}

func (s PoolSpec) validate(seen map[string]bool) error {
	if s.Name == "" {
		return fmt.Errorf("pool: spec without name")
	}
	if s.Index && s.Grad {
		return fmt.Errorf("pool %s: both Index and Grad", s.Name)
	}
	if !PoolFits(s.H, s.W, s.KH, s.KW) {
		return fmt.Errorf("pool %s: unsupported window %dx%d on %dx%d", s.Name, s.KH, s.KW, s.H, s.W)
	}
	for _, n := range []string{s.Name, s.variant(variantAVX512), s.variant(variantAVX2), s.variant(variantGeneric)} {
		if seen[n] || n == poolFlagAVX512 || n == poolFlagAVX2 {
			return fmt.Errorf("pool %s: name %s used twice", s.Name, n)
		}
		seen[n] = true
	}
	return nil
}

// poolDoc returns the doc comment of s's exported kernel: the reference
// loop, the twin's.
func poolDoc(s PoolSpec) []string {
	oh, ow := s.OH(), s.OW()
	var ls []string
	kh, kw := s.KH, s.KW
	switch {
	case s.Grad:
		ls = []string{
			fmt.Sprintf("%s is the gradient of %dx%d max pooling from the window offsets of its maxima:", s.Name, kh, kw),
			fmt.Sprintf("for each of n planes dx [%d,%d] from dy and idx [%d,%d] (idx < %d), it is", s.H, s.W, oh, ow, kh*kw),
			"",
			"\tclear(dx)",
			fmt.Sprintf("\tfor i < %d, j < %d: a := idx[i,j]; dx[i*%d + a/%d, j*%d + a%%%d] += dy[i,j]", oh, ow, kh, kw, kw, kw),
		}
	case s.Index:
		ls = []string{
			fmt.Sprintf("%s is %dx%d max pooling (stride = window, no padding) of n planes x [%d,%d]", s.Name, kh, kw, s.H, s.W),
			fmt.Sprintf("into y [%d,%d] and the offset of each maximum in its window, idx, as PyTorch's CPU max_pool2d:", oh, ow),
			"",
			fmt.Sprintf("\tfor i < %d, j < %d: best, arg := x[i*%d, j*%d], 0", oh, ow, kh, kw),
			fmt.Sprintf("\t\tfor p < %d, q < %d: if v := x[i*%d+p, j*%d+q]; v > best || v != v { best, arg = v, p*%d+q }", kh, kw, kh, kw, kw),
			"\t\ty[i,j], idx[i,j] = best, uint8(arg)",
		}
	default:
		ls = []string{
			fmt.Sprintf("%s is %dx%d max pooling (stride = window, no padding) of n planes x [%d,%d]", s.Name, kh, kw, s.H, s.W),
			fmt.Sprintf("into y [%d,%d], as PyTorch's CPU max_pool2d:", oh, ow),
			"",
			fmt.Sprintf("\tfor i < %d, j < %d: best := x[i*%d, j*%d]", oh, ow, kh, kw),
			fmt.Sprintf("\t\tfor p < %d, q < %d: if v := x[i*%d+p, j*%d+q]; v > best || v != v { best = v }", kh, kw, kh, kw),
			"\t\ty[i,j] = best",
		}
	}
	if s.Source != "" {
		ls = append(ls, "", "Source: "+s.Source)
	}
	return ls
}

// GeneratePool returns the max pooling kernels of specs; files are named
// as for Generate, with base "zpool" typically.
func (cfg Config) GeneratePool(specs []PoolSpec) (*Unit, error) {
	return family[PoolSpec]{
		name:     "pool",
		specName: func(s PoolSpec) string { return s.Name },
		validate: PoolSpec.validate,
		compile:  compilePool,
		dispatch: func(cfg Config) ([]byte, error) {
			return renderFlags(cfg, "pooling", poolFlagAVX512, poolFlagAVX2, false)
		},
		pureGo:  renderPoolPureGo,
		generic: renderPoolGeneric,
	}.generate(cfg, specs)
}

// renderPoolPureGo returns the kernels as calls of their twins.
func renderPoolPureGo(cfg Config, specs []PoolSpec) ([]byte, error) {
	b := goHeader(cfg, "!amd64 || !gc || purego")
	for _, s := range specs {
		comment(b, poolDoc(s))
		sig := strings.TrimPrefix(s.signature(), "func")
		fmt.Fprintf(b, "func %s%s { %s(%s) }\n\n", s.Name, sig, s.variant(variantGeneric), s.params())
	}
	return formatGo(b)
}

// renderPoolGeneric returns the Go twins, the specification of the
// variants.
func renderPoolGeneric(cfg Config, specs []PoolSpec) ([]byte, error) {
	b := goHeader(cfg, "")
	for _, s := range specs {
		oh, ow := s.OH(), s.OW()
		plane, out := s.H*s.W, oh*ow
		sig := strings.TrimPrefix(s.signature(), "func")
		fmt.Fprintf(b, "// %s is %s in Go.\n", s.variant(variantGeneric), s.Name)
		fmt.Fprintf(b, "func %s%s {\n", s.variant(variantGeneric), sig)
		b.WriteString("for pl := 0; pl < n; pl++ {\n")
		if s.Grad {
			fmt.Fprintf(b, "xp := dx[pl*%d:][:%d]\n", plane, plane)
			fmt.Fprintf(b, "dp := dy[pl*%d:][:%d]\n", out, out)
			fmt.Fprintf(b, "ip := idx[pl*%d:][:%d]\n", out, out)
			b.WriteString("clear(xp)\n")
			fmt.Fprintf(b, "for i := 0; i < %d; i++ {\nfor j := 0; j < %d; j++ {\n", oh, ow)
			fmt.Fprintf(b, "a := int(ip[i*%d+j])\n", ow)
			fmt.Fprintf(b, "xp[(i*%d+a/%d)*%d+j*%d+a%%%d] += dp[i*%d+j]\n", s.KH, s.KW, s.W, s.KW, s.KW, ow)
			b.WriteString("}\n}\n}\n}\n\n")
			continue
		}
		fmt.Fprintf(b, "xp := x[pl*%d:][:%d]\n", plane, plane)
		fmt.Fprintf(b, "yp := y[pl*%d:][:%d]\n", out, out)
		if s.Index {
			fmt.Fprintf(b, "ip := idx[pl*%d:][:%d]\n", out, out)
		}
		fmt.Fprintf(b, "for i := 0; i < %d; i++ {\nfor j := 0; j < %d; j++ {\n", oh, ow)
		if s.Index {
			fmt.Fprintf(b, "best, arg := xp[i*%d+j*%d], 0\n", s.KH*s.W, s.KW)
		} else {
			fmt.Fprintf(b, "best := xp[i*%d+j*%d]\n", s.KH*s.W, s.KW)
		}
		fmt.Fprintf(b, "for p := 0; p < %d; p++ {\n", s.KH)
		q := "_"
		if s.Index {
			q = "q"
		}
		fmt.Fprintf(b, "for %s, v := range xp[(i*%d+p)*%d+j*%d:][:%d] {\n", q, s.KH, s.W, s.KW, s.KW)
		if s.Index {
			fmt.Fprintf(b, "if v > best || v != v {\nbest, arg = v, p*%d+q\n}\n}\n}\n", s.KW)
		} else {
			b.WriteString("if v > best || v != v {\nbest = v\n}\n}\n}\n")
		}
		fmt.Fprintf(b, "yp[i*%d+j] = best\n", ow)
		if s.Index {
			fmt.Fprintf(b, "ip[i*%d+j] = uint8(arg)\n", ow)
		}
		b.WriteString("}\n}\n}\n}\n\n")
	}
	return formatGo(b)
}
