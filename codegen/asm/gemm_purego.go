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

// genericGEMM adds the Go twin of s. It computes C in tiles of up to
// twinRows×twinCols elements, each summed in scalar accumulators in the
// reference loop's order (p ascending, then C, bias and relu), so that Go
// keeps them in registers: about four times fewer loads and stores than
// updating a row of C per step.
func genericGEMM(f *jen.File, s GEMMSpec) {
	name := s.variant(variantGeneric)
	f.Comment(fmt.Sprintf("%s is %s in Go:", name, s.Name))
	f.Comment("")
	for _, l := range referenceLoop(s) {
		f.Comment("\t" + l)
	}
	rowLoop := func(rows int) []jen.Code {
		var cs []jen.Code
		if s.N >= twinCols {
			cs = append(cs, jen.For(jen.Op(";").Id("j").Op("+").Lit(twinCols).Op("<=").Lit(s.N).Op(";").Id("j").Op("+=").Lit(twinCols)).Block(twinTile(s, rows, twinCols)...))
		}
		if s.N%twinCols != 0 {
			cs = append(cs, jen.For(jen.Op(";").Id("j").Op("<").Lit(s.N).Op(";").Id("j").Op("++")).Block(twinTile(s, rows, 1)...))
		}
		return append([]jen.Code{jen.Id("j").Op(":=").Lit(0)}, cs...)
	}
	f.Func().Id(name).Params(gemmParams(s)...).Block(
		jen.Id("i").Op(":=").Lit(0),
		jen.For(jen.Op(";").Id("i").Op("+").Lit(twinRows).Op("<=").Id("m").Op(";").Id("i").Op("+=").Lit(twinRows)).Block(rowLoop(twinRows)...),
		jen.For(jen.Op(";").Id("i").Op("<").Id("m").Op(";").Id("i").Op("++")).Block(rowLoop(1)...),
	)
}

// Tile of the Go twins: twinRows·twinCols accumulators, twinRows loads of
// A and twinCols of B per step, within Go's 15 free float registers.
const twinRows, twinCols = 2, 4

// twinTile returns the code computing C(i:i+rows, j:j+cols).
func twinTile(s GEMMSpec, rows, cols int) []jen.Code {
	K, N, L := jen.Lit(s.K), jen.Lit(s.N), jen.Lit(s.ldb())
	id := func(f string, a ...any) *jen.Statement { return jen.Id(fmt.Sprintf(f, a...)) }
	plus := func(v string, k int) *jen.Statement {
		if k == 0 {
			return jen.Id(v)
		}
		return jen.Parens(jen.Id(v).Op("+").Lit(k))
	}
	var code, accs, step []jen.Code
	for r := range rows {
		for q := range cols {
			accs = append(accs, id("c%d%d", r, q))
		}
	}
	code = append(code, jen.Var().List(accs...).Id(s.elem()))
	// Rows of A, and rows of B when it is not packed, as slices of length K.
	for r := range rows {
		if !s.TransA {
			code = append(code, id("a%d", r).Op(":=").Id("a").Index(plus("i", r).Op("*").Add(K).Op(":").Add(plus("i", r)).Op("*").Add(K).Op("+").Add(K)))
		}
	}
	for q := range cols {
		if !s.readsPackedB() {
			code = append(code, id("b%d", q).Op(":=").Id("b").Index(plus("j", q).Op("*").Add(K).Op(":").Add(plus("j", q)).Op("*").Add(K).Op("+").Add(K)))
		}
	}
	if s.readsPackedB() {
		step = append(step, jen.Id("bq").Op(":=").Id("b").Index(jen.Id("p").Op("*").Add(L).Op("+").Id("j").Op(":").Id("p").Op("*").Add(L).Op("+").Id("j").Op("+").Lit(cols)))
	}
	for r := range rows {
		x := id("a%d", r).Index(jen.Id("p"))
		if s.TransA {
			x = jen.Id("a").Index(jen.Id("p").Op("*").Id("m").Op("+").Add(plus("i", r)))
		}
		step = append(step, id("x%d", r).Op(":=").Add(x))
	}
	for q := range cols {
		y := id("b%d", q).Index(jen.Id("p"))
		if s.readsPackedB() {
			y = jen.Id("bq").Index(jen.Lit(q))
		}
		step = append(step, id("y%d", q).Op(":=").Add(y))
	}
	for r := range rows {
		for q := range cols {
			step = append(step, id("c%d%d", r, q).Op("+=").Add(id("x%d", r)).Op("*").Add(id("y%d", q)))
		}
	}
	code = append(code, forLt("p", K).Block(step...))
	// Epilogue, element by element as in the reference loop.
	for r := range rows {
		for q := range cols {
			cij := jen.Id("c").Index(plus("i", r).Op("*").Add(N).Op("+").Id("j").Op("+").Lit(q))
			if q == 0 {
				cij = jen.Id("c").Index(plus("i", r).Op("*").Add(N).Op("+").Id("j"))
			}
			v := id("c%d%d", r, q)
			if s.Accumulate {
				code = append(code, v.Clone().Op("+=").Add(cij))
			}
			if s.Bias {
				code = append(code, v.Clone().Op("+=").Id("bias").Index(plus("j", q)))
			}
			if s.Relu {
				code = append(code, jen.If(v.Clone().Op("<").Lit(0)).Block(v.Clone().Op("=").Lit(0)))
			}
			code = append(code, cij.Clone().Op("=").Add(v.Clone()))
		}
	}
	return code
}

