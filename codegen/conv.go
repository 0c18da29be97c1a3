package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
)

// pair reads an [h,w] attribute, def for both when absent.
func pair(a ir.Attrs, key string, def int) (int, int) {
	if v := a.Ints(key); len(v) == 2 {
		return v[0], v[1]
	}
	return def, def
}

// convGeom is the geometry of a 2-D convolution, NCHW: input [N,C,H,W],
// weight [O,C,KH,KW], output [N,O,OH,OW].
//
// The three convolution kernels work one sample at a time through the
// im2col matrix of the sample, col [C·KH·KW, OH·OW] (row k = (c,p,q) holds
// the input each output position reads through tap (p,q) of channel c, 0 in
// the padding), kept in the model's scratch block. Every convolution then
// becomes a product with rows of OH·OW elements, long contiguous loops:
//
//	forward      out[o] = Σ_k w[o,k]·col[k]        (row axpy)
//	grad weight  dw[o,k] += dot(dy[o], col[k])
//	grad input   dcol[k] = Σ_o w[o,k]·dy[o], then dx += col2im(dcol)
//
// When the shapes fit (gemmFits), each is one GEMM kernel call per sample
// (gemm.go): out = w·col, dcol = wᵀ·dy, dw += dy·colᵀ (col packed).
type convGeom struct {
	n                 dim
	c, h, w           int
	o, kh, kw, oh, ow int
	sh, sw, ph, pw    int
	dh, dw            int
	ft                jen.Code // the element type, for copyRow
}

func newConvGeom(a ir.Attrs, x, w, out ir.Shape) convGeom {
	g := convGeom{n: dims(x)[0], c: x[1], h: x[2], w: x[3], o: w[0], kh: w[2], kw: w[3], oh: out[2], ow: out[3]}
	g.sh, g.sw = pair(a, "stride", 1)
	g.ph, g.pw = pair(a, "pad", 0)
	g.dh, g.dw = pair(a, "dilation", 1)
	return g
}

func (g convGeom) taps() int   { return g.c * g.kh * g.kw } // rows of col
func (g convGeom) pixels() int { return g.oh * g.ow }       // columns of col
func (g convGeom) inSize() int { return g.c * g.h * g.w }   // one input sample

// cols renders the loops over the rows of col, with cr the row (c,p,q) and
// xp the input plane c; seg(i) is called for each output row i whose input
// row is inside the image, with "seg" the row's in-bounds output columns
// [j0, j1) and xr the input from the first of them on.
func (g convGeom) cols(k *kernel, xs string, clearRows bool, seg []jen.Code) jen.Code {
	pix := g.pixels()
	qBody := []jen.Code{
		jen.List(id("j0"), id("j1")).Op(":=").Add(k.g.helper("convRange")).Call(lit(g.w), lit(g.ow), lit(g.sw), L(-g.pw).plus("q", g.dw).code()),
		define("cr", window("tmp", L(0).plus("c", g.kh*g.kw*pix).plus("p", g.kw*pix).plus("q", pix), lit(pix))),
	}
	if clearRows && (g.ph > 0 || g.pw > 0) {
		qBody = append(qBody, jen.Clear(id("cr")))
	}
	xOff := L(-g.ph*g.w-g.pw).plus("i", g.sh*g.w).plus("p", g.dh*g.w).plus("j0", g.sw).plus("q", g.dw)
	qBody = append(qBody, loopFrom("i", id("i0"), id("i1"), append([]jen.Code{
		define("seg", id("cr").Index(L(0).plus("i", g.ow).plus("j0", 1).code(), L(0).plus("i", g.ow).plus("j1", 1).code())),
		define("xr", id("xp").Index(xOff.code(), jen.Empty())),
	}, seg...)...))
	return loop("c", lit(g.c),
		define("xp", window(xs, L(0).plus("c", g.h*g.w), lit(g.h*g.w))),
		loop("p", lit(g.kh),
			jen.List(id("i0"), id("i1")).Op(":=").Add(k.g.helper("convRange")).Call(lit(g.h), lit(g.oh), lit(g.sh), L(-g.ph).plus("p", g.dh).code()),
			loop("q", lit(g.kw), qBody...)))
}

// plain reports whether no window clips (no padding): every row of col
// then reads whole output rows, with constant bounds.
func (g convGeom) plain() bool { return g.ph == 0 && g.pw == 0 }

