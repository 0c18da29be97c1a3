package codegen

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestConvDirectExec runs the direct convolutions of testdata/convdirect.ir
// (forward, input and weight gradients) and compares them with ir/interp.
func TestConvDirectExec(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a driver")
	}
	p := parseProgram(t, readTestdata(t, "convdirect.ir"))
	hp := newHarnessProgram(t, "convdirect", p, false)
	if n := strings.Count(string(hp.Files["zkernels.go"]), "convDirect"); n < 11 {
		t.Fatalf("%d calls of direct kernels, want every convolution direct", n)
	}
	d, err := buildDriver([]*harnessProgram{hp})
	if d != nil {
		defer os.RemoveAll(d.dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 10))
	var s script
	s.add(Call{Op: "new", Seed: 3})
	first := s.add(Call{Op: "state"})
	type check struct {
		ds   dataset
		call int
	}
	var checks []check
	for _, n := range []int{1, p.Batch} {
		ds := newDataset(p, n, r)
		checks = append(checks, check{ds, s.add(Call{Op: "call", Kind: "forward", Args: ds.args(p, "forward")})})
	}
	replies := d.run(t, Request{Program: hp.Name, Calls: s.calls})
	for i, rep := range replies {
		if rep.Err != "" {
			t.Fatalf("call %d: %s", i, rep.Err)
		}
	}
	params := paramTensors(replies[first].Tensors)
	results := p.Lookup("infer").Results
	for _, c := range checks {
		res := runInterp(t, p, "infer", c.ds, params, 0)
		outs := replies[c.call].Outs[len(hp.Forward)-len(results):]
		for j, r := range results {
			if msg := mismatch(outs[j], res[r.Name].Data, tolerance(p)); msg != "" {
				t.Errorf("n=%d: %s: %s", c.ds.n, r.Name, msg)
			}
		}
	}
}
