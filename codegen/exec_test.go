package codegen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/ir/interp"
	"github.com/dlc-lang/dlc/passes"
)

// testProgram is a program the execution tests build and compare with the
// reference interpreter.
type testProgram struct {
	name   string
	prog   *ir.Program
	poison bool // generate with Options.Poison
}

var optimizerLine = regexp.MustCompile(`(?m)^optimizer .*$`)

// testPrograms are the programs of the execution tests: every op (ops.ir),
// an MLP with a hand-written backward pass under each optimizer and in
// f64, a conv net whose backward pass passes.Autodiff derives, and that
// conv net through the whole pass pipeline with each optional pass off in
// turn (pipelinePrograms), and models whose train step runs in two halves
// (splitPrograms).
func testPrograms(t testing.TB) []testProgram {
	return append(append(basePrograms(t), pipelinePrograms(t)...), splitPrograms(t)...)
}

// basePrograms are testPrograms without the pipeline variants: the tests
// of generation itself (determinism, imports, GEMM use) need only these.
func basePrograms(t testing.TB) []testProgram {
	mlp := readTestdata(t, "mlp.ir")
	withOpt := func(opt string) string { return optimizerLine.ReplaceAllString(mlp, "optimizer "+opt) }
	progs := []testProgram{
		{"ops", parseProgram(t, readTestdata(t, "ops.ir")), false},
		{"ops64", parseProgram(t, strings.ReplaceAll(readTestdata(t, "ops.ir"), "f32", "f64")), false},
		{"mlp", parseProgram(t, mlp), false},
		{"mlp64", parseProgram(t, strings.ReplaceAll(mlp, "f32", "f64")), false},
		{"mlpsgd", parseProgram(t, withOpt("sgd {lr=0.05, momentum=0.9, nesterov=1.0, weight_decay=0.01}")), false},
		{"mlpsgddamp", parseProgram(t, withOpt("sgd {lr=0.1, momentum=0.5, dampening=0.2}")), false},
		{"mlpsgdplain", parseProgram(t, withOpt("sgd {lr=0.1}")), false},
		{"mlpadamw", parseProgram(t, withOpt("adamw {lr=0.01, beta1=0.8, beta2=0.99, eps=1e-07, weight_decay=0.05, amsgrad=1.0}")), false},
		{"mlprmsprop", parseProgram(t, withOpt("rmsprop {lr=0.01, alpha=0.9, momentum=0.5, centered=1.0, weight_decay=0.001}")), false},
		{"mlprmsplain", parseProgram(t, withOpt("rmsprop {lr=0.01}")), false},
		{"convnet", withAutodiff(t, parseProgram(t, readTestdata(t, "convnet.ir"))), false},
	}
	return progs
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	src, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

func parseProgram(t testing.TB, src string) *ir.Program {
	t.Helper()
	p, err := ir.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func withAutodiff(t testing.TB, p *ir.Program) *ir.Program {
	t.Helper()
	if err := passes.Autodiff(p, p.Lookup("train"), passes.AutodiffOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// tolerance is the relative tolerance of comparisons with the float64
// interpreter.
func tolerance(p *ir.Program) float64 {
	if ft, _ := floatType(p); ft == ir.F64 {
		return 1e-10
	}
	return 1e-5
}

// mismatch returns a description of the worst element of got that differs
// from want by more than tol relative to the element and the tensor's
// largest magnitude, or "" when all agree (NaN agrees with NaN).
func mismatch(got, want []float64, tol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d elements, want %d", len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		if !math.IsInf(w, 0) && !math.IsNaN(w) {
			scale = max(scale, math.Abs(w))
		}
	}
	worst, at := 0.0, -1
	for i := range got {
		g, w := got[i], want[i]
		if math.IsNaN(g) && math.IsNaN(w) || g == w {
			continue
		}
		excess := math.Abs(g-w) / (tol * (math.Abs(w) + scale))
		if math.IsNaN(excess) || excess > worst {
			worst, at = excess, i
			if math.IsNaN(excess) {
				worst = math.Inf(1)
			}
		}
	}
	if worst <= 1 {
		return ""
	}
	return fmt.Sprintf("element %d is %v, want %v (scale %v)", at, got[at], want[at], scale)
}

// dataset is one batch of random inputs and targets, by name.
type dataset struct {
	n    int
	data map[string][]float64
}

// newDataset draws n rows for every input and target: class labels and ids
// in range, binary targets 0 or 1, other floats normal (rounded to f32 for
// f32 programs).
func newDataset(p *ir.Program, n int, r *rand.Rand) dataset {
	ds := dataset{n: n, data: map[string][]float64{}}
	f32 := tolerance(p) > 1e-8
	for _, d := range p.Inputs {
		x := make([]float64, d.Type.Shape.Elems(n))
		limit := idLimit(p, d.Name)
		binary := p.Loss != nil && p.Loss.Kind == "binary_cross_entropy" && p.Loss.Target == d.Name
		for i := range x {
			switch {
			case d.Type.DType == ir.I32:
				x[i] = float64(r.IntN(limit))
			case binary:
				x[i] = float64(r.IntN(2))
			case f32:
				x[i] = float64(float32(r.NormFloat64()))
			default:
				x[i] = r.NormFloat64()
			}
		}
		ds.data[d.Name] = x
	}
	return ds
}

// idLimit is the number of classes or table rows an i32 input indexes.
func idLimit(p *ir.Program, name string) int {
	limit := 1 << 30
	is := func(v *ir.Value) bool { return root(v).Op == ir.OpInput && root(v).Attrs.Str("name") == name }
	for _, f := range p.Funcs {
		for _, v := range f.Values {
			switch {
			case (v.Op == ir.OpCrossEntropy || v.Op == ir.OpCrossEntropyGrad || v.Op == ir.OpNLL) && is(v.Args[1]):
				limit = min(limit, v.Args[0].Type.Shape[1])
			case v.Op == ir.OpNLLGrad && is(v.Args[0]):
				limit = min(limit, v.Type.Shape[1])
			case v.Op == ir.OpGather && is(v.Args[1]):
				limit = min(limit, v.Args[0].Type.Shape[0])
			case v.Op == ir.OpScatterAdd && is(v.Args[0]):
				limit = min(limit, v.Type.Shape[0])
			}
		}
	}
	if limit == 1<<30 {
		return 3
	}
	return limit
}

// inputs are the dataset as interpreter tensors.
func (ds dataset) inputs(p *ir.Program) map[string]*interp.Tensor {
	m := map[string]*interp.Tensor{}
	for _, d := range p.Inputs {
		m[d.Name] = interp.FromData(interp.Resolve(d.Type.Shape, ds.n), append([]float64(nil), ds.data[d.Name]...))
	}
	return m
}

// args are the slices of an entry point: the inputs, then for forward
// zeroed outputs of the right length, else the targets.
func (ds dataset) args(p *ir.Program, kind string) [][]float64 {
	var args [][]float64
	for _, d := range p.Inputs {
		if d.Role == "input" {
			args = append(args, ds.data[d.Name])
		}
	}
	if kind == "forward" {
		for _, r := range p.Lookup("infer").Results {
			args = append(args, make([]float64, r.Value.Type.Shape.Elems(ds.n)))
		}
		return args
	}
	for _, d := range p.Inputs {
		if d.Role == "target" {
			args = append(args, ds.data[d.Name])
		}
	}
	return args
}

// paramTensors turns a state reply into the interpreter's parameters.
func paramTensors(ts []Tensor) map[string]*interp.Tensor {
	m := map[string]*interp.Tensor{}
	for _, t := range ts {
		m[t.Name] = &interp.Tensor{Shape: t.Shape, Data: append([]float64(nil), t.Data...)}
	}
	return m
}

func batchSizes(p *ir.Program) []int {
	if p.Batch <= 2 {
		return []int{p.Batch}
	}
	return []int{2, p.Batch}
}

// script records the calls of one driver run and where their replies land.
type script struct {
	calls []Call
}

func (s *script) add(c Call) int {
	s.calls = append(s.calls, c)
	return len(s.calls) - 1
}

const trainSteps = 3

// TestExecMatchesInterp runs every func of every test program through the
// generated package and through ir/interp, at a batch smaller than MaxBatch
// and at MaxBatch, and compares every result: Forward's outputs,
// Evaluate's loss and accuracy, and for TrainStep the loss, every gradient,
// the parameters after the optimizer (interp.Step) and the buffers.
func TestExecMatchesInterp(t *testing.T) {
	d, progs := sharedDriver(t)
	for _, hp := range progs {
		t.Run(hp.Name, func(t *testing.T) { checkAgainstInterp(t, d, hp) })
	}
}

func checkAgainstInterp(t *testing.T, d *driver, hp *harnessProgram) {
	p := hp.Prog
	r := rand.New(rand.NewPCG(11, uint64(len(hp.Name))))
	var s script
	s.add(Call{Op: "new", Seed: 5})
	first := s.add(Call{Op: "state"})
	type check struct {
		ds   dataset
		call int
	}
	var fwd, evals, trains []check
	var states []int
	for _, n := range batchSizes(p) {
		ds := newDataset(p, n, r)
		if hp.HasFwd {
			fwd = append(fwd, check{ds, s.add(Call{Op: "call", Kind: "forward", Args: ds.args(p, "forward")})})
		}
		if hp.HasEval {
			evals = append(evals, check{ds, s.add(Call{Op: "call", Kind: "evaluate", Args: ds.args(p, "evaluate")})})
		}
	}
	if hp.HasTrn {
		for step := range trainSteps {
			ds := newDataset(p, batchSizes(p)[step%len(batchSizes(p))], r)
			trains = append(trains, check{ds, s.add(Call{Op: "call", Kind: "train", Args: ds.args(p, "train")})})
			states = append(states, s.add(Call{Op: "state"}))
		}
	}
	replies := d.run(t, Request{Program: hp.Name, Calls: s.calls})
	for i, rep := range replies {
		if rep.Err != "" {
			t.Fatalf("call %d (%s %s): %s", i, s.calls[i].Op, s.calls[i].Kind, rep.Err)
		}
	}
	tol := tolerance(p)
	params := paramTensors(replies[first].Tensors)
	for _, c := range fwd {
		res := runInterp(t, p, "infer", c.ds, params, 0)
		outs := replies[c.call].Outs[len(hp.Forward)-len(p.Lookup("infer").Results):]
		for j, res0 := range p.Lookup("infer").Results {
			if msg := mismatch(outs[j], res[res0.Name].Data, tol); msg != "" {
				t.Errorf("forward n=%d: output %s: %s", c.ds.n, res0.Name, msg)
			}
		}
	}
	for _, c := range evals {
		res := runInterp(t, p, "eval", c.ds, params, 0)
		rep := replies[c.call]
		if msg := mismatch([]float64{rep.Loss}, res["loss"].Data, tol); msg != "" {
			t.Errorf("evaluate n=%d: loss: %s", c.ds.n, msg)
		}
		if want := refAccuracy(p, res, c.ds); rep.Acc != want {
			t.Errorf("evaluate n=%d: accuracy %v, want %v", c.ds.n, rep.Acc, want)
		}
	}
	state := map[string][]float64{}
	for step, c := range trains {
		res := runInterp(t, p, "train", c.ds, params, step)
		after := replies[states[step]]
		if msg := mismatch([]float64{replies[c.call].Loss}, res["loss"].Data, tol); msg != "" {
			t.Errorf("train step %d: loss: %s", step, msg)
		}
		checkTrainStep(t, p, step, res, params, after, state, tol)
		if after.Step != int64(step+1) {
			t.Errorf("train step %d: Step() = %d", step, after.Step)
		}
		params = paramTensors(after.Tensors) // compare the next step from the generated state
	}
}

// checkTrainStep compares one step's gradients, updated parameters and
// buffers with the interpreter's results res, which ran on params.
func checkTrainStep(t *testing.T, p *ir.Program, step int, res map[string]*interp.Tensor, params map[string]*interp.Tensor,
	after Reply, state map[string][]float64, tol float64) {
	t.Helper()
	pOff, _ := ir.Layout(p.Params)
	newParams, grads := map[string][]float64{}, map[string][]float64{}
	for i, q := range p.Params {
		g := res["grad."+q.Name]
		if g == nil {
			continue
		}
		size := q.Type.Shape.Elems(1)
		if msg := mismatch(after.Grads[pOff[i]:pOff[i]+size], g.Data, tol); msg != "" {
			t.Errorf("train step %d: grad.%s: %s", step, q.Name, msg)
		}
		newParams[q.Name] = append([]float64(nil), params[q.Name].Data...)
		grads[q.Name] = g.Data
	}
	got := map[string][]float64{}
	for _, ts := range after.Tensors {
		got[ts.Name] = ts.Data
	}
	if p.Optimizer != nil {
		if err := interp.Step(p.Optimizer, newParams, grads, state, step+1); err != nil {
			t.Fatal(err)
		}
		for name, want := range newParams {
			if msg := mismatch(got[name], want, tol); msg != "" {
				t.Errorf("train step %d: %s after %s: %s", step, name, p.Optimizer.Kind, msg)
			}
		}
	}
	for _, b := range p.Buffers {
		want := params[b.Name]
		if u := res["update."+b.Name]; u != nil {
			want = u
		}
		if want == nil {
			continue // an integer counter: not a tensor view
		}
		if msg := mismatch(got[b.Name], want.Data, tol); msg != "" {
			t.Errorf("train step %d: buffer %s: %s", step, b.Name, msg)
		}
	}
}

func runInterp(t *testing.T, p *ir.Program, fn string, ds dataset, params map[string]*interp.Tensor, step int) map[string]*interp.Tensor {
	t.Helper()
	res, err := interp.Run(p, p.Lookup(fn), interp.Env{N: ds.n, Inputs: ds.inputs(p), Params: params, Step: step})
	if err != nil {
		t.Fatalf("interp %s: %v", fn, err)
	}
	return res
}

// refAccuracy is Evaluate's accuracy computed from the interpreter's eval
// results in float64, rounded as the generated code's float type rounds
// the fraction.
func refAccuracy(p *ir.Program, res map[string]*interp.Tensor, ds dataset) float64 {
	pred, l := res["loss.input"], p.Loss
	if pred == nil || l == nil {
		return 0
	}
	y := ds.data[l.Target]
	hits := 0
	switch l.Kind {
	case "cross_entropy", "nll":
		classes := pred.Shape[1]
		for r, label := range y {
			best := 0
			for j := range classes {
				if pred.Data[r*classes+j] > pred.Data[r*classes+best] {
					best = j
				}
			}
			if float64(best) == label {
				hits++
			}
		}
	case "binary_cross_entropy":
		for i, v := range pred.Data {
			if (v > 0.5) == (y[i] > 0.5) {
				hits++
			}
		}
	default:
		return 0
	}
	if tolerance(p) > 1e-8 {
		return float64(float32(hits) / float32(len(y)))
	}
	return float64(hits) / float64(len(y))
}
