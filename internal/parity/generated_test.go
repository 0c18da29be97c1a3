package parity

import (
	"fmt"
	"testing"

	"github.com/dlc-lang/dlc/internal/parity/models/gru"
	"github.com/dlc-lang/dlc/internal/parity/models/layernorm"
	"github.com/dlc-lang/dlc/internal/parity/models/lenet"
	"github.com/dlc-lang/dlc/internal/parity/models/lstm"
	"github.com/dlc-lang/dlc/internal/parity/models/mlp"
	"github.com/dlc-lang/dlc/internal/parity/models/mlp64"
	"github.com/dlc-lang/dlc/internal/parity/models/mlp_adamw"
	"github.com/dlc-lang/dlc/internal/parity/models/mlp_rmsprop"
	"github.com/dlc-lang/dlc/internal/parity/models/mlp_sgd"
	"github.com/dlc-lang/dlc/internal/parity/models/rnn_state"
)

// genCase is a committed generated package (internal/parity/models) and
// the fixture it is checked against.
type genCase struct {
	name, fixture string
	new           func() *model
	tol           tol // for gradients, parameters after steps and optimizer state
}

// parityTol is the tolerance of issues 3 and 4: 1e-4 relative, with an
// absolute floor for values near zero. Every case passes with it; the
// closest call (0.87 of the tolerance) is step1/lstm2.weight_ih_l0[6509]:
// its gradient is -1.9e-8, about Adam's eps, so the first Adam step
// lr*g/(|g|+eps) amplifies the gradient's float32 rounding (1.3% of
// 1.9e-8, far inside the gradient's own tolerance) into the parameter.
var parityTol = tol{Rtol: 1e-4, Atol: 1e-6}

var genCases = []genCase{
	{"mlp", "mlp", func() *model { return wrap[float32, float32, float32](mlp.New(1)) }, parityTol},
	{"mlp64", "mlp", func() *model { return wrap[float64, float64, float64](mlp64.New(1)) }, parityTol},
	{"mlp_sgd", "mlp_sgd", func() *model { return wrap[float32, float32, float32](mlp_sgd.New(1)) }, parityTol},
	{"mlp_adamw", "mlp_adamw", func() *model { return wrap[float32, float32, float32](mlp_adamw.New(1)) }, parityTol},
	{"mlp_rmsprop", "mlp_rmsprop", func() *model { return wrap[float32, float32, float32](mlp_rmsprop.New(1)) }, parityTol},
	{"lenet", "lenet", func() *model { return wrap[float32, float32, int32](lenet.New(1)) }, parityTol},
	{"lstm", "lstm", func() *model { return wrap[float32, float32, float32](lstm.New(1)) }, parityTol},
	{"gru", "gru", func() *model { return wrap[float32, int32, float32](gru.New(1)) }, parityTol},
	{"layernorm", "layernorm", func() *model { return wrap[float32, float32, int32](layernorm.New(1)) }, parityTol},
	{"rnn_state", "rnn_state", func() *model { return wrap[float32, float32, float32](rnn_state.New(1)) }, parityTol},
}

// TestGeneratedMatchesPyTorch loads each PyTorch-written state_dict into a
// generated model and checks it against the fixture: the loaded parameters,
// the train-mode output (these models have no dropout or batchnorm, so
// Forward computes it), the loss, every gradient, the parameters and the
// optimizer state after one step and, where the fixture has them, after
// three, and the eval-mode output after the first step.
func TestGeneratedMatchesPyTorch(t *testing.T) {
	for _, c := range genCases {
		t.Run(c.name, func(t *testing.T) {
			fx, err := Open(c.fixture)
			if err != nil {
				t.Fatal(err)
			}
			m := c.new()
			m.loadFile(t, c.fixture+"_state_dict.safetensors")
			checkParams(t, m, fx, "param/", tol{})
			x, y := want(t, fx, "input/x"), want(t, fx, "target/y")
			out := fx.Names("output/")[0]
			got, err := m.forward(x, len(want(t, fx, "output/"+out)))
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "output "+out, got, want(t, fx, "output/"+out), parityTol)

			losses := want(t, fx, "loss")
			if fx.Has("loss_history") {
				losses = want(t, fx, "loss_history")
			}
			steps := 1
			if fx.Has("step3/" + fx.Names("param/")[0]) {
				steps = 3
			}
			for step := 1; step <= steps; step++ {
				loss, err := m.train(x, y)
				if err != nil {
					t.Fatal(err)
				}
				compare(t, fmt.Sprintf("loss before step %d", step), []float64{loss}, losses[step-1:step], parityTol)
				if step == 1 {
					checkGrads(t, m, fx, c.tol)
					checkParams(t, m, fx, "step1/", c.tol)
					checkState(t, m, fx, "state/", 1, c.tol)
					got, err := m.forward(x, len(want(t, fx, "eval_output/"+out)))
					if err != nil {
						t.Fatal(err)
					}
					compare(t, "eval output "+out, got, want(t, fx, "eval_output/"+out), parityTol)
				}
			}
			if steps == 3 {
				checkParams(t, m, fx, "step3/", c.tol)
				checkState(t, m, fx, "state3/", 3, c.tol)
			}
		})
	}
}

