package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
)

// Packed weights. The GEMM kernels of x·Wᵀ read Wᵀ packed (asm.GEMMSpec
// PackedB). For a parameter W, the model keeps the packed copy in its
// packed block and packs it again only when the parameters may have
// changed: the flag packStale is set by New, Load, the optimizer step and
// the accessors that hand out mutable parameter memory (Params,
// ParamBlock, ParamsChanged), and every run method starts with
//
//	if m.packStale {
//		m.repack()
//	}
//
// so a TrainStep packs each weight once, not once per product (an
// unrolled LSTM multiplies by W_hh once per time step), and inference
// packs nothing.

// packedW is one packed weight: pack (the kernel's PackB routine) packs
// params[param:][:size] into packed[off:][:plen] (plen ≥ size: the packed
// rows are padded to whole cache lines, asm.GEMMSpec.PackedStride).
type packedW struct {
	pack                   string
	param, size, off, plen int
}

// packedWeight registers the packing of w by routine pack, writing plen
// elements, when w is a whole float parameter of size elements, and
// returns its index in g.packs.
func (g *gen) packedWeight(w *ir.Value, pack string, size, plen int) (int, bool) {
	r := root(w)
	if r.Op != ir.OpParam {
		return 0, false
	}
	name := r.Attrs.Str("name")
	for i, q := range g.p.Params {
		if q.Name != name || q.Type.Shape.Elems(1) != size {
			continue
		}
		key := fmt.Sprintf("%s@%d", pack, g.pOff[i])
		if j, ok := g.packSeen[key]; ok {
			return j, true
		}
		if g.packSeen == nil {
			g.packSeen = map[string]int{}
		}
		off := (g.packSize() + asm.PackAlign - 1) / asm.PackAlign * asm.PackAlign
		g.packSeen[key] = len(g.packs)
		g.packs = append(g.packs, packedW{pack: pack, param: g.pOff[i], size: size, off: off, plen: plen})
		return len(g.packs) - 1, true
	}
	return 0, false
}

// packSize is the number of elements of the packed block.
func (g *gen) packSize() int {
	if n := len(g.packs); n > 0 {
		return g.packs[n-1].off + g.packs[n-1].plen
	}
	return 0
}

// packedView renders the packed copy of weight i.
func (g *gen) packedView(i int) jen.Code {
	p := g.packs[i]
	return window(g.recv+".packed", L(p.off), lit(p.plen))
}

// repackIfStale renders the check that starts the run method of f when one
// of its kernels reads a packed weight.
func (g *gen) repackIfStale(f *ir.Func) []jen.Code {
	if !g.readsPacked(f) {
		return nil
	}
	return []jen.Code{jen.If(id("m").Dot("packStale")).Block(id("m").Dot("repack").Call())}
}

// readsPacked reports whether a kernel of f reads a packed weight.
func (g *gen) readsPacked(f *ir.Func) bool {
	for _, v := range f.Values {
		if c := g.calls[v]; c != nil && c.k.pack > 0 {
			return true
		}
	}
	return false
}

// packFields are the Model fields of the packed weights.
func (g *gen) packFields() []jen.Code {
	if len(g.packs) == 0 {
		return nil
	}
	return []jen.Code{
		id("packed").Index().Add(g.ft()).Comment("the weights of x·Wᵀ products packed for the GEMM kernels (repack)"),
		id("packStale").Bool().Comment("packed may differ from params: the next run repacks"),
	}
}

// packAlloc are the field values of New for the packed weights.
func (g *gen) packAlloc() []jen.Code {
	if len(g.packs) == 0 {
		return nil
	}
	return []jen.Code{
		id("packed").Op(":").Make(jen.Index().Add(g.ft()), lit(g.packSize())),
		id("packStale").Op(":").True(),
	}
}

// markStale renders the statement flagging the packed weights as stale,
// and the parts' copies of them (shard.go).
func (g *gen) markStale() []jen.Code {
	if len(g.packs) == 0 {
		return nil
	}
	if g.splitPacks() {
		return []jen.Code{id("m").Dot("markStale").Call()}
	}
	return []jen.Code{id("m").Dot("packStale").Op("=").True()}
}

// emitRepack emits repack and ParamsChanged.
func (g *gen) emitRepack(file *jen.File) {
	if len(g.packs) == 0 {
		return
	}
	var body []jen.Code
	for _, p := range g.packs {
		body = append(body, id(p.pack).Call(window("dst", L(p.off), lit(p.plen)), window("m.params", L(p.param), lit(p.size))))
	}
	file.Comment("packInto packs the weights of the x·Wᵀ products from params into dst, laid out as packed.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("packInto").Params(id("dst").Index().Add(g.ft())).Block(body...)
	file.Line()
	file.Comment("repack packs the weights of the x·Wᵀ products from params into packed.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("repack").Params().Block(
		id("m").Dot("packInto").Call(id("m").Dot("packed")),
		id("m").Dot("packStale").Op("=").False())
	file.Line()
	if g.splitPacks() {
		file.Comment("markStale flags packed and the parts' own copies of it as stale.")
		file.Func().Params(id("m").Op("*").Id("Model")).Id("markStale").Params().Block(
			id("m").Dot("packStale").Op("=").True(),
			jen.For(id("i").Op(":=").Range().Id("m").Dot("shards")).Block(
				id("m").Dot("shards").Index(id("i")).Dot("packStale").Op("=").True()))
		file.Line()
	}
	file.Comment("ParamsChanged tells the model that its parameters were changed through memory obtained")
	file.Comment("earlier from Params or ParamBlock: the model keeps derived copies of some weights (packed")
	file.Comment("for its matrix kernels), which the next Forward, Evaluate or TrainStep then rebuilds.")
	file.Comment("Params, ParamBlock and Load do this themselves.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("ParamsChanged").Params().Block(g.markStale()...)
	file.Line()
}
