package codegen

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/passes"
)

// pipelineConfigs are the pass pipelines the generated code is checked
// under: all passes, only the required ones (-O0), and each optional
// pass disabled in turn. Labels are package-name safe.
func pipelineConfigs() map[string]passes.Config {
	cfgs := map[string]passes.Config{"all": {Check: true}, "o0": {O0: true, Check: true}}
	for _, name := range passes.PassNames() {
		if !strings.HasSuffix(name, "(required)") {
			cfgs["off"+strings.ReplaceAll(name, "-", "")] = passes.Config{Check: true, Disabled: map[string]bool{name: true}}
		}
	}
	return cfgs
}

// pipelinePrograms compiles convnet.ir (conv, relu, max and average
// pooling, dropout, a running statistic, a product, cross-entropy) with the
// whole pass pipeline under each of pipelineConfigs, generated with
// -d=poison so that a wrong memory reuse shows as NaN: the execution tests
// then compare each with the interpreter, so that no optional pass, and
// no pass left out, changes what the generated code computes.
func pipelinePrograms(t testing.TB) []testProgram {
	var progs []testProgram
	for _, label := range sortedKeys(pipelineConfigs()) {
		p := parseProgram(t, readTestdata(t, "convnet.ir"))
		if err := passes.Run(p, pipelineConfigs()[label]); err != nil {
			t.Fatalf("convnet, pipeline %s: %v", label, err)
		}
		progs = append(progs, testProgram{"convnet_" + label, p, true})
	}
	return progs
}

// TestPoisonCatchesBadPlan breaks a correct memory plan on purpose: a
// value of the train func is moved onto the memory of another value that
// is still to be read. Generated with -d=poison, the train step must then
// disagree with the interpreter (or produce NaN): the poisoned parity
// tests can see a planner bug.
func TestPoisonCatchesBadPlan(t *testing.T) {
	p := parseProgram(t, readTestdata(t, "convnet.ir"))
	if err := passes.Run(p, passes.Config{Check: true}); err != nil {
		t.Fatal(err)
	}
	f := p.Lookup("train")
	victim, thief := overlapPair(f, p.Batch)
	if victim == nil {
		t.Fatal("no pair of overlapping-lifetime arena values in convnet's train func")
	}
	loc := f.Plan.Loc[thief]
	loc.Offset = f.Plan.Loc[victim].Offset
	f.Plan.Loc[thief] = loc
	t.Logf("moved %%%d (%v) onto %%%d (%v), still live", thief.ID, thief.Type, victim.ID, victim.Type)

	d, err := buildDriver([]*harnessProgram{newHarnessProgram(t, "badplan", p, true)})
	if d != nil {
		defer os.RemoveAll(d.dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	ds := newDataset(p, p.Batch, rand.New(rand.NewPCG(1, 2)))
	replies := d.run(t, Request{Program: "badplan", Calls: []Call{
		{Op: "new", Seed: 5}, {Op: "state"},
		{Op: "call", Kind: "train", Args: ds.args(p, "train")}, {Op: "state"}}})
	for i, rep := range replies {
		if rep.Err != "" {
			t.Fatalf("call %d: %s", i, rep.Err)
		}
	}
	res := runInterp(t, p, "train", ds, paramTensors(replies[1].Tensors), 0)
	got, want := replies[2].Loss, res["loss"].Data[0]
	grads := replies[3].Grads
	bad := math.IsNaN(got) || mismatch([]float64{got}, []float64{want}, tolerance(p)) != ""
	for _, g := range grads {
		bad = bad || math.IsNaN(g)
	}
	if !bad {
		var wantGrads []float64
		for _, q := range p.Params {
			wantGrads = append(wantGrads, res["grad."+q.Name].Data...)
		}
		bad = mismatch(grads, wantGrads, tolerance(p)) != ""
	}
	if !bad {
		t.Errorf("a plan that overwrites a live value went unnoticed: loss %v (want %v), gradients match", got, want)
	}
}

// overlapPair finds two float arena values of f such that thief is
// computed while victim is still to be read, and thief fits at victim's
// offset in the arena: moving thief there corrupts victim.
func overlapPair(f *ir.Func, batch int) (victim, thief *ir.Value) {
	index := map[*ir.Value]int{}
	last := map[*ir.Value]int{}
	for i, v := range f.Values {
		index[v] = i
		for _, a := range v.Args {
			last[a] = i
		}
	}
	for _, v := range f.Values {
		lv, ok := f.Plan.Loc[v]
		if !ok || lv.Space != ir.SpaceArena || v.Op == ir.OpReshape {
			continue
		}
		for _, w := range f.Values[index[v]+1 : last[v]] {
			lw, ok := f.Plan.Loc[w]
			if !ok || lw.Space != ir.SpaceArena || w.Op == ir.OpReshape || lw.Offset == lv.Offset {
				continue
			}
			if lv.Offset+w.Type.Shape.Elems(batch) <= f.Plan.ArenaElems {
				return v, w
			}
		}
	}
	return nil, nil
}
