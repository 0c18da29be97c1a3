package codegen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
)

// Matrix products with constant N and K go through the GEMM kernels of
// package asm: AVX-512 and AVX2+FMA assembly picked at init, with a pure-Go
// twin under the purego tag and on other architectures. codegen emits the
// kernels' files next to zkernels.go (gemmBase + "_amd64.s", ...) and the
// kernel of a product calls them:
//
//	a·b      matmul, conv2d (w·col per sample), conv2d_grad_input (wᵀ·dy)
//	a·bᵀ     matmul (x·Wᵀ): asm kernels read Bᵀ packed (unpacked Bᵀ is
//	         Go-only): a weight W is packed once per parameter update into
//	         the model (packed.go), any other b into the scratch block per
//	         call; and
//	         conv2d_grad_weight (dy·colᵀ, accumulated over the samples)
//	aᵀ·b     matmul (dYᵀ·X): a contracted batch axis is cut into chunks of
//	         constant length, accumulated into dst
//	aᵀ·bᵀ    scalar loops (no kernel variant for it)
//
// A matmul epilogue that is exactly add(a0, bias), relu(a0) or
// relu(add(a0, bias)) with bias a row of N is done by the kernel; any other
// epilogue runs as the usual loop over dst afterwards.
//
// The rule for tiny shapes: a product keeps its scalar loops when
// N·K < gemmMinWork (too small for the call and the packing to pay off).

// gemmBase is the base name of the kernel files.
const gemmBase = "zgemm"

// gemmMinWork is the smallest N·K that goes through a GEMM kernel.
const gemmMinWork = 16

// useGEMM turns the GEMM kernels on; tests may clear it to compare.
var useGEMM = true

// gemm registers spec s (Name left empty) and returns the name of its
// kernel; identical specs share one kernel.
func (g *gen) gemm(s asm.GEMMSpec) string {
	s.F64 = g.float == ir.F64
	s.Name = gemmName(s)
	if _, ok := g.gemmSeen[s.Name]; !ok {
		g.gemmSeen[s.Name] = true
		g.gemms = append(g.gemms, s)
	}
	return s.Name
}

// gemmName names a kernel after its spec, e.g. gemm10x10TBPBiasRelu for
// N=10, K=10, TransB, PackedB, Bias and Relu, and gemm84x32TAR10 for a
// TransA kernel planned for 10 rows.
func gemmName(s asm.GEMMSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "gemm%dx%d", s.N, s.K)
	for _, f := range []struct {
		on   bool
		name string
	}{{s.TransA, "TA"}, {s.TransB, "TB"}, {s.PackedB, "P"}, {s.Accumulate, "Acc"}, {s.Bias, "Bias"}, {s.Relu, "Relu"}} {
		if f.on {
			b.WriteString(f.name)
		}
	}
	if s.RowsHint > 0 {
		fmt.Fprintf(&b, "R%d", s.RowsHint)
	}
	return b.String()
}

// gemmFits reports whether constant dims n, k can be a GEMM kernel's.
func gemmFits(n, k int) bool {
	return useGEMM && n >= 1 && k >= 1 && n*k >= gemmMinWork && n <= 1<<16 && k <= 1<<16
}

// emitGEMMFiles renders the kernels registered with gemm into g.raw, and
// the elementwise kernels (vector.go).
func (g *gen) emitGEMMFiles() error {
	if err := g.emitElemFiles(); err != nil {
		return err
	}
	if err := g.emitConvFiles(); err != nil {
		return err
	}
	if err := g.emitPoolFiles(); err != nil {
		return err
	}
	if len(g.gemms) == 0 {
		return nil
	}
	u, err := asm.Config{Pkg: g.opts.Package, GeneratedBy: "dlc build " + g.sourceName()}.Generate(g.gemms)
	if err != nil {
		return err
	}
	for name, b := range u.Files(gemmBase) {
		g.raw[name] = b
	}
	return nil
}

// biasReluEpilogue matches v's epilogue against the forms a kernel can
// fuse into its store: absent, relu(a0), add(a0,a1)/add(a1,a0) or relu of
// such an add, with a1 a non-literal extra argument (bias, nil when there
// is none). fits checks the bias's shape for the kernel at hand.
func (k *kernel) biasReluEpilogue(fits func(b *ir.Value) bool) (bias string, relu, ok bool) {
	e, _ := ir.Epilogue(k.v)
	if e == nil {
		return "", false, true
	}
	s := e.String()
	if strings.HasPrefix(s, "relu(") && strings.HasSuffix(s, ")") {
		relu, s = true, s[len("relu("):len(s)-1]
	}
	switch s {
	case "a0":
		return "", relu, relu
	case "add(a0,a1)", "add(a1,a0)":
	default:
		return "", false, false
	}
	i := k.v.Op.Arity()
	if len(k.v.Args) != i+1 {
		return "", false, false
	}
	if a := k.v.Args[i]; inlinable(a) || a.Type.Shape.Batched() || !fits(a) {
		return "", false, false
	}
	return k.arg(i), relu, true
}

