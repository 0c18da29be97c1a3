package codegen

import (
	"fmt"
	"strconv"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
)

// Vectorized max pooling. A float32 max pooling whose windows tile the
// plane (stride = kernel, no padding, floor mode, windows asm.PoolFits
// takes: 2×2 and the like) calls a pooling kernel over a range of planes
// (asm.PoolSpec: AVX-512 or AVX2 assembly picked at init, its Go twin
// under purego and on other architectures, in the files poolBase +
// "_amd64.s", ...): the forward without an argmax (inference), the forward
// that also saves the window offset of each maximum when the model saves
// it as uint8, and the gradient from those offsets. The kernels are
// bit-identical to the scalar code they replace (PyTorch's rule: the first
// strict maximum, else the last NaN; 0 + dy at the argmax).

// poolBase is the base name of the pooling kernel files.
const poolBase = "zpool"

// usePoolAsm turns the pooling kernels on; tests may clear it to compare.
var usePoolAsm = true

// poolAsmFits reports whether pooling g over v's float32 planes runs as
// a pooling kernel.
func (k *kernel) poolAsmFits(g poolGeom) bool {
	return usePoolAsm && k.g.float == ir.F32 && k.v.Type.DType == ir.F32 && g.tiles()
}

// tiles reports whether g's windows tile its planes as the pooling
// kernels take them: stride = window, no padding, floor mode, a window
// asm.PoolFits takes.
func (g poolGeom) tiles() bool {
	return g.ph == 0 && g.pw == 0 && g.kh == g.sh && g.kw == g.sw && asm.PoolFits(g.h, g.w, g.kh, g.kw) &&
		g.oh == g.h/g.kh && g.ow == g.w/g.kw
}

// pool registers the pooling kernel of s (Name ignored) and returns its
// name; identical kernels share one.
func (g *gen) pool(s asm.PoolSpec) string {
	if g.poolSeen == nil {
		g.poolSeen = map[string]string{}
	}
	key := fmt.Sprintf("%d %d %d %d %t %t", s.H, s.W, s.KH, s.KW, s.Index, s.Grad)
	if name, ok := g.poolSeen[key]; ok {
		return name
	}
	s.Name = "maxPool" + strconv.Itoa(len(g.pools))
	g.poolSeen[key] = s.Name
	g.pools = append(g.pools, s)
	return s.Name
}

// emitPoolFiles renders the pooling kernels into g.raw.
func (g *gen) emitPoolFiles() error {
	if len(g.pools) == 0 {
		return nil
	}
	u, err := asm.Config{Pkg: g.opts.Package, GeneratedBy: "dlc build " + g.sourceName()}.GeneratePool(g.pools)
	if err != nil {
		return err
	}
	for name, b := range u.Files(poolBase) {
		g.raw[name] = b
	}
	return nil
}

// poolCall renders name over the planes, split over the pool's threads:
// each slice of slices holds per plane the elements sizes says, and the
// kernel takes the number of planes last.
func (k *kernel) poolCall(g poolGeom, name string, work int, slices []string, sizes []int) jen.Code {
	call := func(lo, hi jen.Code) jen.Code {
		var args []jen.Code
		for i, s := range slices {
			args = append(args, id(s).Index(jen.Add(lo).Op("*").Lit(sizes[i]), jen.Add(hi).Op("*").Lit(sizes[i])))
		}
		return id(name).Call(append(args, jen.Add(hi).Op("-").Add(lo))...)
	}
	if c, ok := k.parallel(k.size(g.planes), work, 0, []jen.Code{call(id("lo"), id("hi"))}); ok {
		return c
	}
	var args []jen.Code
	for _, s := range slices {
		args = append(args, id(s))
	}
	return id(name).Call(append(args, k.size(g.planes))...)
}

// emitMaxPool2dAsm emits max pooling as a pooling kernel and reports
// whether it could: without an argmax companion, or with one of uint8
// window offsets.
func emitMaxPool2dAsm(k *kernel, g poolGeom) bool {
	if !k.poolAsmFits(g) {
		return false
	}
	d := k.companionDst(ir.OpMaxPool2dArgmax)
	if d != "" {
		for _, c := range k.companions {
			if c.Op == ir.OpMaxPool2dArgmax && c.Type.DType != ir.U8 {
				return false
			}
		}
	}
	in, out := g.h*g.w, g.oh*g.ow
	s := asm.PoolSpec{H: g.h, W: g.w, KH: g.kh, KW: g.kw, Index: d != "", Source: k.g.sourceName()}
	name := k.g.pool(s)
	k.scratch = 0
	if d != "" {
		k.add(k.poolCall(g, name, g.kh*g.kw*out, []string{"dst", d, k.arg(0)}, []int{out, out, in}))
	} else {
		k.add(k.poolCall(g, name, g.kh*g.kw*out, []string{"dst", k.arg(0)}, []int{out, in}))
	}
	return true
}

// emitMaxPool2dGradIdxAsm emits maxpool2d_grad_idx as a pooling kernel
// when its offsets are uint8 and its windows fit, else as
// emitMaxPool2dGradIdx does; the epilogue follows either way.
func emitMaxPool2dGradIdxAsm(k *kernel) error {
	v := k.v
	if len(v.Type.Shape) != 4 || len(v.Args[1].Type.Shape) != 4 || v.Args[0].Type.DType != ir.U8 || v.Args[1].Type.DType != ir.F32 {
		return emitMaxPool2dGradIdx(k)
	}
	g := newPoolGeom(v.Attrs, v.Type.Shape, v.Args[1].Type.Shape)
	if !k.poolAsmFits(g) {
		return emitMaxPool2dGradIdx(k)
	}
	in, out := g.h*g.w, g.oh*g.ow
	name := k.g.pool(asm.PoolSpec{H: g.h, W: g.w, KH: g.kh, KW: g.kw, Grad: true, Source: k.g.sourceName()})
	k.scratch = 0
	idx, dy := k.arg(0), k.arg(1) // named in argument order, as the scalar kernel does
	k.add(k.poolCall(g, name, in+2*out, []string{"dst", dy, idx}, []int{in, out, out}))
	return k.emitEpilogue()
}
