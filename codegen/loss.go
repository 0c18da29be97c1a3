package codegen

import (
	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// checkID renders the range check of an id or label read from ids[i]:
// out-of-range values make the kernel return an error rather than panic.
// It leaves the id in c.
func (k *kernel) checkID(what, ids, i string, limit int) jen.Code {
	k.errs = true
	return jen.Add(define("c", jen.Int().Call(id(ids).Index(id(i))))).Line().
		If(id("c").Op("<").Lit(0).Op("||").Id("c").Op(">=").Lit(limit)).Block(
		jen.Return(k.g.helper("idError").Call(jen.Lit(what), id(i), id(ids).Index(id(i)), lit(limit))))
}

// rowLoop renders the loop over the rows of scores [N,C] with zr the
// row of slice z (when z is not empty) and c the row's label.
func (k *kernel) rowLoop(rows dim, classes int, z, labels string, body ...jen.Code) jen.Code {
	head := []jen.Code{k.checkID("label", labels, "r", classes)}
	if z != "" {
		head = append(head, define("zr", window(z, L(0).plus("r", classes), lit(classes))))
	}
	return loop("r", k.size(rows), append(head, body...)...)
}

// lseRow renders lse, the log-sum-exp of zr, computed stably in float64.
func lseRow() []jen.Code {
	return []jen.Code{
		define("m", jen.Float64().Call(id("zr").Index(lit(0)))),
		jen.For(jen.List(id("_"), id("v")).Op(":=").Range().Id("zr")).Block(
			jen.If(jen.Float64().Call(id("v")).Op(">").Id("m")).Block(id("m").Op("=").Float64().Call(id("v")))),
		define("s", jen.Lit(0.0)),
		jen.For(jen.List(id("_"), id("v")).Op(":=").Range().Id("zr")).Block(
			id("s").Op("+=").Qual("math", "Exp").Call(jen.Float64().Call(id("v")).Op("-").Id("m"))),
		define("lse", id("m").Op("+").Qual("math", "Log").Call(id("s"))),
	}
}

// maxScratchClasses bounds the stack row of the vector cross-entropy.
const maxScratchClasses = 4096

// emitClassLoss emits cross_entropy (z, labels): lse(z) - z[label] per
// row, and nll (logp, labels): -logp[label].
func emitClassLoss(k *kernel) error {
	v := k.v
	zs := v.Args[0].Type.Shape
	rows, classes := dims(zs)[0], zs[1]
	z, labels := k.arg(0), k.arg(1)
	ft := k.g.ft()
	var body []jen.Code
	switch {
	case v.Op == ir.OpCrossEntropy && k.vectorRows(1) && classes <= maxScratchClasses:
		// exp(z - m) into a scratch row on the stack, by a vector kernel.
		k.add(jen.Var().Id("sc").Index(lit(classes)).Add(ft))
		body = append(rowMax("zr"), k.g.expShift("sc[:]", "zr"))
		body = append(body, rowSum("sc[:]")...)
		body = append(body, id("dst").Index(id("r")).Op("=").Add(ft).Call(
			jen.Float64().Call(id("m")).Op("+").Qual("math", "Log").Call(id("s")).Op("-").Float64().Call(id("zr").Index(id("c")))))
	case v.Op == ir.OpCrossEntropy:
		body = append(lseRow(), id("dst").Index(id("r")).Op("=").Add(ft).Call(id("lse").Op("-").Float64().Call(id("zr").Index(id("c")))))
	default:
		body = []jen.Code{id("dst").Index(id("r")).Op("=").Op("-").Id("zr").Index(id("c"))}
	}
	k.add(id("dst").Op("=").Id("dst").Index(jen.Empty(), k.size(rows)))
	k.add(k.rowLoop(rows, classes, z, labels, body...))
	return nil
}

// emitCrossEntropyGrad (z, labels, dy) emits dy[r]·(softmax(z[r]) - onehot(label)).
func emitCrossEntropyGrad(k *kernel) error {
	v := k.v
	zs := v.Type.Shape
	rows, classes := dims(zs)[0], zs[1]
	z, labels, dy := k.arg(0), k.arg(1), k.arg(2)
	ft := k.g.ft()
	if k.vectorRows(1) {
		// dr = exp(z - m), s = Σ dr, dr *= g/s by vector kernels.
		scale := k.g.rowKernel(1, 1, rowOp("mul", rowArg(0), rowScalar(0)))
		body := append(rowMax("zr"),
			define("g", jen.Float64().Call(id(dy).Index(id("r")))),
			define("dr", window("dst", L(0).plus("r", classes), lit(classes))),
			k.g.expShift("dr", "zr"))
		body = append(body, rowSum("dr")...)
		body = append(body, id(scale).Call(id("dr"), jen.Float32().Call(id("g").Op("/").Id("s"))),
			id("dr").Index(id("c")).Op("-=").Add(ft).Call(id("g")))
		k.add(k.rowLoop(rows, classes, z, labels, body...))
		return nil
	}
	body := append(lseRow(),
		define("g", jen.Float64().Call(id(dy).Index(id("r")))),
		define("dr", window("dst", L(0).plus("r", classes), lit(classes))),
		jen.For(jen.List(id("j"), id("v")).Op(":=").Range().Id("zr")).Block(
			id("dr").Index(id("j")).Op("=").Add(ft).Call(id("g").Op("*").Qual("math", "Exp").Call(jen.Float64().Call(id("v")).Op("-").Id("lse")))),
		id("dr").Index(id("c")).Op("-=").Add(ft).Call(id("g")))
	k.add(k.rowLoop(rows, classes, z, labels, body...))
	return nil
}

// emitNLLGrad (labels, dy) {shape} emits -dy[r] at [r, label], zero elsewhere.
func emitNLLGrad(k *kernel) error {
	v := k.v
	rows, classes := dims(v.Type.Shape)[0], v.Type.Shape[1]
	labels, dy := k.arg(0), k.arg(1)
	k.add(jen.Clear(id("dst")))
	k.add(k.rowLoop(rows, classes, "", labels,
		id("dst").Index(L(0).plus("r", classes).plus("c", 1).code()).Op("=").Op("-").Id(dy).Index(id("r"))))
	return nil
}

// emitGather (table, ids) copies table row ids[i] to row i of dst.
func emitGather(k *kernel) error {
	v := k.v
	ts := v.Args[0].Type.Shape
	table, ids := k.arg(0), k.arg(1)
	width := ts[1]
	k.add(loop("i", k.elems(v.Args[1].Type.Shape),
		k.checkID("id", ids, "i", ts[0]),
		jen.Copy(window("dst", L(0).plus("i", width), lit(width)), window(table, L(0).plus("c", width), lit(width)))))
	return nil
}

// emitScatterAdd (ids, dy) {shape} adds row i of dy to row ids[i] of zeros.
func emitScatterAdd(k *kernel) error {
	v := k.v
	ids, dy := k.arg(0), k.arg(1)
	rows, width := v.Type.Shape[0], v.Type.Shape[1]
	k.add(jen.Clear(id("dst")))
	k.add(loop("i", k.elems(v.Args[0].Type.Shape),
		k.checkID("id", ids, "i", rows),
		define("dr", window("dst", L(0).plus("c", width), lit(width))),
		jen.For(jen.List(id("j"), id("g")).Op(":=").Range().Add(window(dy, L(0).plus("i", width), lit(width)))).Block(
			id("dr").Index(id("j")).Op("+=").Id("g"))))
	return nil
}