// gemmEpilogue maps v's epilogue onto the GEMM kernel's Bias and Relu: the
// bias is a row of n elements.
func (k *kernel) gemmEpilogue(n int) (bias string, relu, ok bool) {
	return k.biasReluEpilogue(func(b *ir.Value) bool {
		sh := b.Type.Shape
		return sh.Elems(1) == n && sh[len(sh)-1] == n
	})
}

// emitMatMulGEMM emits v through GEMM kernels when its shape allows it and
// reports whether it did.
func emitMatMulGEMM(k *kernel) (bool, error) {
	v := k.v
	as := dims(v.Args[0].Type.Shape)
	bs := dims(v.Args[1].Type.Shape)
	ta, tb := v.Attrs.Bool("ta"), v.Attrs.Bool("tb")
	// b is a weight [K,N] or [N,K], or with ta [K,N] sharing a's batched K.
	if len(bs) != 2 || (bs[0].b && !ta) || bs[1].b || (ta && tb) {
		return false, nil
	}
	var m, kk dim
	if ta {
		if len(as) != 2 {
			return false, nil
		}
		kk, m = as[0], as[1]
	} else {
		m, kk = prod(as[:len(as)-1]), as[len(as)-1]
	}
	N := bs[1].k
	if tb {
		N = bs[0].k
	}
	a, b := k.arg(0), k.arg(1)
	if !ta {
		K := kk.k
		if kk.b || !gemmFits(N, K) {
			return false, nil
		}
		bias, relu, fused := k.gemmEpilogue(N)
		s := asm.GEMMSpec{N: N, K: K, TransB: tb, PackedB: tb}
		if fused {
			s.Bias, s.Relu = bias != "", relu
		}
		name := k.g.gemm(s)
		bArg := id(b)
		if tb {
			// tmp holds Bᵀ packed: for a weight, the model's packed copy
			// (packed.go), else the scratch block, packed here.
			k.scratch = s.PackedLen()
			if i, ok := k.g.packedWeight(v.Args[1], name+"PackB", N*K, s.PackedLen()); ok {
				k.pack = i + 1
			} else {
				k.add(id(name+"PackB").Call(window("tmp", L(0), lit(s.PackedLen())), id(b)))
			}
			bArg = id("tmp")
		}
		args := []jen.Code{id("hi").Op("-").Id("lo"), id(a).Index(id("lo").Op("*").Lit(K), jen.Empty()), bArg, id("dst").Index(id("lo").Op("*").Lit(N), jen.Empty())}
		if s.Bias {
			args = append(args, id(bias))
		}
		// Rows are independent: chunks of rows go to the pool's threads.
		if c, ok := k.parallel(k.size(m), 2*N*K, 0, []jen.Code{id(name).Call(args...)}); ok {
			k.add(c)
		} else {
			args = []jen.Code{k.size(m), id(a), bArg, id("dst")}
			if s.Bias {
				args = append(args, id(bias))
			}
			k.add(id(name).Call(args...))
		}
		if fused {
			return true, nil
		}
		return true, k.vectorEpilogue()
	}
	// aᵀ·b: a [K,M], b [K,N], the contracted K = kk possibly n·c.
	if m.b {
		return false, nil
	}
	M := m.k
	if !kk.b {
		if !gemmFits(N, kk.k) {
			return false, nil
		}
		name := k.g.gemm(asm.GEMMSpec{N: N, K: kk.k, TransA: true, RowsHint: M})
		k.add(id(name).Call(lit(M), id(a), id(b), id("dst")))
		return true, k.vectorEpilogue()
	}
	// K = n·c: chunks of the compiled batch's rows, then of a quarter as
	// many, and so on down to one row, so that a call with fewer rows than
	// the compiled batch (an epoch's last batch) runs a few long products
	// instead of one rank-c update per row: quarters, not halves, keep the
	// number of kernels small at up to three calls per size.
	c := kk.k
	if !gemmFits(N, c*k.batch()) {
		return false, nil
	}
	k.add(jen.Clear(id("dst")), define("p", lit(0)))
	for _, t := range rowTiers(k.batch()) {
		name := k.g.gemm(asm.GEMMSpec{N: N, K: c * t, TransA: true, Accumulate: true, RowsHint: M})
		call := id(name).Call(lit(M), id(a).Index(id("p").Op("*").Lit(M), jen.Empty()), id(b).Index(id("p").Op("*").Lit(N), jen.Empty()), id("dst"))
		k.add(jen.For(jen.Op(";").Id("p").Op("+").Lit(c * t).Op("<=").Add(k.size(kk)).Op(";").Id("p").Op("+=").Lit(c * t)).Block(call))
	}
	return true, k.vectorEpilogue()
}

// rowTiers are the row counts of the weight-gradient products over a batch
// of up to batch rows: batch, a quarter of it, a sixteenth... while above
// one, then one.
func rowTiers(batch int) []int {
	var ts []int
	for t := batch; t > 1; t /= 4 {
		ts = append(ts, t)
	}
	return append(ts, 1)
}
