package parity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/dsl"
	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/ir/interp"
	"github.com/dlc-lang/dlc/passes"
)

// compileRef lowers testdata/torchref/<name>.dl and runs the pipeline.
func compileRef(t *testing.T, name string) *ir.Program {
	return compileRefWith(t, name, passes.Config{Check: true})
}

// compileRefWith is compileRef with a pipeline configuration.
func compileRefWith(t *testing.T, name string, cfg passes.Config) *ir.Program {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(Dir(), name+".dl"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := dsl.Parse(name+".dl", src)
	if err != nil {
		t.Fatal(err)
	}
	p, err := passes.Lower(f, passes.LowerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := passes.Run(p, cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

// refTolerance is loose enough for float32 PyTorch against float64 dlc.
const refRtol, refAtol = 1e-4, 1e-6

// TestInterpMatchesPyTorch runs the reference interpreter on the compiled
// IR of every fixture model: forward, loss, every gradient and the
// optimizer steps must match PyTorch. This checks lowering, autodiff and
// the optimizer formulas independently of code generation.
func TestInterpMatchesPyTorch(t *testing.T) {
	for _, name := range []string{"mlp", "mlp_sgd", "mlp_adamw", "mlp_rmsprop", "lenet", "lstm", "gru", "layernorm", "cnn_bn", "pad_bn", "rnn_state"} {
		t.Run(name, func(t *testing.T) {
			p := compileRef(t, name)
			fx, err := Open(name)
			if err != nil {
				t.Fatal(err)
			}
			checkInterp(t, p, fx)
		})
	}
}

func tensor(t *testing.T, fx *Fixture, name string) *interp.Tensor {
	t.Helper()
	v, shape, err := fx.Float64(name)
	if err != nil {
		t.Fatal(err)
	}
	return interp.FromData(shape, v)
}

func checkInterp(t *testing.T, p *ir.Program, fx *Fixture) {
	x := tensor(t, fx, "input/x")
	env := interp.Env{N: x.Shape[0], Inputs: map[string]*interp.Tensor{"x": x, "y": tensor(t, fx, "target/y")}, Params: map[string]*interp.Tensor{}}
	params, grads, state := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	for _, q := range append(append([]*ir.Param(nil), p.Params...), p.Buffers...) {
		env.Params[q.Name] = tensor(t, fx, "param/"+q.Name)
	}
	for _, layer := range fx.Names("mask/") {
		if env.Masks == nil {
			env.Masks = map[string]*interp.Tensor{}
		}
		env.Masks[layer] = tensor(t, fx, "mask/"+layer)
	}
	train := p.Lookup("train")
	steps := 1
	if fx.Has("step3/" + p.Params[0].Name) {
		steps = 3
	}
	for step := 1; step <= steps; step++ {
		res, err := interp.Run(p, train, env)
		if err != nil {
			t.Fatal(err)
		}
		if step == 1 {
			want, _, _ := fx.Float64("loss")
			if msg := Close(res["loss"].Data, want, refRtol, refAtol); msg != "" {
				t.Errorf("loss: %s", msg)
			}
			for _, q := range p.Params {
				want, _, _ := fx.Float64("grad/" + q.Name)
				if msg := Close(res["grad."+q.Name].Data, want, 1e-3, 1e-5); msg != "" {
					t.Errorf("grad %s: %s", q.Name, msg)
				}
			}
		}
		for _, q := range p.Params {
			params[q.Name] = env.Params[q.Name].Data
			grads[q.Name] = res["grad."+q.Name].Data
		}
		if err := interp.Step(p.Optimizer, params, grads, state, step); err != nil {
			t.Fatal(err)
		}
		if step == 1 || step == 3 {
			for _, q := range p.Params {
				want, _, _ := fx.Float64("step" + string(rune('0'+step)) + "/" + q.Name)
				tl := tol{1e-4, 1e-6}
				if o, ok := stepTol[fx.Name][q.Name]; ok {
					tl = o
				}
				if msg := Close(params[q.Name], want, tl.Rtol, tl.Atol); msg != "" {
					t.Errorf("step %d %s: %s", step, q.Name, msg)
				}
			}
		}
	}
	if step1 := fx.Names("state/"); len(step1) > 0 && steps == 1 {
		for _, k := range step1 {
			if k == "step" {
				continue
			}
			i := strings.LastIndex(k, ".")
			got := state[interp.StateKey(k[:i], k[i+1:])]
			want, _, _ := fx.Float64("state/" + k)
			tl := tol{1e-3, 1e-8}
			if o, ok := stepTol[fx.Name][k[:i]]; ok {
				tl = o
			}
			if msg := Close(got, want, tl.Rtol, tl.Atol); msg != "" {
				t.Errorf("state %s: %s", k, msg)
			}
		}
	}
}

// TestEachOptionalPassDisabled reruns the PyTorch comparison with each
// optional pass of the pipeline turned off in turn, and with only the
// required passes (-O0): no pass may be needed for correctness.
func TestEachOptionalPassDisabled(t *testing.T) {
	configs := map[string]passes.Config{"O0": {O0: true, Check: true}}
	for _, name := range passes.PassNames() {
		if !strings.HasSuffix(name, "(required)") {
			configs["off="+name] = passes.Config{Check: true, Disabled: map[string]bool{name: true}}
		}
	}
	if len(configs) < 3 {
		t.Fatalf("only %d configurations: %v", len(configs), passes.PassNames())
	}
	for label, cfg := range configs {
		for _, model := range []string{"mlp", "lenet", "layernorm"} {
			t.Run(label+"/"+model, func(t *testing.T) {
				p := compileRefWith(t, model, cfg)
				fx, err := Open(model)
				if err != nil {
					t.Fatal(err)
				}
				checkInterp(t, p, fx)
			})
		}
	}
}
