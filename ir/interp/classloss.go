package interp

import (
	"fmt"
	"math"
)

// label returns row n's class label from labels, checked against the
// number of classes.
func label(labels *Tensor, n, classes int) (int, error) {
	l := labels.Data[n]
	if l != math.Trunc(l) || l < 0 || int(l) >= classes {
		return 0, fmt.Errorf("label %v of row %d is not a class in 0..%d", l, n, classes-1)
	}
	return int(l), nil
}

// rows calls fn for each row n of an [N,C] tensor with its label and the
// row's flat offsets; it stops at the first bad label.
func rows(scores []int, labels *Tensor, fn func(n, lab int, row []int)) error {
	classes := scores[1]
	row := make([]int, classes)
	for n := 0; n < scores[0]; n++ {
		lab, err := label(labels, n, classes)
		if err != nil {
			return err
		}
		for k := range row {
			row[k] = n*classes + k
		}
		fn(n, lab, row)
	}
	return nil
}

// evalCrossEntropy (z, labels) is -log_softmax(z)[n, label[n]] per row
// (PyTorch's cross_entropy with reduction='none').
func evalCrossEntropy(c *call) (*Tensor, error) {
	z := c.args[0]
	out := NewTensor(c.out...)
	err := rows(z.Shape, c.args[1], func(n, lab int, row []int) {
		out.Data[n] = logSumExp(z.Data, row) - z.Data[row[lab]]
	})
	return out, err
}

// evalCrossEntropyGrad (z, labels, dy) is dy[n]·(softmax(z)[n] - onehot(label[n])).
func evalCrossEntropyGrad(c *call) (*Tensor, error) {
	z, dy := c.args[0], c.args[2]
	out := NewTensor(c.out...)
	err := rows(z.Shape, c.args[1], func(n, lab int, row []int) {
		lse := logSumExp(z.Data, row)
		for k, o := range row {
			p := math.Exp(z.Data[o] - lse)
			if k == lab {
				p--
			}
			out.Data[o] = dy.Data[n] * p
		}
	})
	return out, err
}

// evalNLL (logp, labels) is -logp[n, label[n]] per row.
func evalNLL(c *call) (*Tensor, error) {
	logp := c.args[0]
	out := NewTensor(c.out...)
	err := rows(logp.Shape, c.args[1], func(n, lab int, row []int) {
		out.Data[n] = -logp.Data[row[lab]]
	})
	return out, err
}

// evalNLLGrad (labels, dy) {shape} is -dy[n] at [n, label[n]], zero elsewhere.
func evalNLLGrad(c *call) (*Tensor, error) {
	dy := c.args[1]
	out := NewTensor(c.out...)
	err := rows(c.out, c.args[0], func(n, lab int, row []int) {
		out.Data[row[lab]] = -dy.Data[n]
	})
	return out, err
}