// checkParams compares Params() with the fixture's tensors under prefix
// (param/, step1/, step3/); every fixture tensor must be in Params or, for
// integer buffers (num_batches_tracked), in the file Save writes. over
// gives some tensors their own tolerance.
func checkParams(t *testing.T, m *model, fx *Fixture, prefix string, tl tol, over ...map[string]tol) {
	t.Helper()
	tolOf := func(name string) tol {
		for _, o := range over {
			if x, ok := o[name]; ok {
				return x
			}
		}
		return tl
	}
	views := map[string]view{}
	for _, v := range m.params(t) {
		views[v.Name] = v
	}
	var saved map[string][]float64
	for _, name := range fx.Names(prefix) {
		w, shape, err := fx.Float64(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		v, ok := views[name]
		if !ok {
			if saved == nil {
				f := m.saved(t)
				saved = map[string][]float64{}
				for _, ten := range f.Tensors {
					saved[ten.Name] = values(t, f, ten.Name)
				}
			}
			got, ok := saved[name]
			if !ok {
				t.Errorf("%s%s: neither in Params nor in the saved file", prefix, name)
				continue
			}
			compare(t, prefix+name+" (saved)", got, w, tolOf(name))
			continue
		}
		if fmt.Sprint(v.Shape) != fmt.Sprint(shape) {
			t.Errorf("%s%s: shape %v, want %v", prefix, name, v.Shape, shape)
		}
		compare(t, prefix+name, v.Data, w, tolOf(name))
		delete(views, name)
	}
	for name := range views {
		t.Errorf("Params has %s, which the fixture has not under %s", name, prefix)
	}
}

// checkGrads compares Grads(), sliced per parameter, with grad/.
func checkGrads(t *testing.T, m *model, fx *Fixture, tl tol) {
	t.Helper()
	g := m.grads()
	n := 0
	for _, v := range m.params(t) {
		if v.Buffer {
			continue
		}
		n++
		compare(t, "grad "+v.Name, g[v.Off:v.Off+len(v.Data)], want(t, fx, "grad/"+v.Name), tl)
	}
	if n != len(fx.Names("grad/")) {
		t.Errorf("%d parameters, the fixture has %d gradients", n, len(fx.Names("grad/")))
	}
}

// checkState compares the optimizer state Save writes with the fixture's
// state under prefix (state/ or state3/), and optimizer.step with step.
func checkState(t *testing.T, m *model, fx *Fixture, prefix string, step int64, tl tol) {
	t.Helper()
	f := m.saved(t)
	if got := values(t, f, "optimizer.step"); got[0] != float64(step) || m.step() != step {
		t.Errorf("optimizer.step = %v, Step() = %d, want %d", got, m.step(), step)
	}
	keys := fx.Names(prefix)
	for _, k := range keys {
		w := want(t, fx, prefix+k)
		if k == "step" {
			if w[0] != float64(step) {
				t.Errorf("fixture %sstep = %v, want %d", prefix, w, step)
			}
			continue
		}
		if _, ok := f.Tensor("optimizer.state." + k); !ok {
			t.Errorf("saved file has no optimizer.state.%s", k)
			continue
		}
		compare(t, "state "+k, values(t, f, "optimizer.state."+k), w, tl)
	}
	n := 0
	for _, ten := range f.Tensors {
		if len(ten.Name) > len("optimizer.state.") && ten.Name[:len("optimizer.state.")] == "optimizer.state." {
			n++
		}
	}
	if want := len(keys); fx.Has(prefix+"step") && n != want-1 || !fx.Has(prefix+"step") && n != want {
		t.Errorf("saved file has %d optimizer.state tensors, the fixture %d under %s", n, want, prefix)
	}
}
