package interp

import (
	"math"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// optCase runs two steps of an optimizer on one parameter p=1 with
// gradients g1 then g2, and compares p after each step with values worked
// out by hand from torch.optim's update rules.
type optCase struct {
	name   string
	kind   string
	hyper  map[string]float64
	g1, g2 float64
	p1, p2 float64
}

func optCases() []optCase {
	// Adam, lr=0.1, betas (0.9, 0.999), eps 1e-8, g = 0.5 then -0.25:
	// step 1: m=0.05, v=0.00025, m̂ = 0.5, sqrt(v̂) = 0.5.
	adamP1 := 1 - 0.1*0.5/(0.5+1e-8)
	// step 2: m = 0.045-0.025 = 0.02, v = 0.00024975+0.0000625 = 0.00031225,
	// bias corrections 0.19 and 0.001999.
	adamDenom2 := math.Sqrt(0.00031225)/math.Sqrt(0.001999) + 1e-8
	adamP2 := adamP1 - 0.1/0.19*0.02/adamDenom2
	// AdamW with weight_decay 0.1 first multiplies p by 1 - 0.01.
	adamwP1 := 0.99 - 0.1*0.5/(0.5+1e-8)
	adamwP2 := adamwP1*0.99 - 0.1/0.19*0.02/adamDenom2
	// amsgrad, g = 0.5 then 0.01: v2 = 0.00024975 + 1e-7 < v1, so vmax = v1.
	amsP2 := adamP1 - 0.1/0.19*(0.045+0.001)/(math.Sqrt(0.00025)/math.Sqrt(0.001999)+1e-8)
	// RMSprop, lr 0.01, alpha 0.99, g = 0.5 twice: sq = 0.0025 then 0.004975.
	rmsP1 := 1 - 0.01*0.5/(0.05+1e-8)
	rmsP2 := rmsP1 - 0.01*0.5/(math.Sqrt(0.004975)+1e-8)
	// centered with momentum 0.9: ga = 0.005 then 0.00995.
	avg1 := math.Sqrt(0.0025-0.005*0.005) + 1e-8
	avg2 := math.Sqrt(0.004975-0.00995*0.00995) + 1e-8
	buf1 := 0.5 / avg1
	buf2 := 0.9*buf1 + 0.5/avg2
	// weight decay 0.5 turns g into g + 0.5p: 0.5+0.5 = 1 on step 1, sq = 0.01.
	rmsWdP1 := 1 - 0.01*1/(0.1+1e-8)
	g2 := 0.5 + 0.5*rmsWdP1
	rmsWdP2 := rmsWdP1 - 0.01*g2/(math.Sqrt(0.99*0.01+0.01*g2*g2)+1e-8)
	return []optCase{
		{"sgd", "sgd", map[string]float64{"lr": 0.1}, 0.5, 0.5, 0.95, 0.9},
		// d = 0.5+0.1 = 0.6 = buf, p = 0.94; d = 0.5+0.094 = 0.594,
		// buf = 0.9·0.6 + 0.9·0.594 = 1.0746, p = 0.94-0.10746.
		{"sgd momentum", "sgd", map[string]float64{"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.1}, 0.5, 0.5, 0.94, 0.83254},
		// buf = 0.5, d = 0.5+0.45, p = 0.905; buf = 0.95, d = 0.5+0.855, p = 0.7695.
		{"sgd nesterov", "sgd", map[string]float64{"lr": 0.1, "momentum": 0.9, "nesterov": 1}, 0.5, 0.5, 0.905, 0.7695},
		{"adam", "adam", map[string]float64{"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, 0.5, -0.25, adamP1, adamP2},
		{"adam defaults", "adam", map[string]float64{"lr": 0.1}, 0.5, -0.25, adamP1, adamP2},
		{"adamw", "adamw", map[string]float64{"lr": 0.1, "weight_decay": 0.1}, 0.5, -0.25, adamwP1, adamwP2},
		{"adam amsgrad", "adam", map[string]float64{"lr": 0.1, "amsgrad": 1}, 0.5, 0.01, adamP1, amsP2},
		{"rmsprop", "rmsprop", map[string]float64{"lr": 0.01}, 0.5, 0.5, rmsP1, rmsP2},
		{"rmsprop centered momentum", "rmsprop", map[string]float64{"lr": 0.01, "centered": 1, "momentum": 0.9}, 0.5, 0.5, 1 - 0.01*buf1, 1 - 0.01*buf1 - 0.01*buf2},
		{"rmsprop weight decay", "rmsprop", map[string]float64{"lr": 0.01, "weight_decay": 0.5}, 0.5, 0.5, rmsWdP1, rmsWdP2},
	}
}

func TestOptimizers(t *testing.T) {
	for _, tc := range optCases() {
		opt := &ir.Optimizer{Kind: tc.kind, Hyper: tc.hyper}
		// Two parameters: the second, with gradients of opposite sign starting
		// at -1, must mirror the first (every rule is odd in (p, g)).
		params := map[string][]float64{"w": {1}, "b": {-1}}
		state := map[string][]float64{}
		for step, g := range []float64{tc.g1, tc.g2} {
			if err := Step(opt, params, map[string][]float64{"w": {g}, "b": {-g}}, state, step+1); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			want := []float64{tc.p1, tc.p2}[step]
			if got := params["w"][0]; math.Abs(got-want) > 1e-12 {
				t.Errorf("%s step %d: p = %.15g, want %.15g", tc.name, step+1, got, want)
			}
			if params["b"][0] != -params["w"][0] {
				t.Errorf("%s step %d: b = %v does not mirror w = %v", tc.name, step+1, params["b"][0], params["w"][0])
			}
		}
	}
}

func TestOptimizerState(t *testing.T) {
	opt := &ir.Optimizer{Kind: "adam", Hyper: map[string]float64{"lr": 0.1, "amsgrad": 1}}
	state := map[string][]float64{}
	if err := Step(opt, map[string][]float64{"fc.weight": {1, 2}}, map[string][]float64{"fc.weight": {0.5, 1}}, state, 1); err != nil {
		t.Fatal(err)
	}
	for _, slot := range []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"} {
		if len(state[StateKey("fc.weight", slot)]) != 2 {
			t.Errorf("no state %s after one step: %v", slot, state)
		}
	}
	if got := state["fc.weight/exp_avg"][1]; math.Abs(got-0.1) > 1e-15 {
		t.Errorf("exp_avg = %v, want 0.1", got)
	}
}

func TestOptimizerErrors(t *testing.T) {
	p := map[string][]float64{"w": {1}}
	for _, tc := range []struct {
		opt   *ir.Optimizer
		grads map[string][]float64
		step  int
		want  string
	}{
		{&ir.Optimizer{Kind: "lion"}, p, 1, `unknown optimizer "lion"`},
		{&ir.Optimizer{Kind: "sgd"}, p, 1, "sgd needs a learning rate"},
		{&ir.Optimizer{Kind: "adam"}, p, 0, "optimizer step 0 is not positive"},
		{&ir.Optimizer{Kind: "adam"}, map[string][]float64{"w": {}}, 1, "parameter w has 1 elements but its gradient 0"},
		{&ir.Optimizer{Kind: "adam"}, map[string][]float64{"v": {1}}, 1, "gradient v has no parameter"},
	} {
		err := Step(tc.opt, map[string][]float64{"w": {1}}, tc.grads, map[string][]float64{}, tc.step)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// TestStepSkipsFrozen checks that a parameter without a gradient (frozen)
// is neither decayed nor given state.
func TestStepSkipsFrozen(t *testing.T) {
	params := map[string][]float64{"w": {1, 2}, "frozen": {3}}
	state := map[string][]float64{}
	opt := &ir.Optimizer{Kind: "sgd", Hyper: map[string]float64{"lr": 0.1, "momentum": 0.9, "weight_decay": 0.5}}
	if err := Step(opt, params, map[string][]float64{"w": {0, 0}}, state, 1); err != nil {
		t.Fatal(err)
	}
	if params["frozen"][0] != 3 {
		t.Errorf("frozen parameter moved to %v", params["frozen"][0])
	}
	if params["w"][0] == 1 {
		t.Error("weight decay did not move the trainable parameter")
	}
	for k := range state {
		if strings.HasPrefix(k, "frozen/") {
			t.Errorf("frozen parameter has state %s", k)
		}
	}
}
