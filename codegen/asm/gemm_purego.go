package asm

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// renderGeneric returns the file of pure-Go twins and B packing routines.
func renderGeneric(cfg Config, specs []GEMMSpec) ([]byte, error) {
	f := newGoFile(cfg, "")
	for _, s := range specs {
		genericGEMM(f, s)
		if s.PackedB {
			packB(f, s)
		}
	}
	return render(f)
}

// genericGEMM adds the Go twin of s: row i of C is summed in s[:] by rank-1
// updates (or dot products for an unpacked Bᵀ), then finished like the
// assembly's epilogue, so both add in the reference loop's order.
func genericGEMM(f *jen.File, s GEMMSpec) {
	name := s.variant(variantGeneric)
	f.Comment(fmt.Sprintf("%s is %s in Go:", name, s.Name))
	f.Comment("")
	for _, l := range referenceLoop(s) {
		f.Comment("\t" + l)
	}
	T := jen.Id(s.elem())
	body := []jen.Code{
		jen.Var().Id("s").Index(jen.Lit(s.N)).Add(T),
		forLt("i", jen.Id("m")).Block(append(append([]jen.Code{
			jen.Clear(jen.Id("s").Index(jen.Op(":"))),
		}, genericRow(s)...), genericEpilogue(s)...)...),
	}
	f.Func().Id(name).Params(gemmParams(s)...).Block(body...)
}

// genericRow sums row i of A·B into s.
func genericRow(s GEMMSpec) []jen.Code {
	N, K := jen.Lit(s.N), jen.Lit(s.K)
	aip := jen.Id("a").Index(jen.Id("p").Op("*").Id("m").Op("+").Id("i")) // A(i,p) with TransA
	var pre []jen.Code
	if !s.TransA {
		pre = []jen.Code{jen.Id("ar").Op(":=").Id("a").Index(jen.Id("i").Op("*").Add(K).Op(":").Id("i").Op("*").Add(K).Op("+").Add(K))}
		aip = jen.Id("ar").Index(jen.Id("p"))
	}
	if !s.readsPackedB() {
		return append(pre, jen.For(jen.Id("j").Op(":=").Range().Id("s")).Block(
			jen.Id("br").Op(":=").Id("b").Index(jen.Id("j").Op("*").Add(K).Op(":").Id("j").Op("*").Add(K).Op("+").Add(K)),
			jen.Var().Id("d").Id(s.elem()),
			jen.For(jen.List(jen.Id("p"), jen.Id("bv")).Op(":=").Range().Id("br")).Block(
				jen.Id("d").Op("+=").Add(aip).Op("*").Id("bv"),
			),
			jen.Id("s").Index(jen.Id("j")).Op("=").Id("d"),
		))
	}
	return append(pre, forLt("p", K).Block(
		jen.Id("av").Op(":=").Add(aip),
		jen.Id("br").Op(":=").Id("b").Index(jen.Id("p").Op("*").Add(N).Op(":").Id("p").Op("*").Add(N).Op("+").Add(N)),
		jen.For(jen.List(jen.Id("j"), jen.Id("bv")).Op(":=").Range().Id("br")).Block(
			jen.Id("s").Index(jen.Id("j")).Op("+=").Id("av").Op("*").Id("bv"),
		),
	))
}

// genericEpilogue adds C and bias to s, applies relu and stores row i.
func genericEpilogue(s GEMMSpec) []jen.Code {
	N := jen.Lit(s.N)
	fin := []jen.Code{jen.Id("v").Op(":=").Id("s").Index(jen.Id("j"))}
	if s.Accumulate {
		fin = append(fin, jen.Id("v").Op("+=").Id("cr").Index(jen.Id("j")))
	}
	if s.Bias {
		fin = append(fin, jen.Id("v").Op("+=").Id("bias").Index(jen.Id("j")))
	}
	if s.Relu {
		fin = append(fin, jen.If(jen.Id("v").Op("<").Lit(0)).Block(jen.Id("v").Op("=").Lit(0)))
	}
	fin = append(fin, jen.Id("cr").Index(jen.Id("j")).Op("=").Id("v"))
	return []jen.Code{
		jen.Id("cr").Op(":=").Id("c").Index(jen.Id("i").Op("*").Add(N).Op(":").Id("i").Op("*").Add(N).Op("+").Add(N)),
		jen.For(jen.Id("j").Op(":=").Range().Id("cr")).Block(fin...),
	}
}

