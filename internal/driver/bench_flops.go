package driver

import "github.com/dlc-lang/dlc/ir"

// FLOPs is the number of floating-point operations of the matrix products
// and convolutions of func fn of prog on batch rows: 2·M·N·K per matmul and
// 2·(output elements)·(reduction length) per convolution, its input gradient
// and its weight gradient. Elementwise ops, reductions, pooling and the
// optimizer are not counted, as in peers/RESULTS.md's training FLOP counts.
// It returns 0 when prog has no func fn.
func FLOPs(prog *ir.Program, fn string, batch int) int64 {
	f := prog.Lookup(fn)
	if f == nil {
		return 0
	}
	var total int64
	for _, v := range f.Values {
		total += valueFLOPs(v, batch)
	}
	return total
}

// valueFLOPs is the multiply-add count of one value, times two.
func valueFLOPs(v *ir.Value, batch int) int64 {
	dim := func(d int) int64 {
		if d == ir.B {
			return int64(batch)
		}
		return int64(d)
	}
	switch v.Op {
	case ir.OpMatMul:
		a, b := v.Args[0].Type.Shape, v.Args[1].Type.Shape
		m, n, k, _ := ir.MatMulDims(a, b, v.Attrs.Bool("ta"), v.Attrs.Bool("tb"))
		if a.Rank() > 2 { // leading dims fold into M
			m = a[:a.Rank()-1].Elems(batch)
		}
		return 2 * dim(m) * dim(n) * dim(k)
	case ir.OpConv2d: // (x, w): out [N,O,OH,OW], reduction I·KH·KW
		w := v.Args[1].Type.Shape
		return 2 * int64(v.Type.Shape.Elems(batch)) * int64(w[1]*w[2]*w[3])
	case ir.OpConv2dGradInput: // (dy, w): as many products as the forward conv
		w := v.Args[1].Type.Shape
		return 2 * int64(v.Args[0].Type.Shape.Elems(batch)) * int64(w[1]*w[2]*w[3])
	case ir.OpConv2dGradWeight: // (x, dy) {shape = w's}: likewise
		w := v.Attrs.Ints("shape")
		if len(w) != 4 {
			w = v.Type.Shape
		}
		return 2 * int64(v.Args[1].Type.Shape.Elems(batch)) * int64(w[1]*w[2]*w[3])
	}
	return 0
}

// arenaBytes is the scratch memory a generated model allocates (as
// codegen sizes it).
func arenaBytes(prog *ir.Program) int64 {
	float := ir.F32
	for _, d := range prog.Inputs {
		if d.Type.DType == ir.F64 {
			float = ir.F64
		}
	}
	for _, q := range prog.Params {
		if q.Type.DType == ir.F64 {
			float = ir.F64
		}
	}
	return int64(ir.ModelArenaBytes(prog, float))
}

// labelRange is the number of valid values of the i32 input or target
// name: the class count of the loss that reads it (its logits' last dim) or
// the rows of the table an embedding looks it up in. It returns 0 when no
// use bounds it.
func labelRange(prog *ir.Program, name string) int {
	best := 0
	take := func(n int) {
		if n > 0 && (best == 0 || n < best) {
			best = n
		}
	}
	for _, f := range prog.Funcs {
		for _, v := range f.Values {
			for i, a := range v.Args {
				if a.Op != ir.OpInput || a.Attrs.Str("name") != name {
					continue
				}
				switch {
				case v.Op == ir.OpGather && i == 1:
					take(v.Args[0].Type.Shape[0])
				case (v.Op == ir.OpCrossEntropy || v.Op == ir.OpNLL || v.Op == ir.OpCrossEntropyGrad) && i == 1:
					s := v.Args[0].Type.Shape
					take(s[s.Rank()-1])
				case v.Op == ir.OpNLLGrad && i == 0:
					if s := v.Attrs.Ints("shape"); len(s) > 0 {
						take(s[len(s)-1])
					}
				}
			}
		}
	}
	if best == 0 && prog.Loss != nil && prog.Loss.Target == name {
		if f := prog.Lookup("infer"); f != nil {
			if out := f.Result(prog.Loss.Output); out != nil {
				take(out.Type.Shape[out.Type.Shape.Rank()-1])
			}
		}
	}
	return best
}
