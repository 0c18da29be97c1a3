package codegen

import (
	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// emitMatMul emits op(a)·op(b) in i-k-j order over contiguous rows:
//
//	a·b    rows of a scale rows of b into a row of dst (row axpy)
//	a·bᵀ   dst[i,j] = dot(row i of a, row j of b), as for x·Wᵀ with W [out,in]
//	aᵀ·b   row p of a and row p of b update dst (row axpy), as for dYᵀ·X
//	aᵀ·bᵀ  as aᵀ·b, reading b by columns
//
// Leading axes of a rank>2 a fold into the rows; the contracted axis may be
// the batch axis (aᵀ·b with both batched).
func emitMatMul(k *kernel) error {
	if done, err := emitMatMulGEMM(k); done || err != nil {
		return err
	}
	v := k.v
	as := dims(v.Args[0].Type.Shape)
	bs := dims(v.Args[1].Type.Shape)
	ta, tb := v.Attrs.Bool("ta"), v.Attrs.Bool("tb")
	a, b := k.arg(0), k.arg(1)
	var m, kk dim
	if ta {
		kk, m = as[0], as[1]
	} else {
		m, kk = prod(as[:len(as)-1]), as[len(as)-1]
	}
	n := bs[1]
	if tb {
		n = bs[0]
	}
	N := n.k
	axpy := func(c, av, br string) jen.Code {
		return jen.For(jen.List(id("j"), id("bv")).Op(":=").Range().Id(br)).Block(
			id(c).Index(id("j")).Op("+=").Id(av).Op("*").Id("bv"))
	}
	epilogueDone := false
	switch {
	case !ta && !tb:
		K := kk.k
		k.add(loop("i", k.size(m),
			define("c", window("dst", L(0).plus("i", N), lit(N))),
			jen.Clear(id("c")),
			jen.For(jen.List(id("p"), id("av")).Op(":=").Range().Add(window(a, L(0).plus("i", K), lit(K)))).Block(
				define("br", window(b, L(0).plus("p", N), lit(N))),
				axpy("c", "av", "br"))))
	case !ta && tb:
		K := kk.k
		prod := k.g.helper("dot").Call(id("ar"), window(b, L(0).plus("j", K), lit(K)))
		store := []jen.Code{id("c").Index(id("j")).Op("=").Add(prod)}
		if e, stmts, ok := k.rowEpilogue(id("s"), N); ok && ir.HasEpilogue(v) && !k.hasViews() {
			store = append(append([]jen.Code{define("s", prod)}, stmts...), id("c").Index(id("j")).Op("=").Add(e))
			epilogueDone = true
		}
		k.add(loop("i", k.size(m),
			define("ar", window(a, L(0).plus("i", K), lit(K))),
			define("c", window("dst", L(0).plus("i", N), lit(N))),
			rangeOver("j", id("c"), store...)))
	case ta && !tb:
		M := m.k
		k.add(jen.Clear(id("dst")))
		k.add(loop("p", k.size(kk),
			define("ar", window(a, L(0).plus("p", M), lit(M))),
			define("br", window(b, L(0).plus("p", N), lit(N))),
			jen.For(jen.List(id("i"), id("av")).Op(":=").Range().Id("ar")).Block(
				define("c", window("dst", L(0).plus("i", N), lit(N))),
				axpy("c", "av", "br"))))
	default:
		M, K := m.k, kk.k
		k.add(jen.Clear(id("dst")))
		k.add(loop("p", lit(K),
			define("ar", window(a, L(0).plus("p", M), lit(M))),
			jen.For(jen.List(id("i"), id("av")).Op(":=").Range().Id("ar")).Block(
				define("c", window("dst", L(0).plus("i", N), lit(N))),
				rangeOver("j", id("c"),
					id("c").Index(id("j")).Op("+=").Id("av").Op("*").Id(b).Index(L(0).plus("j", K).plus("p", 1).code())))))
	}
	if epilogueDone {
		return nil
	}
	return k.vectorEpilogue()
}
