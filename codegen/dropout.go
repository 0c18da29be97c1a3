package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// dropLayer is a dropout layer of the train func: its masks can be fixed
// with the generated SetDropoutMask, as PyTorch tests fix theirs.
type dropLayer struct {
	name string
	row  int // mask elements per batch row
}

// dropLayers lists the train func's dropout masks by layer, in seed order
// (the order of the source), each layer once: the model's keep slots.
// newGen computes it once into g.drops.
func dropLayers(g *gen) []dropLayer {
	f := g.p.Lookup("train")
	if f == nil {
		return nil
	}
	type seeded struct {
		dropLayer
		seed int
	}
	var ls []seeded
	seen := map[string]bool{}
	for _, v := range f.Values {
		if v.Op != ir.OpDropoutMask || v.Attrs.Str("layer") == "" || seen[v.Attrs.Str("layer")] {
			continue
		}
		seen[v.Attrs.Str("layer")] = true
		ls = append(ls, seeded{dropLayer{v.Attrs.Str("layer"), v.Type.Shape.Elems(1)}, v.Attrs.Int("seed", 0)})
	}
	slices.SortFunc(ls, func(a, b seeded) int { return a.seed - b.seed })
	out := make([]dropLayer, len(ls))
	for i, l := range ls {
		out[i] = l.dropLayer
	}
	return out
}

// dropIndex is the index of layer in dropLayers, the kernel's m.keep slot.
func (g *gen) dropIndex(layer string) int {
	return slices.IndexFunc(g.drops, func(l dropLayer) bool { return l.name == layer })
}

// keepField is the Model field of fixed dropout masks, when there are
// dropout layers.
func (g *gen) keepField() []jen.Code {
	if len(g.drops) == 0 {
		return nil
	}
	return []jen.Code{id("keep").Index().Index().Add(g.ft()).Comment("dropout keep masks fixed by SetDropoutMask, per layer; nil draws")}
}

// keepAlloc is keepField's value in New.
func (g *gen) keepAlloc() []jen.Code {
	if n := len(g.drops); n > 0 {
		return []jen.Code{id("keep").Op(":").Make(jen.Index().Index().Add(g.ft()), lit(n))}
	}
	return nil
}

// keepChecks renders TrainStep's check that every fixed mask has the
// step's n rows, before anything changes.
func (g *gen) keepChecks(fail func(err jen.Code) jen.Code) []jen.Code {
	var out []jen.Code
	for i, l := range g.drops {
		k := id("m").Dot("keep").Index(lit(i))
		out = append(out, jen.If(k.Clone().Op("!=").Nil().Op("&&").Len(k.Clone()).Op("!=").Id("n").Op("*").Lit(l.row)).Block(
			fail(jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("train step: the dropout mask of layer %s has %%d rows, the step %%d", l.name)),
				jen.Len(k.Clone()).Op("/").Lit(l.row), id("n")))))
	}
	return out
}

// emitSetDropoutMask emits SetDropoutMask when the model has dropout.
func (g *gen) emitSetDropoutMask(file *jen.File) {
	ls := g.drops
	if len(ls) == 0 {
		return
	}
	var names []string
	var sw []jen.Code
	for i, l := range ls {
		names = append(names, l.name)
		sw = append(sw, jen.Case(jen.Lit(l.name)).Block(
			id("slot").Op(",").Id("row").Op("=").List(lit(i), lit(l.row))))
	}
	sw = append(sw, jen.Default().Block(jen.Return(jen.Qual("fmt", "Errorf").Call(
		jen.Lit(fmt.Sprintf("SetDropoutMask: no dropout layer %%q (the layers are %s)", strings.Join(names, ", "))), id("layer")))))
	body := []jen.Code{
		jen.Var().Id("slot").Op(",").Id("row").Int(),
		jen.Switch(id("layer")).Block(sw...),
		jen.If(id("keep").Op("==").Nil()).Block(
			id("m").Dot("keep").Index(id("slot")).Op("=").Nil(),
			jen.Return(jen.Nil())),
		jen.If(jen.Len(id("keep")).Op("==").Lit(0).Op("||").Len(id("keep")).Op("%").Id("row").Op("!=").Lit(0).Op("||").
			Len(id("keep")).Op(">").Id("MaxBatch").Op("*").Id("row")).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("SetDropoutMask: layer %s: the mask has %d elements, want 1 to MaxBatch (%d) rows of %d"),
				id("layer"), jen.Len(id("keep")), id("MaxBatch"), id("row")))),
		jen.For(jen.List(id("i"), id("k")).Op(":=").Range().Id("keep")).Block(
			jen.If(id("k").Op("!=").Lit(0).Op("&&").Id("k").Op("!=").Lit(1)).Block(
				jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("SetDropoutMask: layer %s: element %d is %v, want 0 or 1"), id("layer"), id("i"), id("k"))))),
		jen.If(jen.Cap(id("m").Dot("keep").Index(id("slot"))).Op("<").Len(id("keep"))).Block(
			id("m").Dot("keep").Index(id("slot")).Op("=").Make(jen.Index().Add(g.ft()), jen.Len(id("keep")), id("MaxBatch").Op("*").Id("row"))),
		id("m").Dot("keep").Index(id("slot")).Op("=").Id("m").Dot("keep").Index(id("slot")).Index(jen.Empty(), jen.Len(id("keep"))),
		jen.Copy(id("m").Dot("keep").Index(id("slot")), id("keep")),
		jen.Return(jen.Nil()),
	}
	docComment(file, "SetDropoutMask fixes the keep mask of a dropout layer ("+strings.Join(names, ", ")+
		") for the following TrainSteps, instead of a fresh draw each step: keep holds 0 or 1 per element, "+
		"row-major over the layer's input shape, for as many rows as the steps will have (TrainStep fails "+
		"when the rows differ). Kept elements are scaled by 1/(1-p), as PyTorch's dropout does. The mask is "+
		"copied; a nil keep returns the layer to random masks. Forward and Evaluate never drop.")
	file.Func().Params(id("m").Op("*").Id("Model")).Id("SetDropoutMask").Params(id("layer").String(), id("keep").Index().Add(g.ft())).Error().Block(body...)
	file.Line()
}
