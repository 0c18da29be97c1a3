package interp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// arg is one operand of a single-op test program: its static type and its
// data for the run's batch size.
type arg struct {
	typ  ir.Type
	data []float64
}

func f32(data []float64, dims ...int) arg { return arg{ir.T(ir.F32, dims...), data} }
func i32(data []float64, dims ...int) arg { return arg{ir.T(ir.I32, dims...), data} }

// sparse returns n zeros but for the pairs (offset, value) of kv.
func sparse(n int, kv ...float64) []float64 {
	out := make([]float64, n)
	for i := 0; i+1 < len(kv); i += 2 {
		out[int(kv[i])] = kv[i+1]
	}
	return out
}

// evalOp builds a program of batch 4 whose func applies op to inputs a0,
// a1, ... of the given types, runs it with batch size n and returns the result.
func evalOp(n int, op ir.Op, attrs ir.Attrs, args ...arg) (*Tensor, error) {
	return evalValue(n, op, ir.Type{}, attrs, args...)
}

// evalSource runs a func whose result is the source op with type typ.
func evalSource(n int, op ir.Op, typ ir.Type, attrs ir.Attrs) (*Tensor, error) {
	return evalValue(n, op, typ, attrs)
}

// evalValue is evalOp and evalSource: typ is the type of a source op.
func evalValue(n int, op ir.Op, typ ir.Type, attrs ir.Attrs, args ...arg) (*Tensor, error) {
	p := &ir.Program{Name: "t", Batch: 4}
	f := &ir.Func{Name: "infer"}
	b := ir.NewBuilder(f)
	env := Env{N: n, Inputs: map[string]*Tensor{}, Step: 3}
	var vals []*ir.Value
	for i, a := range args {
		d := &ir.Decl{Name: fmt.Sprintf("a%d", i), Role: "input", Type: a.typ}
		p.Inputs = append(p.Inputs, d)
		vals = append(vals, b.Input(d))
		env.Inputs[d.Name] = FromData(Resolve(a.typ.Shape, n), a.data)
	}
	var v *ir.Value
	if op.Kind() == ir.KindSource {
		v = b.Source(op, typ, attrs)
	} else {
		var err error
		if v, err = b.Op(op, attrs, vals...); err != nil {
			return nil, err
		}
	}
	f.Results = []ir.Result{{Name: "out", Value: v}}
	p.Funcs = append(p.Funcs, f)
	if err := ir.Verify(p); err != nil {
		return nil, err
	}
	res, err := Run(p, f, env)
	if err != nil {
		return nil, err
	}
	return res["out"], nil
}

func mustEval(t *testing.T, n int, op ir.Op, attrs ir.Attrs, args ...arg) *Tensor {
	t.Helper()
	out, err := evalOp(n, op, attrs, args...)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

// near reports whether got and want agree within a relative and absolute
// tolerance of tol; NaNs agree with NaNs and infinities with themselves.
func near(got, want, tol float64) bool {
	if math.IsNaN(want) || math.IsInf(want, 0) {
		return math.IsNaN(got) && math.IsNaN(want) || got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func checkTensor(t *testing.T, name string, got *Tensor, shape []int, want []float64, tol float64) {
	t.Helper()
	if !sameShape(got.Shape, shape) || len(got.Data) != len(want) {
		t.Errorf("%s: got shape %v with %d elements, want %v", name, got.Shape, len(got.Data), shape)
		return
	}
	for i := range want {
		if !near(got.Data[i], want[i], tol) {
			t.Errorf("%s: got %v, want %v", name, got.Data, want)
			return
		}
	}
}

func randData(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 2*r.Float64() - 1
	}
	return x
}

func seq(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i + 1)
	}
	return x
}