// packB adds the Go twin of the packing routine of s, which lays B [N,K]
// out as Bᵀ [K,N] for the kernel; it is the routine itself when there is
// no assembly.
func packB(f *jen.File, s GEMMSpec) {
	N, K, L := jen.Lit(s.N), jen.Lit(s.K), jen.Lit(s.PackedStride())
	name := s.packName()
	if hasAsmPack(s) {
		name = s.packVariant(variantGeneric)
		f.Comment(fmt.Sprintf("%s is %s in Go.", name, s.packName()))
	} else {
		for _, l := range packDoc(s) {
			f.Comment(l)
		}
	}
	T := jen.Index().Id(s.elem())
	body := []jen.Code{
		jen.Id("bp").Op("=").Id("bp").Index(jen.Op(":").Lit(s.PackedLen())),
		forLt("j", N).Block(
			jen.Id("br").Op(":=").Id("b").Index(jen.Id("j").Op("*").Add(K).Op(":").Id("j").Op("*").Add(K).Op("+").Add(K)),
			jen.For(jen.List(jen.Id("p"), jen.Id("v")).Op(":=").Range().Id("br")).Block(
				jen.Id("bp").Index(jen.Id("p").Op("*").Add(L).Op("+").Id("j")).Op("=").Id("v"),
			),
		),
	}
	if off, cols, stride := s.PackedTail(); cols > 0 {
		// The tail's columns again, as rows padded with zeros.
		body = append(body, forLt("t", jen.Lit(cols)).Block(
			jen.Id("row").Op(":=").Id("bp").Index(jen.Lit(off).Op("+").Id("t").Op("*").Lit(stride).Op(":").Lit(off).Op("+").Id("t").Op("*").Lit(stride).Op("+").Lit(stride)),
			jen.Id("n").Op(":=").Copy(jen.Id("row"), jen.Id("b").Index(jen.Parens(jen.Lit(s.N-cols).Op("+").Id("t")).Op("*").Add(K).Op(":").Parens(jen.Lit(s.N-cols).Op("+").Id("t").Op("+").Lit(1)).Op("*").Add(K))),
			jen.Clear(jen.Id("row").Index(jen.Id("n").Op(":"))),
		))
	}
	f.Func().Id(name).Params(jen.List(jen.Id("bp"), jen.Id("b")).Add(T)).Block(body...)
}

// packDoc returns the doc comment lines of the packing routine of s.
func packDoc(s GEMMSpec) []string {
	doc := []string{
		fmt.Sprintf("%s packs B [%d,%d] into bp [%d,%d] for %s:", s.packName(), s.N, s.K, s.K, s.PackedStride(), s.Name),
		"",
		fmt.Sprintf("\tbp[p*%d+j] = b[j*%d+p] for j < %d, p < %d", s.PackedStride(), s.K, s.N, s.K),
	}
	if off, cols, stride := s.PackedTail(); cols > 0 {
		doc = append(doc,
			fmt.Sprintf("\tbp[%d+t*%d+p] = b[(%d+t)*%d+p] for t < %d, p < %d, then zeros to %d", off, stride, s.N-cols, s.K, cols, s.K, stride))
	}
	return append(doc,
		"",
		fmt.Sprintf("It needs len(bp) ≥ %d and len(b) ≥ %d, bp not overlapping b.", s.PackedLen(), s.N*s.K),
	)
}

// referenceLoop returns the loop that defines s, one source line each.
func referenceLoop(s GEMMSpec) []string {
	aip := fmt.Sprintf("a[i*%d+p]", s.K)
	if s.TransA {
		aip = "a[p*m+i]"
	}
	bpj := fmt.Sprintf("b[p*%d+j]", s.ldb())
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