// plainCols is cols without padding: seg renders the work on output row i
// of col row cr with xr the input from the row's first tap on.
func (g convGeom) plainCols(xs, cols string, seg []jen.Code) jen.Code {
	pix := g.pixels()
	xOff := L(0).plus("i", g.sh*g.w).plus("p", g.dh*g.w).plus("q", g.dw)
	return loop("c", lit(g.c),
		define("xp", window(xs, L(0).plus("c", g.h*g.w), lit(g.h*g.w))),
		loop("p", lit(g.kh),
			loop("q", lit(g.kw),
				define("cr", window(cols, L(0).plus("c", g.kh*g.kw*pix).plus("p", g.kw*pix).plus("q", pix), lit(pix))),
				loop("i", lit(g.oh), append([]jen.Code{
					define("xr", id("xp").Index(xOff.code(), jen.Empty())),
				}, seg...)...))))
}

// rowArray renders (*[ow]T)(s[off:]): a fixed-size view whose copies and
// loops need no bounds checks or memmove calls.
func (g convGeom) rowArray(k *kernel, s jen.Code, n int) *jen.Statement {
	return jen.Parens(jen.Op("*").Index(lit(n)).Add(k.g.ft())).Call(s)
}

// im2col renders filling tmp with the im2col matrix of input sample xs.
func (g convGeom) im2col(k *kernel, xs string) jen.Code {
	if g.plain() {
		dstRow := id("cr").Index(L(0).plus("i", g.ow).code(), jen.Empty())
		if g.sw == 1 {
			return g.plainCols(xs, "tmp", []jen.Code{
				jen.Op("*").Add(g.rowArray(k, dstRow, g.ow)).Op("=").Op("*").Add(g.rowArray(k, id("xr"), g.ow))})
		}
		return g.plainCols(xs, "tmp", []jen.Code{
			define("seg", g.rowArray(k, dstRow, g.ow)),
			rangeOver("j", id("seg"), id("seg").Index(id("j")).Op("=").Id("xr").Index(id("j").Op("*").Lit(g.sw)))})
	}
	var fill jen.Code
	if g.sw == 1 {
		fill = jen.Copy(id("seg"), id("xr"))
	} else {
		fill = rangeOver("j", id("seg"), id("seg").Index(id("j")).Op("=").Id("xr").Index(id("j").Op("*").Lit(g.sw)))
	}
	return g.cols(k, xs, true, []jen.Code{fill})
}

// col2im renders adding the im2col-shaped tmp into input sample xs.
func (g convGeom) col2im(k *kernel, xs string) jen.Code {
	if g.plain() {
		srcRow := id("cr").Index(L(0).plus("i", g.ow).code(), jen.Empty())
		if g.sw == 1 {
			return g.plainCols(xs, "tmp", []jen.Code{
				define("seg", g.rowArray(k, srcRow, g.ow)),
				define("xa", g.rowArray(k, id("xr"), g.ow)),
				rangeOver("j", id("seg"), id("xa").Index(id("j")).Op("+=").Id("seg").Index(id("j")))})
		}
		return g.plainCols(xs, "tmp", []jen.Code{
			define("seg", g.rowArray(k, srcRow, g.ow)),
			jen.For(jen.List(id("j"), id("v")).Op(":=").Range().Id("seg")).Block(id("xr").Index(id("j").Op("*").Lit(g.sw)).Op("+=").Id("v"))})
	}
	if g.sw == 1 {
		return g.cols(k, xs, false, []jen.Code{
			id("xr").Op("=").Id("xr").Index(jen.Empty(), jen.Len(id("seg"))),
			jen.For(jen.List(id("j"), id("v")).Op(":=").Range().Id("seg")).Block(id("xr").Index(id("j")).Op("+=").Id("v"))})
	}
	return g.cols(k, xs, false, []jen.Code{
		jen.For(jen.List(id("j"), id("v")).Op(":=").Range().Id("seg")).Block(id("xr").Index(id("j").Op("*").Lit(g.sw)).Op("+=").Id("v"))})
}

// samples renders the loop over the batch with xb and yb the sample's
// input and output (windows of x and y).
func (g convGeom) samples(k *kernel, x, y string, body ...jen.Code) jen.Code {
	head := []jen.Code{
		define("xb", window(x, L(0).plus("b", g.inSize()), lit(g.inSize()))),
		define("yb", window(y, L(0).plus("b", g.o*g.pixels()), lit(g.o*g.pixels()))),
	}
	return loop("b", k.size(g.n), append(head, body...)...)
}

