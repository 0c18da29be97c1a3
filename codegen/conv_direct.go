package codegen

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
)

// Direct convolutions. The forward pass of a float32, stride-1, unpadded,
// undilated convolution with few input channels calls a direct kernel per
// sample (asm.ConvSpec: AVX-512 or AVX2+FMA assembly picked at init, its Go
// twin under purego and on other architectures, in the files convBase +
// "_amd64.s", ...), which reads the input planes in place and writes the
// output once, with the bias add and relu of the epilogue fused into the
// store, instead of an im2col copy, a GEMM and an epilogue pass.
//
// Cost rule (directConvFits): direct when C_in ≤ 16 and the output rows
// fill at least half of the lanes of the 16-lane vectors they take
// (OW ≥ ½·16·⌈OW/16⌉), within bounds on the kernel's size (C_out ≤ 64,
// KW ≤ 11, OW ≤ 256), else im2col + GEMM. With few input channels the
// product's depth C·KH·KW is short, so the GEMM gains little from its
// register blocking while the im2col copy moves as many bytes as the
// product reads; the direct kernel's vectors run along the output rows,
// and narrow rows would leave most lanes idle, where the GEMM's rows of
// OH·OW pixels do not.
//
// Narrow rows with 16 or 32 output channels (chanVectorsWin: O 16 or 32
// and the rows filling less than 3/4 of their vectors, LeNet's conv2)
// vectorize over the channels instead: the forward kernel with transposed
// weights (asm.ConvSpec TW), and the weight gradient on the output gradient
// transposed (asm.ConvSpec Chan), both transpositions by asm.ConvSpec
// Transpose kernels. On LeNet's conv2 (one core, AVX-512, each kernel alone) the
// forward pass goes from 4.8 to 2.8 µs a sample and the weight gradient
// from 367 to 149 µs a batch of 64; the input gradient, read padded in
// place (asm.ConvSpec PH, PW), from 6.3 to 4.6 µs a sample.

// convBase is the base name of the direct convolution files.
const convBase = "zconv"

// useDirectConv turns direct convolutions on; tests may clear it to compare.
var useDirectConv = true

// directConvFits reports whether convolution g runs direct (see above).
func (k *kernel) directConvFits(g convGeom) bool {
	if !useDirectConv || k.g.float != ir.F32 || k.v.Type.DType != ir.F32 {
		return false
	}
	if !g.plain() || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 {
		return false
	}
	if g.c > 16 || g.oh < 1 || g.ow < 1 || g.oh != g.h-g.kh+1 || g.ow != g.w-g.kw+1 {
		return false
	}
	// Bounds on the kernel's code (unrolled over the kernel columns and
	// cut into column tiles and channel blocks) and on its offsets.
	if g.o > 64 || g.kw > 11 || g.ow > 256 || g.c*g.h*g.w > 1<<22 || g.o*g.c*g.kh*g.kw > 1<<20 {
		return false
	}
	vecs := (g.ow + 15) / 16
	return 2*g.ow >= 16*vecs
}

// directEpilogue maps v's epilogue onto the direct kernel's Bias and Relu:
// the bias is a per-channel vector of an output [B,O,OH,OW].
func (k *kernel) directEpilogue() (bias string, relu, ok bool) {
	out := k.v.Type.Shape
	return k.biasReluEpilogue(func(b *ir.Value) bool {
		return len(out) == 4 && b.Type.Shape.Elems(1) == out[1] &&
			slices.Equal(broadcastStrides(b.Type.Shape, out), []int{0, 1, 0, 0})
	})
}

// sampleVectorEpilogue is sampleEpilogue through a vector kernel
// (asm.ElemSpec) over the sample's elements when every operand of the
// epilogue is a literal or laid out as dst, else through sampleEpilogue's
// loop.
func (k *kernel) sampleVectorEpilogue(b string) (code jen.Code, ok bool, err error) {
	if c, ok := k.sampleElemCall(b); ok {
		return c, true, nil
	}
	return k.sampleEpilogue(b)
}

