package interp

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// TestMaxPoolArgmaxGrad checks that maxpool2d_grad_idx over the indices of
// maxpool2d_argmax is maxpool2d_grad, exactly, for every pooling case and
// with ties (a quantized input).
func TestMaxPoolArgmaxGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for ci, pc := range poolCases {
		x := randData(r, numElems(pc.x))
		for i := range x {
			x[i] = float64(int(x[i] * 3)) // ties
		}
		p := &ir.Program{Name: "t", Batch: 4}
		f := &ir.Func{Name: "infer"}
		b := ir.NewBuilder(f)
		dx := &ir.Decl{Name: "x", Role: "input", Type: ir.T(ir.F32, pc.x...)}
		p.Inputs = append(p.Inputs, dx)
		xv := b.Input(dx)
		y, err := b.Op(ir.OpMaxPool2d, pc.attrs(), xv)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := b.Op(ir.OpMaxPool2dArgmax, pc.attrs(), y)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := b.Op(ir.OpMaxPool2dGrad, pc.attrs(), xv, y)
		got, err := b.Op(ir.OpMaxPool2dGradIdx, ir.Attrs{"shape": []int(xv.Type.Shape)}, idx, y)
		if err != nil {
			t.Fatal(err)
		}
		f.Results = []ir.Result{{Name: "want", Value: want}, {Name: "got", Value: got}}
		p.Funcs = append(p.Funcs, f)
		if err := ir.Verify(p); err != nil {
			t.Fatal(err)
		}
		res, err := Run(p, f, Env{N: 3, Inputs: map[string]*Tensor{"x": FromData(Resolve(dx.Type.Shape, 3), x)}})
		if err != nil {
			t.Fatal(err)
		}
		checkTensor(t, fmt.Sprintf("pool case %d", ci), res["got"], res["want"].Shape, res["want"].Data, 0)
	}
}