// parSamples is samples split over the pool's threads (each sample is
// independent and uses its chunk's scratch), or samples when the kernel
// cannot be parallel. work is the floating-point work of one sample.
func (g convGeom) parSamples(k *kernel, x, y string, work int, body ...jen.Code) jen.Code {
	head := []jen.Code{
		define("xb", window(x, L(0).plus("b", g.inSize()), lit(g.inSize()))),
		define("yb", window(y, L(0).plus("b", g.o*g.pixels()), lit(g.o*g.pixels()))),
	}
	rows := loopFrom("b", id("lo"), id("hi"), append(head, body...)...)
	if c, ok := k.parallel(k.size(g.n), work, k.scratch, []jen.Code{rows}); ok {
		return c
	}
	return g.samples(k, x, y, body...)
}

// work is the floating-point work of one sample's product.
func (g convGeom) work() int { return 2 * g.o * g.taps() * g.pixels() }

// tapLoop renders the loop over the rows t of col (with cr the row of
// slice cols) and, inside it, over the output channels o (with wv =
// w[o,t] and gr the row o of the sample's output or output gradient yb):
// the rows of the sample's output stay in cache while col streams by once.
// Without w, wv is not defined.
func (g convGeom) tapLoop(cols, w string, pre []jen.Code, body ...jen.Code) jen.Code {
	pix, taps := g.pixels(), g.taps()
	inner := []jen.Code{define("gr", window("yb", L(0).plus("o", pix), lit(pix)))}
	if w != "" {
		inner = append(inner, define("wv", id(w).Index(L(0).plus("o", taps).plus("t", 1).code())))
	}
	return loop("t", lit(taps), append(append([]jen.Code{
		define("cr", window(cols, L(0).plus("t", pix), lit(pix)))}, pre...),
		loop("o", lit(g.o), append(inner, body...)...))...)
}

// Wide convolutions. Without padding and with stride 1, a convolution can
// run on output rows as wide as the input rows: pixel (i, j) for j < W
// instead of j < OW. Row t = (c,p,q) of the wide im2col matrix, colw
// [C·KH·KW, OH·W], is then the contiguous run x[c, p·dh, q·dw :][:OH·W] of
// the input plane, copied in one piece instead of OH pieces of OW. The
// columns j >= OW are junk: the forward product drops them, and the
// gradients give them a zero output gradient (dyw, dy widened with zeros).
// Every real column reads inside its plane; a junk one may read past the
// sample's end, and is zeroed where it would.

// wide reports whether the convolution runs wide.
func (g convGeom) wide() bool { return useWideConv && g.plain() && g.sh == 1 && g.sw == 1 }

// useWideConv turns wide convolutions on; tests may clear it to compare.
var useWideConv = true

// wp is the number of columns of the wide im2col matrix.
func (g convGeom) wp() int { return g.oh * g.w }

// wideCols renders filling cols [C·KH·KW, OH·W] with the wide im2col matrix
// of sample xs. Columns that fall past the sample's end keep what cols held:
// they only feed the junk columns of the wide output.
func (g convGeom) wideCols(xs, cols string) jen.Code {
	wp := g.wp()
	off := L(0).plus("c", g.h*g.w).plus("p", g.dh*g.w).plus("q", g.dw)
	return loop("c", lit(g.c), loop("p", lit(g.kh), loop("q", lit(g.kw),
		define("cr", window(cols, L(0).plus("c", g.kh*g.kw*wp).plus("p", g.kw*wp).plus("q", wp), lit(wp))),
		jen.Copy(id("cr"), id(xs).Index(off.code(), jen.Empty())))))
}

// widenDy renders filling dyw [O, OH·W] with output gradient sample ys,
// zero in the junk columns.
func (g convGeom) widenDy(ys, dyw string) []jen.Code {
	return []jen.Code{
		jen.Clear(id(dyw)),
		loop("o", lit(g.o), loop("i", lit(g.oh),
			g.copyRow(window(dyw, L(0).plus("o", g.wp()).plus("i", g.w), lit(g.ow)),
				window(ys, L(0).plus("o", g.pixels()).plus("i", g.ow), lit(g.ow))))),
	}
}

