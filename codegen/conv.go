package codegen

import (
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

// im2col renders filling tmp with the im2col matrix of input sample xs.
func (g convGeom) im2col(k *kernel, xs string) jen.Code {
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

// emitConv2d emits PyTorch's conv2d without bias, a cross-correlation:
// out[b,o,i,j] = Σ_c,p,q x[b,c,i*sh-ph+p*dh, j*sw-pw+q*dw] · w[o,c,p,q].
func emitConv2d(k *kernel) error {
	v := k.v
	g := newConvGeom(v.Attrs, v.Args[0].Type.Shape, v.Args[1].Type.Shape, v.Type.Shape)
	x, w := k.arg(0), k.arg(1)
	k.scratch = g.taps() * g.pixels()
	if gemmFits(g.pixels(), g.taps()) {
		name := k.g.gemm(asm.GEMMSpec{N: g.pixels(), K: g.taps()})
		k.add(g.parSamples(k, x, "dst", g.work(),
			g.im2col(k, "xb"),
			id(name).Call(lit(g.o), id(w), id("tmp"), id("yb"))))
		return k.emitEpilogue()
	}
	k.add(g.parSamples(k, x, "dst", g.work(),
		g.im2col(k, "xb"),
		jen.Clear(id("yb")),
		g.tapLoop("tmp", w, nil,
			jen.For(jen.List(id("j"), id("cv")).Op(":=").Range().Id("cr")).Block(
				id("gr").Index(id("j")).Op("+=").Id("wv").Op("*").Id("cv")))))
	return k.emitEpilogue()
}

// emitConv2dGradInput (dy, w) emits the adjoint of conv2d in x: each
// sample's dcol = wᵀ·dy, scattered back with col2im.
func emitConv2dGradInput(k *kernel) error {
	v := k.v
	g := newConvGeom(v.Attrs, v.Type.Shape, v.Args[1].Type.Shape, v.Args[0].Type.Shape)
	dy, w := k.arg(0), k.arg(1)
	k.scratch = g.taps() * g.pixels()
	k.add(jen.Clear(id("dst")))
	if gemmFits(g.pixels(), g.o) {
		name := k.g.gemm(asm.GEMMSpec{N: g.pixels(), K: g.o, TransA: true})
		k.add(g.parSamples(k, "dst", dy, g.work(),
			id(name).Call(lit(g.taps()), id(w), id("yb"), id("tmp")),
			g.col2im(k, "xb")))
		return k.emitEpilogue()
	}
	k.add(g.parSamples(k, "dst", dy, g.work(),
		g.tapLoop("tmp", w, []jen.Code{jen.Clear(id("cr"))},
			jen.For(jen.List(id("j"), id("gv")).Op(":=").Range().Id("gr")).Block(
				id("cr").Index(id("j")).Op("+=").Id("wv").Op("*").Id("gv"))),
		g.col2im(k, "xb")))
	return k.emitEpilogue()
}

// emitConv2dGradWeight (x, dy) emits the adjoint of conv2d in w:
// dw[o,t] = Σ_b dot(dy[b,o], col_b[t]).
func emitConv2dGradWeight(k *kernel) error {
	v := k.v
	g := newConvGeom(v.Attrs, v.Args[0].Type.Shape, v.Type.Shape, v.Args[1].Type.Shape)
	x, dy := k.arg(0), k.arg(1)
	k.scratch = g.taps() * g.pixels()
	k.add(jen.Clear(id("dst")))
	if cols := g.taps() * g.pixels(); gemmFits(g.taps(), g.pixels()) {
		// dw += dy_b·col_bᵀ, with col_bᵀ packed after col_b in scratch.
		k.scratch = 2 * cols
		name := k.g.gemm(asm.GEMMSpec{N: g.taps(), K: g.pixels(), TransB: true, PackedB: true, Accumulate: true})
		// On threads: chunks of output channels, each chunk redoing the
		// im2col of every sample in its own scratch, so that dw[o] sums
		// the samples in the same order whatever the chunks.
		rows := g.samples(k, x, dy,
			g.im2col(k, "xb"),
			id(name+"PackB").Call(window("tmp", L(cols), lit(cols)), window("tmp", L(0), lit(cols))),
			id(name).Call(id("hi").Op("-").Id("lo"), id("yb").Index(id("lo").Op("*").Lit(g.pixels()), jen.Empty()),
				window("tmp", L(cols), lit(cols)), id("dst").Index(id("lo").Op("*").Lit(g.taps()), jen.Empty())))
		if c, ok := k.parallel(lit(g.o), k.g.p.Batch*2*cols, 2*cols, []jen.Code{rows}); ok {
			k.add(c)
			return nil
		}
		k.add(g.samples(k, x, dy,
			g.im2col(k, "xb"),
			id(name+"PackB").Call(window("tmp", L(cols), lit(cols)), window("tmp", L(0), lit(cols))),
			id(name).Call(lit(g.o), id("yb"), window("tmp", L(cols), lit(cols)), id("dst"))))
		return nil
	}
	body := id("dst").Index(L(0).plus("o", g.taps()).plus("t", 1).code()).Op("+=").Add(k.g.helper("dot")).Call(id("gr"), id("cr"))
	k.add(g.samples(k, x, dy,
		g.im2col(k, "xb"),
		g.tapLoop("tmp", "", nil, body)))
	return nil
}
