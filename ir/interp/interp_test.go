package interp

import (
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

const linearSrc = `program lin batch=4
input x f32[B,2]
target y i32[B]
param w f32[3,2] init=zeros()
param b f32[3] init=zeros()

func train {
  %0 = input {name="x"} : f32[B,2]
  %1 = param {name="w"} : f32[3,2]
  %2 = param {name="b"} : f32[3]
  %3 = matmul %0, %1 {tb=true} : f32[B,3]
  %4 = add %3, %2 : f32[B,3]
  %5 = input {name="y"} : i32[B]
  %6 = cross_entropy %4, %5 : f32[B]
  %7 = mean %6 {axes=[0]} : f32[]
  result out = %4
  result loss = %7
}
`

func linearEnv() Env {
	return Env{
		N: 2,
		Inputs: map[string]*Tensor{
			"x": FromData([]int{2, 2}, []float64{1, 2, -1, 0}),
			"y": {Data: []float64{0, 2}}, // no shape: checked by size only
		},
		Params: map[string]*Tensor{
			"w": FromData([]int{3, 2}, []float64{1, 0, 0, 1, 1, 1}),
			"b": FromData([]int{3}, []float64{0, 0, -3}),
		},
	}
}

func TestParams(t *testing.T) {
	p, err := ir.Parse(linearSrc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(p, p.Funcs[0], linearEnv())
	if err != nil {
		t.Fatal(err)
	}
	// Row 0: x=[1,2] gives [1,2,0]; row 1: x=[-1,0] gives [-1,0,-4].
	checkTensor(t, "out", res["out"], []int{2, 3}, []float64{1, 2, 0, -1, 0, -4}, 0)
	if len(res["loss"].Shape) != 0 || len(res["loss"].Data) != 1 {
		t.Fatalf("loss is %v", res["loss"])
	}
}

func TestRunErrors(t *testing.T) {
	p, err := ir.Parse(linearSrc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(e *Env)
		want   string
	}{
		{"batch too big", func(e *Env) { e.N = 5 }, "batch size 5 is outside 1..4"},
		{"batch zero", func(e *Env) { e.N = 0 }, "batch size 0 is outside 1..4"},
		{"missing input", func(e *Env) { delete(e.Inputs, "x") }, `no input "x" given`},
		{"missing param", func(e *Env) { delete(e.Params, "b") }, `no parameter "b" given`},
		{"wrong size", func(e *Env) { e.N = 3 }, `input "x" is [2 2] with 4 elements, want shape [3 2]`},
		{"wrong shape", func(e *Env) { e.Params["w"] = FromData([]int{2, 3}, make([]float64, 6)) }, `parameter "w" is [2 3]`},
		{"bad label", func(e *Env) { e.Inputs["y"] = &Tensor{Data: []float64{0, 3}} }, "label 3 of row 1 is not a class in 0..2"},
		{"fractional label", func(e *Env) { e.Inputs["y"] = &Tensor{Data: []float64{0.5, 1}} }, "label 0.5 of row 0"},
	} {
		env := linearEnv()
		tc.change(&env)
		_, err := Run(p, p.Funcs[0], env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestGatherRangeError(t *testing.T) {
	_, err := evalOp(2, ir.OpGather, nil, f32(seq(6), 3, 2), i32([]float64{1, 3}, ir.B))
	if err == nil || !strings.Contains(err.Error(), "id 3 is not a row of a table with 3 rows") {
		t.Errorf("got %v", err)
	}
	_, err = evalOp(2, ir.OpScatterAdd, ir.Attrs{"shape": []int{3, 2}}, i32([]float64{-1, 0}, ir.B), f32(seq(4), ir.B, 2))
	if err == nil || !strings.Contains(err.Error(), "id -1 is not a row") {
		t.Errorf("got %v", err)
	}
}

// TestResultsAreCopies checks that a caller may change a result without
// changing another result or an input that shares its value.
func TestResultsAreCopies(t *testing.T) {
	p, err := ir.Parse("program m batch=2\ninput x f32[B]\nfunc f {\n  %0 = input {name=\"x\"} : f32[B]\n  result a = %0\n  result b = %0\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	x := FromData([]int{2}, []float64{1, 2})
	res, err := Run(p, p.Funcs[0], Env{N: 2, Inputs: map[string]*Tensor{"x": x}})
	if err != nil {
		t.Fatal(err)
	}
	res["a"].Data[0] = 9
	if res["b"].Data[0] != 1 || x.Data[0] != 1 {
		t.Errorf("results share storage: b=%v x=%v", res["b"], x)
	}
}
