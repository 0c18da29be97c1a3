package ir

// FLOPs counts the floating-point operations of f's products at batch
// size n: 2·M·N·K for each matmul (M·N output elements, K the inner
// dimension) and for each convolution and its gradients (K = C·KH·KW per
// output element of the forward convolution, or per element of dy for the
// gradients). Elementwise work, reductions and epilogues are not counted.
func FLOPs(f *Func, n int) int {
	total := 0
	for _, v := range f.Values {
		switch v.Op {
		case OpMatMul:
			a := v.Args[0].Type.Shape
			k := a[len(a)-1]
			if v.Attrs.Bool("ta") {
				k = a[len(a)-2]
			}
			total += 2 * v.Type.Shape.Elems(n) * k
		case OpConv2d:
			total += 2 * v.Type.Shape.Elems(n) * Shape(v.Args[1].Type.Shape[1:]).Elems(n)
		case OpConv2dGradInput:
			total += 2 * v.Args[0].Type.Shape.Elems(n) * Shape(v.Args[1].Type.Shape[1:]).Elems(n)
		case OpConv2dGradWeight:
			total += 2 * v.Args[1].Type.Shape.Elems(n) * Shape(v.Type.Shape[1:]).Elems(n)
		}
	}
	return total
}