// packB adds NamePackB, which lays B [N,K] out as Bᵀ [K,N] for the kernel.
func packB(f *jen.File, s GEMMSpec) {
	N, K := jen.Lit(s.N), jen.Lit(s.K)
	f.Comment(fmt.Sprintf("%s packs B [%d,%d] into bp [%d,%d] for %s:", s.packName(), s.N, s.K, s.K, s.N, s.Name))
	f.Comment("")
	f.Comment(fmt.Sprintf("\tbp[p*%d+j] = b[j*%d+p] for j < %d, p < %d", s.N, s.K, s.N, s.K))
	f.Comment("")
	f.Comment(fmt.Sprintf("It needs len(bp) ≥ %d and len(b) ≥ %d.", s.N*s.K, s.N*s.K))
	T := jen.Index().Id(s.elem())
	f.Func().Id(s.packName()).Params(jen.List(jen.Id("bp"), jen.Id("b")).Add(T)).Block(
		jen.Id("bp").Op("=").Id("bp").Index(jen.Op(":").Lit(s.N*s.K)),
		forLt("j", N).Block(
			jen.Id("br").Op(":=").Id("b").Index(jen.Id("j").Op("*").Add(K).Op(":").Id("j").Op("*").Add(K).Op("+").Add(K)),
			jen.For(jen.List(jen.Id("p"), jen.Id("v")).Op(":=").Range().Id("br")).Block(
				jen.Id("bp").Index(jen.Id("p").Op("*").Add(N).Op("+").Id("j")).Op("=").Id("v"),
			),
		),
	)
}

// referenceLoop returns the loop that defines s, one source line each.
func referenceLoop(s GEMMSpec) []string {
	aip := fmt.Sprintf("a[i*%d+p]", s.K)
	if s.TransA {
		aip = "a[p*m+i]"
	}
	bpj := fmt.Sprintf("b[p*%d+j]", s.N)
	if !s.readsPackedB() {
		bpj = fmt.Sprintf("b[j*%d+p]", s.K)
	}
	cij := fmt.Sprintf("c[i*%d+j]", s.N)
	ls := []string{
		"for i := 0; i < m; i++ {",
		fmt.Sprintf("\tfor j := 0; j < %d; j++ {", s.N),
		"\t\tvar s " + s.elem(),
		fmt.Sprintf("\t\tfor p := 0; p < %d; p++ {", s.K),
		fmt.Sprintf("\t\t\ts += %s * %s", aip, bpj),
		"\t\t}",
	}
	if s.Accumulate {
		ls = append(ls, "\t\ts += "+cij)
	}
	if s.Bias {
		ls = append(ls, "\t\ts += bias[j]")
	}
	if s.Relu {
		ls = append(ls, "\t\tif s < 0 {", "\t\t\ts = 0", "\t\t}")
	}
	return append(ls, fmt.Sprintf("\t\t%s = s", cij), "\t}", "}")
}

// gemmParams returns the parameters of a GEMM kernel.
func gemmParams(s GEMMSpec) []jen.Code {
	T := jen.Index().Id(s.elem())
	ps := []jen.Code{jen.Id("m").Int(), jen.List(jen.Id("a"), jen.Id("b"), jen.Id("c")).Add(T)}
	if s.Bias {
		ps = append(ps, jen.Id("bias").Add(T))
	}
	return ps
}

// forLt returns the head of "for v := 0; v < n; v++".
func forLt(v string, n jen.Code) *jen.Statement {
	return jen.For(jen.Id(v).Op(":=").Lit(0), jen.Id(v).Op("<").Add(n), jen.Id(v).Op("++"))
}
