package parity

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/internal/driver"
	"github.com/dlc-lang/dlc/internal/parity/models/seedfinetune"
	"github.com/dlc-lang/dlc/internal/parity/models/seedlenet"
	"github.com/dlc-lang/dlc/internal/parity/models/seedlenetpoison"
	"github.com/dlc-lang/dlc/internal/parity/models/seedlstm"
	"github.com/dlc-lang/dlc/internal/parity/models/seedmlp"
	"github.com/dlc-lang/dlc/internal/parity/models/seedmlppoison"
	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/ir/interp"
	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// diffTol is the differential test's tolerance: float32 generated code
// against the float64 interpreter.
var diffTol = tol{Rtol: 1e-5, Atol: 1e-7}

// TestGeneratedMatchesInterp runs the seed models of testdata/models,
// generated into internal/parity/models/seed*, against the reference
// interpreter on the program the compiler produced them from, at batches
// of 3 and 1 rows, smaller than MaxBatch: Forward against func infer, Evaluate's loss
// against func eval, and for two train steps the loss and gradients
// against func train and the updated parameters and optimizer state
// against interp.Step applied to the model's own parameters, gradients and
// state (so that float32 rounding does not accumulate across steps).
func TestGeneratedMatchesInterp(t *testing.T) {
	for _, c := range []struct {
		name, model string
		new         func() *model
	}{
		{"mlp", "mlp", func() *model { return wrap[float32, float32, float32](seedmlp.New(7)) }},
		{"lenet", "lenet", func() *model { return wrap[float32, float32, int32](seedlenet.New(7)) }},
		{"lstm", "lstm", func() *model { return wrap[float32, float32, float32](seedlstm.New(7)) }},
		{"finetune", "finetune", func() *model { return wrap[float32, float32, int32](seedfinetune.New(7)) }},
		{"mlp-poison", "mlp", func() *model { return wrap[float32, float32, float32](seedmlppoison.New(7)) }},
		{"lenet-poison", "lenet", func() *model { return wrap[float32, float32, int32](seedlenetpoison.New(7)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(Dir(), "..", "models", c.model+".dl"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := driver.Compile(c.model+".dl", src, driver.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// One row leaves the first part of a split train step empty.
			for _, n := range []int{3, 1} {
				checkAgainstInterp(t, res.Program, c.new(), n)
			}
		})
	}
}

// randomInputs draws every input and target of p for n rows: normal floats,
// class labels in range.
func randomInputs(p *ir.Program, n int, rng *dlcrt.RNG) map[string]*interp.Tensor {
	in := map[string]*interp.Tensor{}
	for _, d := range p.Inputs {
		t := interp.NewTensor(interp.Resolve(d.Type.Shape, n)...)
		classes := 0
		if d.Role == "target" && !d.Type.DType.IsFloat() {
			classes = p.Lookup("infer").Results[0].Value.Type.Shape[1]
		}
		for i := range t.Data {
			switch {
			case classes > 0:
				t.Data[i] = float64(rng.IntN(classes))
			case p.Loss.Kind == "binary_cross_entropy" && d.Role == "target":
				t.Data[i] = float64(rng.IntN(2))
			default:
				a, _ := rng.NormPair()
				t.Data[i] = a
			}
		}
		in[d.Name] = t
	}
	return in
}

func checkAgainstInterp(t *testing.T, p *ir.Program, m *model, n int) {
	in := randomInputs(p, n, dlcrt.NewRNG(1))
	x, y := in[p.Inputs[0].Name], in[p.Inputs[1].Name]
	if p.Inputs[0].Role != "input" || p.Inputs[1].Role != "target" || len(p.Inputs) != 2 {
		t.Fatalf("want one input and one target, got %v", p.Inputs)
	}
	for step := 0; step < 2; step++ {
		views := m.params(t)
		env := interp.Env{N: n, Inputs: in, Params: map[string]*interp.Tensor{}, Step: int(m.step())}
		for _, v := range views {
			env.Params[v.Name] = interp.FromData(v.Shape, v.Data)
		}
		run := func(fn string) map[string]*interp.Tensor {
			r, err := interp.Run(p, p.Lookup(fn), env)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if step == 0 {
			infer := p.Lookup("infer").Results[0]
			want := run("infer")[infer.Name].Data
			got, err := m.forward(x.Data, len(want))
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "forward "+infer.Name, got, want, diffTol)
			loss, _, err := m.evaluate(x.Data, y.Data)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "evaluate loss", []float64{loss}, run("eval")["loss"].Data, diffTol)
		}
		state := map[string][]float64{}
		if step > 0 {
			f := m.saved(t)
			for _, ten := range f.Tensors {
				if k, ok := strings.CutPrefix(ten.Name, "optimizer.state."); ok {
					i := strings.LastIndex(k, ".")
					state[interp.StateKey(k[:i], k[i+1:])] = values(t, f, ten.Name)
				}
			}
		}
		want := run("train")
		loss, err := m.train(x.Data, y.Data)
		if err != nil {
			t.Fatal(err)
		}
		compare(t, fmt.Sprintf("step %d: loss", step+1), []float64{loss}, want["loss"].Data, diffTol)
		g := m.grads()
		params, grads := map[string][]float64{}, map[string][]float64{}
		frozen := map[string][]float64{} // parameters without a gradient, as before the step
		for _, v := range views {
			if v.Buffer {
				continue
			}
			if want["grad."+v.Name] == nil {
				frozen[v.Name] = append([]float64(nil), v.Data...)
				compare(t, fmt.Sprintf("step %d: grad block of frozen %s", step+1, v.Name), g[v.Off:v.Off+len(v.Data)], make([]float64, len(v.Data)), tol{})
				continue
			}
			grads[v.Name] = g[v.Off : v.Off+len(v.Data)]
			compare(t, fmt.Sprintf("step %d: grad %s", step+1, v.Name), grads[v.Name], want["grad."+v.Name].Data, diffTol)
			params[v.Name] = v.Data
		}
		if err := interp.Step(p.Optimizer, params, grads, state, step+1); err != nil {
			t.Fatal(err)
		}
		for _, v := range m.params(t) {
			switch {
			case frozen[v.Name] != nil:
				compare(t, fmt.Sprintf("step %d: frozen %s", step+1, v.Name), v.Data, frozen[v.Name], tol{})
			case !v.Buffer:
				compare(t, fmt.Sprintf("step %d: %s", step+1, v.Name), v.Data, params[v.Name], diffTol)
			}
		}
		f := m.saved(t)
		for name := range frozen {
			for _, ten := range f.Tensors {
				if strings.HasPrefix(ten.Name, "optimizer.state."+name+".") {
					t.Errorf("frozen %s has optimizer state %s in the saved file", name, ten.Name)
				}
			}
		}
		for k, w := range state {
			param, slot, _ := strings.Cut(k, "/")
			compare(t, fmt.Sprintf("step %d: state %s.%s", step+1, param, slot), values(t, f, "optimizer.state."+param+"."+slot), w, diffTol)
		}
	}
}