// sampleElemCall renders v's epilogue over sample b of dst as one call of
// a vector kernel, reporting whether it could (see sampleVectorEpilogue).
func (k *kernel) sampleElemCall(b string) (jen.Code, bool) {
	e, _ := ir.Epilogue(k.v)
	out := k.v.Type.Shape
	if e == nil || !useElemAsm || k.g.float != ir.F32 || k.v.Type.DType != ir.F32 || len(out) < 2 || out[0] != ir.B {
		return nil, false
	}
	size := prod(dims(out[1:])).k
	want := contiguous(dims(out))
	ops := k.epilogueOperands()
	index := make([]int, len(ops)) // argument of the vector kernel, -1 for literals
	args := []jen.Code{id("d")}
	for i, o := range ops {
		index[i] = -1
		if o.literal != nil {
			continue
		}
		if !slices.Equal(o.strides, want) || o.offset != 0 {
			return nil, false
		}
		index[i] = len(args) - 1
		if o.name == "dst" {
			args = append(args, id("d"))
		} else {
			args = append(args, window(o.name, L(0).plus(b, size), jen.Len(id("d"))))
		}
	}
	ok := true
	x := elemExpr(e, func(i int) *asm.ElemExpr {
		switch {
		case i >= len(ops):
			ok = false
			return nil
		case index[i] < 0:
			return &asm.ElemExpr{Op: "lit", Value: root(k.v.Args[k.v.Op.Arity()+i-1]).Attrs.Float("value", 0)}
		}
		return &asm.ElemExpr{Op: "arg", Arg: index[i]}
	})
	if !ok || x == nil || !asm.ElemSupported(x) {
		return nil, false
	}
	name := k.g.elem(x, len(args)-1, false)
	return jen.Block(define("d", window("dst", L(0).plus(b, size), lit(size))),
		jen.Comment(fmt.Sprintf("%s = %s", name, x)),
		id(name).Call(args...)), true
}

// conv registers the direct kernel of s (Name ignored) and returns its
// name; identical kernels share one.
func (g *gen) conv(s asm.ConvSpec) string {
	if g.convSeen == nil {
		g.convSeen = map[string]string{}
	}
	key := fmt.Sprintf("%d %d %d %d %d %d %d %d %t %t %t %t %t %t", s.C, s.O, s.KH, s.KW, s.H, s.W, s.PH, s.PW, s.Bias, s.Relu, s.GradW, s.TW, s.Chan, s.Transpose)
	if name, ok := g.convSeen[key]; ok {
		return name
	}
	s.Name = "convDirect" + strconv.Itoa(len(g.convs))
	g.convSeen[key] = s.Name
	g.convs = append(g.convs, s)
	return s.Name
}

// emitConvFiles renders the direct convolution kernels into g.raw.
func (g *gen) emitConvFiles() error {
	if len(g.convs) == 0 {
		return nil
	}
	u, err := asm.Config{Pkg: g.opts.Package, GeneratedBy: "dlc build " + g.sourceName()}.GenerateConv(g.convs)
	if err != nil {
		return err
	}
	for name, b := range u.Files(convBase) {
		g.raw[name] = b
	}
	return nil
}

// emitConv2dDirect emits conv2d v as one direct kernel call per sample,
// split over the pool's threads, and reports whether it could.
func emitConv2dDirect(k *kernel, g convGeom) (bool, error) {
	if !k.directConvFits(g) {
		return false, nil
	}
	x, w := k.arg(0), k.arg(1)
	bias, relu, fused := k.directEpilogue()
	var epi jen.Code
	perSample := true
	if !fused {
		bias, relu = "", false
		var err error
		if epi, perSample, err = k.sampleVectorEpilogue("b"); err != nil {
			return false, err
		}
	}
	tw := chanVectorsWin(g)
	spec := asm.ConvSpec{C: g.c, O: g.o, KH: g.kh, KW: g.kw, H: g.h, W: g.w, Bias: bias != "", Relu: relu, TW: tw,
		Source: k.g.sourceName()}
	name := k.g.conv(spec)
	var b jen.Code = jen.Nil()
	if bias != "" {
		b = id(bias)
	}
	k.scratch = 0
	call := id(name).Call(id("yb"), id("xb"), id(w), b)
	var prologue []jen.Code
	if tw {
		// Each chunk of samples transposes the weights once into its
		// scratch, [C,KH,KW,O] (a transposition kernel of one sample of
		// O channels × C·KH·KW positions), for the kernel that reads them
		// so (channel vectors on AVX-512).
		nw := g.o * g.taps()
		tr := k.g.conv(asm.ConvSpec{C: 1, O: g.o, KH: 1, KW: 1, H: g.taps(), W: 1, Transpose: true, Source: k.g.sourceName()})
		k.scratch = nw
		prologue = []jen.Code{
			define("wt", window("tmp", L(0), lit(nw))),
			id(tr).Call(id("wt"), id(w).Index(jen.Empty(), lit(nw)), lit(1)),
		}
		call = id(name).Call(id("yb"), id("xb"), id("wt"), b)
	}
	body := []jen.Code{call}
	if perSample && epi != nil {
		body = append(body, epi)
	}
	if tw {
		k.add(g.parSamplesWith(k, x, "dst", g.work(), prologue, body...))
	} else {
		k.add(g.parSamples(k, x, "dst", g.work(), body...))
	}
	if !perSample {
		return true, k.emitEpilogue()
	}
	return true, nil
}