// copyRow renders copying an output row, src to dst, both of OW elements:
// as one array assignment for short rows, which the compiler turns into a
// few vector moves, where a memmove call costs more than the copy.
func (g convGeom) copyRow(dst, src jen.Code) jen.Code {
	if g.ow > 32 {
		return jen.Copy(dst, src)
	}
	arr := jen.Index(lit(g.ow)).Add(g.ft)
	return jen.Op("*").Parens(jen.Op("*").Add(arr)).Parens(dst).Op("=").Add(arr).Parens(src)
}

// narrowY renders copying the real columns of the wide output yw [O, OH·W]
// into output sample ys.
func (g convGeom) narrowY(yw, ys string) jen.Code {
	return loop("o", lit(g.o), loop("i", lit(g.oh),
		g.copyRow(window(ys, L(0).plus("o", g.pixels()).plus("i", g.ow), lit(g.ow)),
			window(yw, L(0).plus("o", g.wp()).plus("i", g.w), lit(g.ow)))))
}

// wideCol2im renders adding the wide dcol [C·KH·KW, OH·W] in cols into
// input sample xs (junk columns are zero; those past the sample's end are
// skipped). For each channel c and tap row p, the KW rows q of dcol land
// on the input shifted by q·dw, so one pass adds them all:
//
//	x[c, p·dh, m] += dcol[c,p,0][m] + dcol[c,p,1][m-dw] + ...
//
// adding in the order of the taps, as one pass per tap would. The first and
// last (KW-1)·dw positions, where some shifted rows do not reach, take the
// taps that do.
func (g convGeom) wideCol2im(xs, cols string) jen.Code {
	wp, e := g.wp(), (g.kw-1)*g.dw
	row := func(q int, j jen.Code) *jen.Statement {
		return id(cols).Index(L(0).plus("r", wp).add(q * wp).code().Op("+").Add(j))
	}
	l := wp - e
	main := []jen.Code{define("xa", id(xs).Index(L(0).plus("base", 1).add(e).code(), jen.Empty()).Index(jen.Empty(), lit(l)))}
	sum := id("xa").Index(id("m"))
	for q := range g.kw {
		a := fmt.Sprintf("a%d", q)
		main = append(main, define(a, id(cols).Index(L(0).plus("r", wp).add(q*wp+e-q*g.dw).code(), jen.Empty()).Index(jen.Empty(), lit(l))))
		sum = sum.Op("+").Id(a).Index(id("m"))
	}
	main = append(main, rangeOver("m", id("xa"), id("xa").Index(id("m")).Op("=").Add(sum)))
	edge := func(lo, hi jen.Code, cond func(j jen.Code) jen.Code) jen.Code {
		var taps []jen.Code
		for q := range g.kw {
			j := id("m")
			if q > 0 {
				j = id("m").Op("-").Lit(q * g.dw)
			}
			taps = append(taps, jen.If(cond(j)).Block(id(xs).Index(id("base").Op("+").Id("m")).Op("+=").Add(row(q, j))))
		}
		return loopFrom("m", lo, hi, taps...)
	}
	body := []jen.Code{
		define("base", L(0).plus("c", g.h*g.w).plus("p", g.dh*g.w).code()),
		define("r", L(0).plus("c", g.kh*g.kw).plus("p", g.kw).code()),
	}
	if e > 0 {
		body = append(body, edge(lit(0), lit(e), func(j jen.Code) jen.Code { return jen.Add(j).Op(">=").Lit(0) }))
	}
	body = append(body, main...)
	if e > 0 {
		body = append(body, edge(lit(wp), id("min").Call(lit(wp+e), jen.Len(id(xs)).Op("-").Id("base")),
			func(j jen.Code) jen.Code { return jen.Add(j).Op("<").Lit(wp) }))
	}
	return loop("c", lit(g.c), loop("p", lit(g.kh), body...))
}

