package interp

import "fmt"

// evalMatMul computes op(a)·op(b), op transposing when ta or tb is set.
// The leading axes of a rank>2 a fold into the rows of a matrix whose
// columns are a's last axis; the result keeps a's leading axes.
func evalMatMul(c *call) (*Tensor, error) {
	a, b := c.args[0], c.args[1]
	ta, tb := c.v.Attrs.Bool("ta"), c.v.Attrs.Bool("tb")
	ac := a.Shape[len(a.Shape)-1]
	ar := len(a.Data) / ac
	br, bc := b.Shape[0], b.Shape[1]
	opA := func(i, k int) float64 { return a.Data[i*ac+k] }
	m, kk := ar, ac
	if ta {
		opA = func(i, k int) float64 { return a.Data[k*ac+i] }
		m, kk = ac, ar
	}
	opB := func(k, j int) float64 { return b.Data[k*bc+j] }
	k2, n := br, bc
	if tb {
		opB = func(k, j int) float64 { return b.Data[j*bc+k] }
		k2, n = bc, br
	}
	if kk != k2 || m*n != numElems(c.out) {
		return nil, fmt.Errorf("operands %v and %v do not fit result %v", a.Shape, b.Shape, c.out)
	}
	out := NewTensor(c.out...)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for k := 0; k < kk; k++ {
				s += opA(i, k) * opB(k, j)
			}
			out.Data[i*n+j] = s
		}
	}
	return out, nil
}