// chanVectorsWin reports whether the forward kernel of g takes its
// weights transposed, so that its AVX-512 variant vectorizes over the
// output channels (asm.ConvSpec TW): when O is 16 or 32 and the output
// rows fill less than 3/4 of the 16-lane vectors they take. Channel
// vectors fill every lane but store each position with a scatter and
// transpose the weights once per chunk of samples, which costs less than
// the quarter or more of the lanes the rows would leave idle.
func chanVectorsWin(g convGeom) bool {
	return (g.o == 16 || g.o == 32) && 4*g.ow < 3*16*((g.ow+15)/16)
}

// parSamplesWith is parSamples with a prologue run once per chunk of
// samples (with the chunk's scratch) before its samples.
func (g convGeom) parSamplesWith(k *kernel, x, y string, work int, prologue []jen.Code, body ...jen.Code) jen.Code {
	head := []jen.Code{
		define("xb", window(x, L(0).plus("b", g.inSize()), lit(g.inSize()))),
		define("yb", window(y, L(0).plus("b", g.o*g.pixels()), lit(g.o*g.pixels()))),
	}
	rows := loopFrom("b", id("lo"), id("hi"), append(head, body...)...)
	if c, ok := k.parallel(k.size(g.n), work, k.scratch, append(prologue, rows)); ok {
		return c
	}
	return jen.Block(append(prologue, g.samples(k, x, y, body...))...)
}

// emitConv2dGradInputDirect emits the input gradient of a convolution the
// direct kernels fit as a direct convolution and reports whether it could:
// dx[c,y,x] = Σ_{o,p,q} dyp[o, y+p, x+q]·wf[c,o,p,q], the full correlation
// of the output gradient, padded by KH-1 rows and KW-1 columns on each
// side (dyp, which the kernel reads in place: asm.ConvSpec PH and PW, the
// taps on padding rows skipped), with the weights transposed and flipped,
// wf[c,o,p,q] = w[o,c,KH-1-p,KW-1-q]. Each chunk of samples flips the
// weights once in its scratch, then calls the kernel per sample; the
// sample's epilogue follows, through a vector kernel when it can. The cost
// rule is directConvFits on the transposed convolution (O input channels,
// C output channels, the padded planes).
func emitConv2dGradInputDirect(k *kernel, g convGeom) (bool, error) {
	if g.dh != 1 || g.dw != 1 {
		return false, nil
	}
	hp, wp := g.oh+2*(g.kh-1), g.ow+2*(g.kw-1)
	t := convGeom{n: g.n, c: g.o, h: hp, w: wp, o: g.c, kh: g.kh, kw: g.kw, oh: g.h, ow: g.w, sh: g.sh, sw: g.sw, ph: g.ph, pw: g.pw, dh: 1, dw: 1}
	if !g.plain() || !k.directConvFits(t) {
		return false, nil
	}
	epi, perSample, err := k.sampleVectorEpilogue("b")
	if err != nil {
		return false, err
	}
	dy, w := k.arg(0), k.arg(1)
	name := k.g.conv(asm.ConvSpec{C: t.c, O: t.o, KH: t.kh, KW: t.kw, H: g.oh, W: g.ow, PH: g.kh - 1, PW: g.kw - 1,
		Source: k.g.sourceName()})
	nw := g.c * g.o * g.kh * g.kw
	k.scratch = nw
	prologue := []jen.Code{
		define("wf", window("tmp", L(0), lit(nw))),
		loop("c", lit(g.c), loop("o", lit(g.o), loop("p", lit(g.kh), loop("q", lit(g.kw),
			id("wf").Index(L(0).plus("c", g.o*g.kh*g.kw).plus("o", g.kh*g.kw).plus("p", g.kw).plus("q", 1).code()).Op("=").
				Id(w).Index(L((g.kh-1)*g.kw+g.kw-1).plus("o", g.c*g.kh*g.kw).plus("c", g.kh*g.kw).plus("p", -g.kw).plus("q", -1).code()))))),
	}
	body := []jen.Code{id(name).Call(id("xb"), id("yb"), id("wf"), jen.Nil())}
	if perSample && epi != nil {
		body = append(body, epi)
	}
	head := []jen.Code{
		define("xb", window("dst", L(0).plus("b", g.inSize()), lit(g.inSize()))),
		define("yb", window(dy, L(0).plus("b", g.o*g.pixels()), lit(g.o*g.pixels()))),
	}
	rows := loopFrom("b", id("lo"), id("hi"), append(head, body...)...)
	if c, ok := k.parallel(k.size(g.n), g.work(), k.scratch, append(prologue, rows)); ok {
		k.add(c)
	} else {
		k.add(append(prologue, loop("b", k.size(g.n), append(head, body...)...))...)
	}
	if !perSample {
		return true, k.emitEpilogue()
	}
	return true, nil
}

