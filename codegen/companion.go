package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// companionsOf maps each producer of f to its companions (ir.IsCompanion)
// in schedule order: the kernel of the producer writes them too, each
// into a parameter dst1, dst2, ... after dst.
func companionsOf(f *ir.Func) map[*ir.Value][]*ir.Value {
	m := map[*ir.Value][]*ir.Value{}
	for _, v := range f.Values {
		if ir.IsCompanion(v) {
			m[v.Args[0]] = append(m[v.Args[0]], v)
		}
	}
	return m
}

// companionDst is the parameter name of the kernel's companion with op op,
// or "" when it has none.
func (k *kernel) companionDst(op ir.Op) string {
	for i, c := range k.companions {
		if c.Op == op {
			return fmt.Sprintf("dst%d", i+1)
		}
	}
	return ""
}

// emitCompanionSums reduces dst, the finished value, into each sum
// companion: one more loop inside the same kernel, over memory just written.
func (k *kernel) emitCompanionSums() error {
	for i, c := range k.companions {
		if c.Op != ir.OpSum {
			continue
		}
		x := k.v.Type.Shape
		axes, err := ir.NormAxes(c.Attrs.Ints("axes"), x.Rank())
		if err != nil {
			return err
		}
		k.reduceInto(c.Op, newReduction(k, "dst", x, axes), fmt.Sprintf("dst%d", i+1))
	}
	return nil
}

// poolArgmaxStore stores the window's maximum offset into the argmax
// companion, when the maxpool2d kernel has one.
func (k *kernel) poolArgmaxStore(g poolGeom) []jen.Code {
	d := k.companionDst(ir.OpMaxPool2dArgmax)
	if d == "" {
		return nil
	}
	return []jen.Code{window(d, L(0).plus("pl", g.oh*g.ow), lit(g.oh*g.ow)).Index(L(0).plus("i", g.ow).plus("j", 1).code()).
		Op("=").Int32().Call(id("arg"))}
}

// emitMaxPool2dGradIdx (idx, dy) {shape} adds each dy at its plane offset.
func emitMaxPool2dGradIdx(k *kernel) error {
	v := k.v
	out, dys := v.Type.Shape, v.Args[1].Type.Shape
	plane, oplane := out[2]*out[3], dys[2]*dys[3]
	idx, dy := k.arg(0), k.arg(1)
	k.add(jen.Clear(id("dst")),
		loop("pl", k.size(prod(dims(out[:2]))),
			define("xp", window("dst", L(0).plus("pl", plane), lit(plane))),
			define("ip", window(idx, L(0).plus("pl", oplane), lit(oplane))),
			jen.For(jen.List(id("o"), id("d")).Op(":=").Range().Add(window(dy, L(0).plus("pl", oplane), lit(oplane)))).Block(
				id("xp").Index(id("ip").Index(id("o"))).Op("+=").Id("d"))))
	return k.emitEpilogue()
}

// emitMeanGrad (dy) {axes, shape} broadcasts dy over the reduced axes,
// divided by their element count (n for the batch axis). A const dy is
// read as a literal.
func emitMeanGrad(k *kernel) error {
	v := k.v
	out := v.Type.Shape
	axes, err := ir.NormAxes(v.Attrs.Ints("axes"), out.Rank())
	if err != nil {
		return err
	}
	count := dim{k: 1}
	for _, a := range axes {
		d := dims(out[a : a+1])[0]
		count = dim{k: count.k * d.k, b: count.b || d.b}
	}
	dy := v.Args[0]
	var op operand
	if inlinable(dy) {
		op.literal = k.g.operandLit(root(dy))
	} else {
		op = operand{name: k.arg(0), strides: broadcastStrides(dy.Type.Shape, out)}
	}
	k.add(define("c", k.g.ft().Call(k.size(count))))
	k.stridedMap(dims(out), []operand{op}, func(args []jen.Code) jen.Code {
		return jen.Add(args[0]).Op("/").Id("c")
	})
	return nil
}
