package codegen

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// TestConvPoolExec runs the specialized convolution and pooling kernels of
// testdata/convpool.ir (wide convolutions, non-clipping pooling windows,
// their gradients, epilogues and companions, and the window offsets of
// clipped windows and of windows over 256 taps) on odd shapes and compares
// them with ir/interp: on normal inputs, and on inputs with NaNs, where
// max pooling must propagate NaN and point its argmax at the window's
// last NaN, as PyTorch's CPU kernel does.
func TestConvPoolExec(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a driver")
	}
	p := parseProgram(t, readTestdata(t, "convpool.ir"))
	hp := newHarnessProgram(t, "convpool", p, false)
	d, err := buildDriver([]*harnessProgram{hp})
	if d != nil {
		defer os.RemoveAll(d.dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	var s script
	s.add(Call{Op: "new", Seed: 3})
	first := s.add(Call{Op: "state"})
	type check struct {
		name string
		ds   dataset
		call int
	}
	var checks []check
	for _, n := range []int{1, p.Batch} {
		for _, nan := range []bool{false, true} {
			ds := newDataset(p, n, r)
			name := "normal"
			if nan {
				name = "nan"
				img := ds.data["img"]
				for i := range img {
					if r.IntN(9) == 0 {
						img[i] = math.NaN()
					}
				}
			}
			checks = append(checks, check{name, ds, s.add(Call{Op: "call", Kind: "forward", Args: ds.args(p, "forward")})})
		}
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
			if c.name == "nan" && !nanExact(r.Name) {
				continue // NaNs spread through sums in any order
			}
			if msg := mismatch(outs[j], res[r.Name].Data, tolerance(p)); msg != "" {
				t.Errorf("%s n=%d: %s: %s", c.name, c.ds.n, r.Name, msg)
			}
		}
	}
}

// nanExact reports whether result name of convpool.ir is defined exactly
// on NaN inputs: the pooling values, their argmax and routed gradients.
func nanExact(name string) bool {
	switch name {
	case "r12", "r13", "r14", "r17", "r19", "r20", "r25", "r26", "r28", "r29":
		return true
	}
	return false
}