// emitConv2d emits PyTorch's conv2d without bias, a cross-correlation:
// out[b,o,i,j] = Σ_c,p,q x[b,c,i*sh-ph+p*dh, j*sw-pw+q*dw] · w[o,c,p,q].
// The epilogue runs per sample, right after the sample's product.
func emitConv2d(k *kernel) error {
	v := k.v
	g := newConvGeom(v.Attrs, v.Args[0].Type.Shape, v.Args[1].Type.Shape, v.Type.Shape)
	g.ft = k.g.ft()
	if ok, err := emitConv2dDirect(k, g); ok || err != nil {
		return err
	}
	x, w := k.arg(0), k.arg(1)
	k.scratch = g.taps() * g.pixels()
	epi, perSample, err := k.sampleEpilogue("b")
	if err != nil {
		return err
	}
	var body []jen.Code
	switch {
	case g.wide() && gemmFits(g.wp(), g.taps()):
		cols := g.taps() * g.wp()
		k.scratch = cols + g.o*g.wp()
		name := k.g.gemm(asm.GEMMSpec{N: g.wp(), K: g.taps()})
		body = []jen.Code{
			g.wideCols("xb", "tmp"),
			define("yw", window("tmp", L(cols), lit(g.o*g.wp()))),
			id(name).Call(lit(g.o), id(w), window("tmp", L(0), lit(cols)), id("yw"))}
		// The epilogue reads the real columns of yw and writes the
		// sample: no separate narrowing pass.
		if perSample && epi != nil {
			epi, _, err = k.sampleEpilogueFrom("b", &operand{name: "yw", strides: []int{g.wp(), g.w, 1}})
			if err != nil {
				return err
			}
			body = append(body, id("_").Op("=").Id("yb"))
		} else {
			body = append(body, g.narrowY("yw", "yb"))
		}
	case gemmFits(g.pixels(), g.taps()):
		name := k.g.gemm(asm.GEMMSpec{N: g.pixels(), K: g.taps()})
		body = []jen.Code{g.im2col(k, "xb"), id(name).Call(lit(g.o), id(w), id("tmp"), id("yb"))}
	default:
		body = []jen.Code{
			g.im2col(k, "xb"),
			jen.Clear(id("yb")),
			g.tapLoop("tmp", w, nil,
				jen.For(jen.List(id("j"), id("cv")).Op(":=").Range().Id("cr")).Block(
					id("gr").Index(id("j")).Op("+=").Id("wv").Op("*").Id("cv")))}
	}
	if perSample && epi != nil {
		body = append(body, epi)
	}
	k.add(g.parSamples(k, x, "dst", g.work(), body...))
	if !perSample {
		return k.emitEpilogue()
	}
	return nil
}

// emitConv2dGradInput (dy, w) emits the adjoint of conv2d in x: each
// sample's dcol = wᵀ·dy, scattered back with col2im, then the epilogue on
// the sample.
func emitConv2dGradInput(k *kernel) error {
	v := k.v
	g := newConvGeom(v.Attrs, v.Type.Shape, v.Args[1].Type.Shape, v.Args[0].Type.Shape)
	g.ft = k.g.ft()
	if ok, err := emitConv2dGradInputDirect(k, g); ok || err != nil {
		return err
	}
	dy, w := k.arg(0), k.arg(1)
	k.scratch = g.taps() * g.pixels()
	epi, perSample, err := k.sampleEpilogue("b")
	if err != nil {
		return err
	}
	var body []jen.Code
	switch {
	case g.wide() && gemmFits(g.wp(), g.o):
		cols := g.taps() * g.wp()
		k.scratch = cols + g.o*g.wp()
		name := k.g.gemm(asm.GEMMSpec{N: g.wp(), K: g.o, TransA: true, RowsHint: g.taps()})
		body = append([]jen.Code{define("dyw", window("tmp", L(cols), lit(g.o*g.wp())))}, g.widenDy("yb", "dyw")...)
		body = append(body,
			id(name).Call(lit(g.taps()), id(w), id("dyw"), window("tmp", L(0), lit(cols))),
			jen.Clear(id("xb")),
			g.wideCol2im("xb", "tmp"))
	case gemmFits(g.pixels(), g.o):
		name := k.g.gemm(asm.GEMMSpec{N: g.pixels(), K: g.o, TransA: true, RowsHint: g.taps()})
		body = []jen.Code{jen.Clear(id("xb")), id(name).Call(lit(g.taps()), id(w), id("yb"), id("tmp")), g.col2im(k, "xb")}
	default:
		body = []jen.Code{
			jen.Clear(id("xb")),
			g.tapLoop("tmp", w, []jen.Code{jen.Clear(id("cr"))},
				jen.For(jen.List(id("j"), id("gv")).Op(":=").Range().Id("gr")).Block(
					id("cr").Index(id("j")).Op("+=").Id("wv").Op("*").Id("gv"))),
			g.col2im(k, "xb")}
	}
	if perSample && epi != nil {
		body = append(body, epi)
	}
	k.add(g.parSamples(k, "dst", dy, g.work(), body...))
	if !perSample {
		return k.emitEpilogue()
	}
	return nil
}