// directGradWFits reports whether the weight gradient of convolution g
// runs direct: as directConvFits (the same cut on the output rows' fill of
// the vectors), with KW ≤ 7 for the AVX2 variant's registers.
func (k *kernel) directGradWFits(g convGeom) bool {
	if !useDirectConv || k.g.float != ir.F32 || k.v.Type.DType != ir.F32 {
		return false
	}
	if !g.plain() || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 {
		return false
	}
	if g.c > 16 || g.oh < 1 || g.ow < 1 || g.oh != g.h-g.kh+1 || g.ow != g.w-g.kw+1 {
		return false
	}
	if g.o > 64 || g.kw > 7 || g.ow > 256 || g.c*g.h*g.w > 1<<22 || g.o*g.oh*g.ow > 1<<22 || g.o*g.c*g.kh*g.kw > 1<<20 {
		return false
	}
	vecs := (g.ow + 15) / 16
	return 2*g.ow >= 16*vecs
}

// emitConv2dGradWeightDirect emits the weight gradient of a convolution
// the direct kernels fit (directGradWFits) and reports whether it could:
// one direct kernel call per kernel row r = (c,p), which sets dw[:,c,p,:]
// from every sample (asm.ConvSpec with GradW), the rows split over the
// pool's threads. Each row sums the samples in the kernel's fixed order,
// whatever the threads. Where the forward pass would take channel
// vectors (chanVectorsWin, with 16 or 32 output channels), the kernel
// vectorizes over the output channels instead (asm.ConvSpec Chan: one
// call per input channel c, setting dw[:,c,:,:]), which gathers each
// position's output gradient but fills every lane.
func emitConv2dGradWeightDirect(k *kernel, g convGeom) bool {
	if !k.directGradWFits(g) {
		return false
	}
	x, dy := k.arg(0), k.arg(1)
	chn := chanVectorsWin(g)
	name := k.g.conv(asm.ConvSpec{C: g.c, O: g.o, KH: g.kh, KW: g.kw, H: g.h, W: g.w, GradW: true, Chan: chn, Source: k.g.sourceName()})
	k.scratch = 0
	units, work := g.c*g.kh, k.batch()*2*g.o*g.kw*g.pixels()
	rows := func(lo, hi jen.Code) jen.Code {
		return loopFrom("r", lo, hi,
			define("off", id("r").Op("/").Lit(g.kh).Op("*").Lit(g.h*g.w).Op("+").Id("r").Op("%").Lit(g.kh).Op("*").Lit(g.w)),
			id(name).Call(id("dst").Index(id("r").Op("*").Lit(g.kw), jen.Empty()),
				id(x).Index(id("min").Call(id("off"), jen.Len(id(x))), jen.Empty()), id(dy), k.size(g.n)))
	}
	if chn {
		// The output gradient transposed into the scratch, [B,OH,OW,O],
		// sample by sample; then one call per input channel c.
		plane := g.o * g.pixels()
		k.scratch = k.batch() * plane
		k.add(g.transposeDy(k, dy))
		units, work = g.c, work*g.kh
		rows = func(lo, hi jen.Code) jen.Code {
			return loopFrom("r", lo, hi,
				id(name).Call(id("dst").Index(id("r").Op("*").Lit(g.kh*g.kw), jen.Empty()),
					id(x).Index(id("min").Call(id("r").Op("*").Lit(g.h*g.w), jen.Len(id(x))), jen.Empty()),
					window("tmp", L(0), k.size(dim{k: plane, b: true})), k.size(g.n)))
		}
	}
	if !chn && units < gradWGroupRows && k.batch() >= 2 {
		k.gradWGroups(g, name, x, dy, units, work)
		return true
	}
	if c, ok := k.parallel(lit(units), work, 0, []jen.Code{rows(id("lo"), id("hi"))}); ok {
		k.add(c)
	} else {
		k.add(rows(lit(0), lit(units)))
	}
	return true
}

