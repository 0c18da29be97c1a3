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

// conv registers the direct kernel of s (Name ignored) and returns its
// name; identical kernels share one.
func (g *gen) conv(s asm.ConvSpec) string {
	if g.convSeen == nil {
		g.convSeen = map[string]string{}
	}
	key := fmt.Sprintf("%d %d %d %d %d %d %t %t %t", s.C, s.O, s.KH, s.KW, s.H, s.W, s.Bias, s.Relu, s.GradW)
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
		if epi, perSample, err = k.sampleEpilogue("b"); err != nil {
			return false, err
		}
	}
	name := k.g.conv(asm.ConvSpec{C: g.c, O: g.o, KH: g.kh, KW: g.kw, H: g.h, W: g.w, Bias: bias != "", Relu: relu,
		Source: k.g.sourceName()})
	var b jen.Code = jen.Nil()
	if bias != "" {
		b = id(bias)
	}
	k.scratch = 0
	body := []jen.Code{id(name).Call(id("yb"), id("xb"), id(w), b)}
	if perSample && epi != nil {
		body = append(body, epi)
	}
	k.add(g.parSamples(k, x, "dst", g.work(), body...))
	if !perSample {
		return true, k.emitEpilogue()
	}
	return true, nil
}

// emitConv2dGradInputDirect emits the input gradient of a convolution the
// direct kernels fit as a direct convolution and reports whether it could:
// dx[c,y,x] = Σ_{o,p,q} dyp[o, y+p, x+q]·wf[c,o,p,q], the full correlation
// of the output gradient, zero-padded by KH-1 rows and KW-1 columns on each
// side (dyp), with the weights transposed and flipped, wf[c,o,p,q] =
// w[o,c,KH-1-p,KW-1-q]. Each chunk of samples flips the weights and clears
// the padded buffer once in its scratch, then copies each sample's output
// gradient into the buffer's interior and calls the kernel; the sample's
// epilogue follows. The cost rule is directConvFits on the transposed
// convolution (O input channels, C output channels).
func emitConv2dGradInputDirect(k *kernel, g convGeom) (bool, error) {
	if g.dh != 1 || g.dw != 1 {
		return false, nil
	}
	hp, wp := g.oh+2*(g.kh-1), g.ow+2*(g.kw-1)
	t := convGeom{n: g.n, c: g.o, h: hp, w: wp, o: g.c, kh: g.kh, kw: g.kw, oh: g.h, ow: g.w, sh: g.sh, sw: g.sw, ph: g.ph, pw: g.pw, dh: 1, dw: 1}
	if !g.plain() || !k.directConvFits(t) {
		return false, nil
	}
	epi, perSample, err := k.sampleEpilogue("b")
	if err != nil {
		return false, err
	}
	dy, w := k.arg(0), k.arg(1)
	name := k.g.conv(asm.ConvSpec{C: t.c, O: t.o, KH: t.kh, KW: t.kw, H: t.h, W: t.w, Source: k.g.sourceName()})
	pad, nw := g.o*hp*wp, g.c*g.o*g.kh*g.kw
	k.scratch = pad + nw
	prologue := []jen.Code{
		define("dyp", window("tmp", L(0), lit(pad))),
		define("wf", window("tmp", L(pad), lit(nw))),
		jen.Clear(id("dyp")),
		loop("c", lit(g.c), loop("o", lit(g.o), loop("p", lit(g.kh), loop("q", lit(g.kw),
			id("wf").Index(L(0).plus("c", g.o*g.kh*g.kw).plus("o", g.kh*g.kw).plus("p", g.kw).plus("q", 1).code()).Op("=").
				Id(w).Index(L((g.kh-1)*g.kw+g.kw-1).plus("o", g.c*g.kh*g.kw).plus("c", g.kh*g.kw).plus("p", -g.kw).plus("q", -1).code()))))),
	}
	body := []jen.Code{
		loop("o", lit(g.o), loop("i", lit(g.oh),
			g.copyRow(window("dyp", L((g.kh-1)*wp+g.kw-1).plus("o", hp*wp).plus("i", wp), lit(g.ow)),
				window("yb", L(0).plus("o", g.oh*g.ow).plus("i", g.ow), lit(g.ow))))),
		id(name).Call(id("xb"), id("dyp"), id("wf"), jen.Nil()),
	}
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
// whatever the threads.
func emitConv2dGradWeightDirect(k *kernel, g convGeom) bool {
	if !k.directGradWFits(g) {
		return false
	}
	x, dy := k.arg(0), k.arg(1)
	name := k.g.conv(asm.ConvSpec{C: g.c, O: g.o, KH: g.kh, KW: g.kw, H: g.h, W: g.w, GradW: true, Source: k.g.sourceName()})
	k.scratch = 0
	rows := func(lo, hi jen.Code) jen.Code {
		return loopFrom("r", lo, hi,
			define("off", id("r").Op("/").Lit(g.kh).Op("*").Lit(g.h*g.w).Op("+").Id("r").Op("%").Lit(g.kh).Op("*").Lit(g.w)),
			id(name).Call(id("dst").Index(id("r").Op("*").Lit(g.kw), jen.Empty()),
				id(x).Index(id("min").Call(id("off"), jen.Len(id(x))), jen.Empty()), id(dy), k.size(g.n)))
	}
	work := k.g.p.Batch * 2 * g.o * g.kw * g.pixels()
	if c, ok := k.parallel(lit(g.c*g.kh), work, 0, []jen.Code{rows(id("lo"), id("hi"))}); ok {
		k.add(c)
	} else {
		k.add(rows(lit(0), lit(g.c*g.kh)))
	}
	return true
}