// gradWeightGroup is the number of samples whose packed im2col matrices
// conv2d_grad_weight keeps at once: about 512 KB of them.
func gradWeightGroup(batch, per int) int {
	return max(1, min(batch, 16, (1<<17)/per))
}

// emitConv2dGradWeight (x, dy) emits the adjoint of conv2d in w:
// dw[o,t] = Σ_b dot(dy[b,o], col_b[t]).
//
// With a GEMM kernel, dw += dy_b·col_bᵀ with col_bᵀ packed. On threads the
// samples go in groups of G: the threads first build the packed col_bᵀ of
// the group's samples (split over the samples), then add the group's
// products into dw (split over the rows of dw): every im2col is built
// once, and each dw[o] sums the samples in order whatever the threads.
func emitConv2dGradWeight(k *kernel) error {
	v := k.v
	g := newConvGeom(v.Attrs, v.Args[0].Type.Shape, v.Type.Shape, v.Args[1].Type.Shape)
	g.ft = k.g.ft()
	if emitConv2dGradWeightDirect(k, g) {
		return nil
	}
	x, dy := k.arg(0), k.arg(1)
	k.scratch = g.taps() * g.pixels()
	if g.wide() && gemmFits(g.o, g.wp()) {
		if c, ok := g.gradWeightT(k, x, dy); ok {
			k.add(c)
			return nil
		}
	}
	k.add(jen.Clear(id("dst")))
	if cols := g.taps() * g.pixels(); gemmFits(g.taps(), g.pixels()) {
		spec := asm.GEMMSpec{N: g.taps(), K: g.pixels(), TransB: true, PackedB: true, Accumulate: true}
		name, plen := k.g.gemm(spec), spec.PackedLen()
		if !g.wide() {
			if c, ok := g.gradWeightGroups(k, name, plen, x, dy); ok {
				k.add(c)
				return nil
			}
		}
		// dw += dy_b·col_bᵀ, with col_bᵀ packed after col_b in scratch.
		k.scratch = cols + plen
		k.add(g.samples(k, x, dy,
			g.im2col(k, "xb"),
			id(name+"PackB").Call(window("tmp", L(cols), lit(plen)), window("tmp", L(0), lit(cols))),
			id(name).Call(lit(g.o), id("yb"), window("tmp", L(cols), lit(plen)), id("dst"))))
		return nil
	}
	body := id("dst").Index(L(0).plus("o", g.taps()).plus("t", 1).code()).Op("+=").Add(k.g.helper("dot")).Call(id("gr"), id("cr"))
	k.add(g.samples(k, x, dy,
		g.im2col(k, "xb"),
		g.tapLoop("tmp", "", nil, body)))
	return nil
}