// gradWGroupRows is the number of kernel rows below which a row-form
// weight gradient also splits its samples (gradWGroups): conv1 of LeNet
// has 5 rows, which two threads share 3 to 2 and every thread streams
// the whole output gradient for its rows.
const gradWGroupRows = 8

// gradWGroups renders the row-form weight gradient over two sample
// groups, the first n-n/2 samples and the last n/2, whatever the thread
// count: task t computes kernel row t%units over group t/units, the first
// group into dst and the second into the scratch, and dst += scratch
// after the loop. The sums keep one order for a given n, so results stay
// bit-identical for every thread count; the tasks, twice the rows, share
// out evenly and each reads half of the samples.
func (k *kernel) gradWGroups(g convGeom, name, x, dy string, units, work int) {
	size := g.o * g.c * g.kh * g.kw
	k.scratch = size
	xs, ys := g.c*g.h*g.w, g.o*g.pixels()
	task := []jen.Code{
		define("r", id("t").Op("%").Lit(units)),
		jen.List(id("s0"), id("s1")).Op(":=").List(lit(0), id("n").Op("-").Id("n").Op("/").Lit(2)),
		define("out", id("dst")),
		jen.If(id("t").Op(">=").Lit(units)).Block(
			jen.List(id("s0"), id("s1"), id("out")).Op("=").List(id("s1"), id("n"), id("tmp")),
		),
		jen.If(id("s1").Op("==").Id("s0")).Block(jen.Continue()),
		define("off", id("s0").Op("*").Lit(xs).Op("+").Id("r").Op("/").Lit(g.kh).Op("*").Lit(g.h*g.w).Op("+").Id("r").Op("%").Lit(g.kh).Op("*").Lit(g.w)),
		id(name).Call(id("out").Index(id("r").Op("*").Lit(g.kw), jen.Empty()),
			id(x).Index(id("min").Call(id("off"), jen.Len(id(x))), jen.Empty()),
			id(dy).Index(id("s0").Op("*").Lit(ys), jen.Empty()), id("s1").Op("-").Id("s0")),
	}
	loop := func(lo, hi jen.Code) jen.Code { return loopFrom("t", lo, hi, task...) }
	if c, ok := k.parallel(lit(2*units), work/2, 0, []jen.Code{loop(id("lo"), id("hi"))}); ok {
		k.add(c)
	} else {
		k.add(loop(lit(0), lit(2*units)))
	}
	k.add(jen.If(k.size(g.n).Op(">=").Lit(2)).Block(
		jen.For(jen.List(id("i"), id("v")).Op(":=").Range().Id("tmp").Index(jen.Empty(), lit(size))).Block(
			id("dst").Index(id("i")).Op("+=").Id("v"))))
}

// transposeDy renders transposing the output gradient dy [B,O,OH,OW] into
// the kernel's scratch tmp as [B,OH,OW,O] (an asm.ConvSpec with
// Transpose), the samples split over the pool's threads.
func (g convGeom) transposeDy(k *kernel, dy string) jen.Code {
	name := k.g.conv(asm.ConvSpec{C: g.c, O: g.o, KH: g.kh, KW: g.kw, H: g.h, W: g.w, Transpose: true, Source: k.g.sourceName()})
	plane := g.o * g.pixels()
	span := func(s string, lo, hi jen.Code) jen.Code {
		return id(s).Index(jen.Add(lo).Op("*").Lit(plane), jen.Add(hi).Op("*").Lit(plane))
	}
	call := func(lo, hi, n jen.Code) jen.Code {
		return id(name).Call(span("tmp", lo, hi), span(dy, lo, hi), n)
	}
	if c, ok := k.parallel(k.size(g.n), plane, 0, []jen.Code{call(id("lo"), id("hi"), id("hi").Op("-").Id("lo"))}); ok {
		return c
	}
	return call(lit(0), k.size(g.n), k.size(g.n))
}
