package parity

import (
	"math"
	"testing"

	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/ir/interp"
	"github.com/dlc-lang/dlc/passes"
)

// TestSaveArgmaxIsExact trains the fixture models with max pooling one step
// in the reference interpreter twice: as compiled, the backward pass
// routing each gradient through the u8 window offset the pooling saved
// (passes.SaveArgmax), and with save-argmax off, routing it through the
// pooling's input. The losses and gradients must be bit-identical. pad_bn
// pools 3x3 windows with stride 2 and padding 1: they overlap, and those
// on the border are clipped.
func TestSaveArgmaxIsExact(t *testing.T) {
	for _, name := range []string{"lenet", "cnn_bn", "pad_bn"} {
		t.Run(name, func(t *testing.T) {
			saved := compileRef(t, name)
			routed := compileRefWith(t, name, passes.Config{Check: true, Disabled: map[string]bool{"save-argmax": true}})
			offsets := 0
			for _, v := range saved.Lookup("train").Values {
				if v.Op == ir.OpMaxPool2dArgmax {
					offsets++
					if v.Type.DType != ir.U8 {
						t.Errorf("v%d: offsets %v, want u8", v.ID, v.Type)
					}
				}
			}
			for _, v := range routed.Lookup("train").Values {
				if v.Op == ir.OpMaxPool2dArgmax || v.Op == ir.OpMaxPool2dGradIdx {
					t.Fatalf("save-argmax off, yet v%d is %s", v.ID, v.Op)
				}
			}
			if offsets == 0 {
				t.Fatal("no maxpool2d_argmax in the compiled train func")
			}
			fx, err := Open(name)
			if err != nil {
				t.Fatal(err)
			}
			run := func(p *ir.Program) map[string]*interp.Tensor {
				x := tensor(t, fx, "input/x")
				env := interp.Env{N: x.Shape[0], Inputs: map[string]*interp.Tensor{"x": x, "y": tensor(t, fx, "target/y")},
					Params: map[string]*interp.Tensor{}, Masks: map[string]*interp.Tensor{}}
				for _, q := range append(append([]*ir.Param(nil), p.Params...), p.Buffers...) {
					env.Params[q.Name] = tensor(t, fx, "param/"+q.Name)
				}
				for _, layer := range fx.Names("mask/") {
					env.Masks[layer] = tensor(t, fx, "mask/"+layer)
				}
				res, err := interp.Run(p, p.Lookup("train"), env)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			got, want := run(saved), run(routed)
			for _, r := range saved.Lookup("train").Results {
				g, w := got[r.Name], want[r.Name]
				if w == nil || len(g.Data) != len(w.Data) {
					t.Fatalf("result %s missing or resized", r.Name)
				}
				for i := range g.Data {
					if math.Float64bits(g.Data[i]) != math.Float64bits(w.Data[i]) {
						t.Fatalf("%s[%d] = %v with saved offsets, %v routed through the input", r.Name, i, g.Data[i], w.Data[i])
					}
				}
			}
		})
	}
}