// gradWeightGroups renders the grouped, two-phase weight gradient (see
// emitConv2dGradWeight) of a geometry that is not wide (wide ones take
// gradWeightT). A chunk's scratch holds one im2col matrix and, in chunk
// 0's, the group's packed matrices of plen elements each.
func (g convGeom) gradWeightGroups(k *kernel, name string, plen int, x, dy string) (jen.Code, bool) {
	if !k.g.parOK() {
		return nil, false
	}
	pix, in := g.pixels(), g.inSize()
	cols := g.taps() * pix
	G := gradWeightGroup(k.batch(), plen)
	saved := k.scratch
	k.scratch = cols + G*plen
	packed := func(s jen.Code) jen.Code {
		return id("jb").Dot("tmp").Index(lit(cols).Op("+").Add(s).Op("*").Lit(plen), jen.Empty()).Index(jen.Empty(), lit(plen))
	}
	sample := []jen.Code{
		define("xb", id(x).Index(L(0).plus("g0", in).plus("s", in).code(), jen.Empty()).Index(jen.Empty(), lit(in))),
		g.im2col(k, "xb"),
		id(name+"PackB").Call(packed(id("s")), window("tmp", L(0), lit(cols))),
	}
	build, ok := k.parallel(id("gn"), 3*cols, k.scratch, []jen.Code{
		define("g0", id("jb").Dot("at")),
		loopFrom("s", id("lo"), id("hi"), sample...),
	})
	if !ok {
		k.scratch, k.par, k.parScratch = saved, false, 0
		return nil, false
	}
	a := id(dy).Index(L(0).plus("g0", g.o*pix).plus("s", g.o*pix).code(), jen.Empty()).Index(id("lo").Op("*").Lit(pix), jen.Empty())
	product, ok := k.parallel(lit(g.o), G*2*cols, 0, []jen.Code{
		define("g0", id("jb").Dot("at")),
		loop("s", id("min").Call(lit(G), id("n").Op("-").Id("g0")),
			id(name).Call(id("hi").Op("-").Id("lo"), a, packed(id("s")), id("dst").Index(id("lo").Op("*").Lit(g.taps()), jen.Empty()))),
	})
	if !ok {
		return nil, false
	}
	return jen.For(id("g0").Op(":=").Lit(0), id("g0").Op("<").Id("n"), id("g0").Op("+=").Lit(G)).Block(
		define("gn", id("min").Call(lit(G), id("n").Op("-").Id("g0"))),
		id("jb").Dot("at").Op("=").Id("g0"),
		build,
		product,
	), true
}

// gradWeightT renders the wide weight gradient as its transpose, split over
// the taps: dwᵀ[t] = Σ_b colw_b[t]·dyw_bᵀ, a product with the taps as rows
// (each chunk builds only its own rows of colw) and dyw_b, the small
// operand, packed. Each chunk then writes its columns of dw. Rows of dwᵀ
// sum the samples in order whatever the chunks.
func (g convGeom) gradWeightT(k *kernel, x, dy string) (jen.Code, bool) {
	if !k.g.parOK() {
		return nil, false
	}
	taps, wp, pix, in := g.taps(), g.wp(), g.pixels(), g.inSize()
	spec := asm.GEMMSpec{N: g.o, K: wp, TransB: true, PackedB: true, Accumulate: true}
	name, plen := k.g.gemm(spec), spec.PackedLen()
	saved := k.scratch
	k.scratch = taps*wp + g.o*wp + plen + taps*g.o
	dwt := L(taps*wp + g.o*wp + plen)
	body := []jen.Code{
		define("dyw", window("tmp", L(taps*wp), lit(g.o*wp))),
		define("pk", window("tmp", L(taps*wp+g.o*wp), lit(plen))),
		define("dwt", window("tmp", dwt, lit(taps*g.o))),
		jen.Clear(id("dwt")),
		loop("b", id("n"), append([]jen.Code{
			define("xb", window(x, L(0).plus("b", in), lit(in))),
			define("yb", window(dy, L(0).plus("b", g.o*pix), lit(g.o*pix))),
			loopFrom("t", id("lo"), id("hi"),
				jen.List(id("r"), id("c"), id("p"), id("q")).Op(":=").List(id("t").Op("-").Id("lo"),
					id("t").Op("/").Lit(g.kh*g.kw), id("t").Op("/").Lit(g.kw).Op("%").Lit(g.kh), id("t").Op("%").Lit(g.kw)),
				define("row", window("tmp", L(0).plus("r", wp), lit(wp))),
				define("m", jen.Copy(id("row"), id("xb").Index(L(0).plus("c", g.h*g.w).plus("p", g.dh*g.w).plus("q", g.dw).code(), jen.Empty()))),
				jen.Clear(id("row").Index(id("m"), jen.Empty()))),
		}, append(g.widenDy("yb", "dyw"),
			id(name+"PackB").Call(id("pk"), id("dyw")),
			id(name).Call(id("hi").Op("-").Id("lo"), id("tmp"), id("pk"), id("dwt")))...)...),
		loopFrom("t", id("lo"), id("hi"), define("r", window("dwt", L(0).plus("t", g.o).plus("lo", -g.o), lit(g.o))),
			rangeOver("o", id("r"), id("dst").Index(L(0).plus("o", taps).plus("t", 1).code()).Op("=").Id("r").Index(id("o")))),
	}
	c, ok := k.parallel(lit(taps), k.batch()*2*g.o*wp, k.scratch, body)
	if !ok {
		k.scratch = saved
		return nil, false
	}
	return c, true
}
