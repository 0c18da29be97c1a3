package passes

import (
	"flag"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/ir/interp"
	"golang.org/x/tools/txtar"
)

// The golden tests share the package's -update flag, registered here
// unless another test file of the package has registered it already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestAutodiffGolden runs Autodiff on the train func of each
// testdata/autodiff/*.txtar's in.ir and compares the program with want.ir
// (rewritten under -update). The archive comment may hold a line
// "grad-input: x y" naming inputs to differentiate as well. Each result
// also passes the finite-difference check.
func TestAutodiffGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/autodiff/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { checkAutodiffGolden(t, file) })
	}
}

func checkAutodiffGolden(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	in := txtarFile(ar, "in.ir")
	if in == nil {
		t.Fatal("no in.ir")
	}
	var inputs []string
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		if rest, ok := strings.CutPrefix(line, "grad-input:"); ok {
			inputs = append(inputs, strings.Fields(rest)...)
		}
	}
	p, err := ir.Parse(string(in.Data))
	if err != nil {
		t.Fatal(err)
	}
	fwd, _ := ir.Parse(string(in.Data))
	if err := Autodiff(p, p.Lookup("train"), AutodiffOptions{Inputs: inputs}); err != nil {
		t.Fatal(err)
	}
	checkVerifiesAndRoundTrips(t, p)
	got := p.String()
	checkWantIR(t, file, ar, "autodiff", got)
	checkFiniteDifferences(t, fwd, p, awayEnv(p), inputs)
}

func txtarFile(ar *txtar.Archive, name string) *txtar.File {
	for i := range ar.Files {
		if ar.Files[i].Name == name {
			return &ar.Files[i]
		}
	}
	return nil
}

// awayEnv fills every input, parameter and buffer of p with data drawn by
// away, at batch size gcN.
func awayEnv(p *ir.Program) interp.Env {
	r := rand.New(rand.NewPCG(1, 2))
	env := interp.Env{N: gcN, Inputs: map[string]*interp.Tensor{}, Params: map[string]*interp.Tensor{}}
	fill := func(t ir.Type) *interp.Tensor {
		x := interp.NewTensor(interp.Resolve(t.Shape, gcN)...)
		for i := range x.Data {
			x.Data[i] = away(r)
		}
		return x
	}
	for _, d := range p.Inputs {
		env.Inputs[d.Name] = fill(d.Type)
	}
	for _, q := range append(append([]*ir.Param{}, p.Params...), p.Buffers...) {
		env.Params[q.Name] = fill(q.Type)
	}
	return env
}

func TestAutodiffErrors(t *testing.T) {
	const head = "program m batch=4\ninput x f32[B,3]\ninput k i32[B]\nparam w f32[3] init=zeros()\n"
	for _, tc := range []struct {
		name, body string
		inputs     []string
		want       string
	}{
		{"no loss", "  %0 = input {name=\"x\"} : f32[B,3]\n  result out = %0\n", nil, "autodiff: func train has no loss result"},
		{"loss not scalar", "  %0 = input {name=\"x\"} : f32[B,3] @3:4\n  result loss = %0\n", nil, "3:4: autodiff: the loss must be a float scalar, got f32[B,3]"},
		{"twice", "  %0 = param {name=\"w\"} : f32[3]\n  %1 = sum %0 {axes=[0]} : f32[]\n  result loss = %1\n  result grad.w = %0\n", nil, "already has gradient result grad.w"},
		{"unknown input", "  %0 = param {name=\"w\"} : f32[3]\n  %1 = sum %0 {axes=[0]} : f32[]\n  result loss = %1\n", []string{"z"}, `autodiff: no input named "z"`},
		{"int input", "  %0 = param {name=\"w\"} : f32[3]\n  %1 = sum %0 {axes=[0]} : f32[]\n  result loss = %1\n", []string{"k"}, "input k is i32[B]: only float inputs have gradients"},
		{"no rule", "  %0 = param {name=\"w\"} : f32[3]\n  %1 = input {name=\"x\"} : f32[B,3]\n  %2 = relu_grad %1, %0 : f32[B,3] @7:2\n  %3 = sum %2 {axes=[0,1]} : f32[]\n  result loss = %3\n", nil, "7:2: autodiff: relu_grad has no gradient rule"},
	} {
		p, err := ir.Parse(head + "func train {\n" + tc.body + "}\n")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = Autodiff(p, p.Funcs[0], AutodiffOptions{Inputs: tc.inputs})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestAutodiffLSTMShape checks the backward graph of the unrolled LSTM:
// the sequence's and the gates' adjoints are concats, not sums of
// slice_grads, and a position's slice feeds each weight-gradient matmul.
func TestAutodiffLSTMShape(t *testing.T) {
	p, c := gradCheckProgram(gradCase{"lstm", 0, buildLSTM})
	n := len(p.Funcs[0].Values)
	if err := Autodiff(p, p.Funcs[0], AutodiffOptions{Inputs: c.inputs}); err != nil {
		t.Fatal(err)
	}
	count := map[ir.Op]int{}
	for _, v := range p.Funcs[0].Values[n:] {
		count[v.Op]++
	}
	if count[ir.OpSliceGrad] != 0 {
		t.Errorf("backward graph has %d slice_grads, want 0 (joined into concats)", count[ir.OpSliceGrad])
	}
	// One concat of the 4 gates per step, and one of the 3 steps.
	if count[ir.OpConcat] != 3+1 {
		t.Errorf("backward graph has %d concats, want 4", count[ir.OpConcat])
	}
}
