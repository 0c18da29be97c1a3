package codegen

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/runtime"
)

// program returns the built test program named name.
func program(t *testing.T, name string) (*driver, *harnessProgram) {
	t.Helper()
	d, progs := sharedDriver(t)
	for _, hp := range progs {
		if hp.Name == name {
			return d, hp
		}
	}
	t.Fatalf("no test program %s", name)
	return nil, nil
}

// entryKinds are the entry points a program has.
func entryKinds(hp *harnessProgram) []string {
	var kinds []string
	if hp.HasFwd {
		kinds = append(kinds, "forward")
	}
	if hp.HasEval {
		kinds = append(kinds, "evaluate")
	}
	if hp.HasTrn {
		kinds = append(kinds, "train")
	}
	return kinds
}

func TestExecZeroAllocs(t *testing.T) {
	for _, name := range []string{"ops", "mlp", "mlp64", "convnet", "mlprmsprop"} {
		d, hp := program(t, name)
		p := hp.Prog
		ds := newDataset(p, p.Batch, rand.New(rand.NewPCG(1, 2)))
		var s script
		for _, kind := range entryKinds(hp) {
			s.add(Call{Op: "allocs", Kind: kind, Args: ds.args(p, kind)})
		}
		for i, rep := range d.run(t, Request{Program: name, Calls: s.calls}) {
			if rep.Err != "" || rep.Allocs != 0 {
				t.Errorf("%s %s: %v allocations per call (err %q)", name, s.calls[i].Kind, rep.Allocs, rep.Err)
			}
		}
	}
}

// TestExecBadLengths passes slices of wrong lengths to every entry point:
// each must return an error, not panic, and leave the model as it was.
func TestExecBadLengths(t *testing.T) {
	for _, name := range []string{"ops", "mlp", "convnet"} {
		d, hp := program(t, name)
		p := hp.Prog
		r := rand.New(rand.NewPCG(3, 4))
		good := newDataset(p, 2, r)
		var s script
		before := s.add(Call{Op: "state"})
		var bad []int
		for _, kind := range entryKinds(hp) {
			args := good.args(p, kind)
			for i := range args {
				for _, edit := range []func([]float64) []float64{
					func(x []float64) []float64 { return append(slices.Clone(x), 0) }, // one element too many
					func(x []float64) []float64 { return x[:len(x)-1] },               // one too few
					func(x []float64) []float64 { return nil },                        // n = 0
				} {
					mod := slices.Clone(args)
					mod[i] = edit(args[i])
					if len(mod[i]) == len(args[i]) {
						continue
					}
					bad = append(bad, s.add(Call{Op: "call", Kind: kind, Args: mod}))
				}
			}
			big := newDataset(p, p.Batch+1, r) // n > MaxBatch everywhere
			bad = append(bad, s.add(Call{Op: "call", Kind: kind, Args: big.args(p, kind)}))
		}
		after := s.add(Call{Op: "state"})
		replies := d.run(t, Request{Program: name, Calls: s.calls})
		for _, i := range bad {
			if err := replies[i].Err; err == "" || strings.HasPrefix(err, "panic") || !strings.HasPrefix(err, name+": ") {
				t.Errorf("%s %s with lengths %v: error %q", name, s.calls[i].Kind, lengths(s.calls[i].Args), err)
			}
		}
		if !slices.Equal(replies[before].Block, replies[after].Block) || replies[after].Step != 0 {
			t.Errorf("%s: failed calls changed the model", name)
		}
	}
}

func lengths(args [][]float64) []int {
	var ls []int
	for _, a := range args {
		ls = append(ls, len(a))
	}
	return ls
}

// TestExecBadLabels passes class labels and ids out of range: the calls
// fail with an error naming the label, and a failed TrainStep changes
// nothing.
func TestExecBadLabels(t *testing.T) {
	d, hp := program(t, "convnet")
	p := hp.Prog
	ds := newDataset(p, 3, rand.New(rand.NewPCG(5, 6)))
	ds.data["y"] = slices.Clone(ds.data["y"])
	ds.data["y"][1] = 3 // three classes
	var s script
	before := s.add(Call{Op: "state"})
	train := s.add(Call{Op: "call", Kind: "train", Args: ds.args(p, "train")})
	ds.data["y"] = slices.Clone(ds.data["y"])
	ds.data["y"][1] = -1
	eval := s.add(Call{Op: "call", Kind: "evaluate", Args: ds.args(p, "evaluate")})
	after := s.add(Call{Op: "state"})
	replies := d.run(t, Request{Program: "convnet", Calls: s.calls})
	if got := replies[train].Err; got != "convnet: label 3 (element 1) is outside [0, 3)" {
		t.Errorf("train: error %q", got)
	}
	if got := replies[eval].Err; got != "convnet: label -1 (element 1) is outside [0, 3)" {
		t.Errorf("evaluate: error %q", got)
	}
	if !slices.Equal(replies[before].Block, replies[after].Block) || replies[after].Step != 0 {
		t.Errorf("a failed train step changed the model")
	}

	d, hp = program(t, "ops")
	ds = newDataset(hp.Prog, 2, rand.New(rand.NewPCG(5, 6)))
	ds.data["ids"][4] = 5 // five table rows
	rep := d.run(t, Request{Program: "ops", Calls: []Call{{Op: "call", Kind: "forward", Args: ds.args(hp.Prog, "forward")}}})
	if got := rep[0].Err; got != "ops: id 5 (element 4) is outside [0, 5)" {
		t.Errorf("forward: error %q", got)
	}
}

// TestExecSaveLoad trains a model, saves it, loads the file into a model
// with other weights and checks that everything came back, byte for byte;
// a truncated file fails and changes nothing; a plain state_dict (no
// optimizer state) loads the weights and leaves the step count alone.
func TestExecSaveLoad(t *testing.T) {
	for _, name := range []string{"convnet", "mlp64", "mlpadamw"} {
		d, hp := program(t, name)
		p := hp.Prog
		r := rand.New(rand.NewPCG(7, 8))
		var s script
		for range 2 {
			s.add(Call{Op: "call", Kind: "train", Args: newDataset(p, 2, r).args(p, "train")})
		}
		s.add(Call{Op: "setlr", Args: [][]float64{{0.0625}}}) // saved as optimizer.lr
		trained := s.add(Call{Op: "state"})
		saved := s.add(Call{Op: "save"})
		replies := d.run(t, Request{Program: name, Calls: s.calls})
		file := replies[saved].Data
		if replies[saved].Err != "" || len(file) == 0 {
			t.Fatalf("%s: save: %q", name, replies[saved].Err)
		}

		s = script{}
		s.add(Call{Op: "new", Seed: 99})
		fresh := s.add(Call{Op: "state"})
		truncated := s.add(Call{Op: "load", Data: file[:len(file)-3]})
		unchanged := s.add(Call{Op: "state"})
		loaded := s.add(Call{Op: "load", Data: file})
		back := s.add(Call{Op: "state"})
		resaved := s.add(Call{Op: "save"})
		plain := s.add(Call{Op: "load", Data: stateDict(t, p, replies[trained].Tensors)})
		afterPlain := s.add(Call{Op: "state"})
		got := d.run(t, Request{Program: name, Calls: s.calls})
		if err := got[truncated].Err; err == "" || !strings.HasPrefix(err, name+": load: ") {
			t.Errorf("%s: truncated file: error %q", name, err)
		}
		if !slices.Equal(got[unchanged].Block, got[fresh].Block) {
			t.Errorf("%s: a failed load changed the parameters", name)
		}
		if got[loaded].Err != "" {
			t.Fatalf("%s: load: %s", name, got[loaded].Err)
		}
		if !slices.Equal(got[back].Block, replies[trained].Block) || got[back].Step != 2 || got[back].LR != 0.0625 {
			t.Errorf("%s: loaded model differs from the saved one (step %d, lr %v)", name, got[back].Step, got[back].LR)
		}
		if !bytes.Equal(got[resaved].Data, file) {
			t.Errorf("%s: saving the loaded model gives other bytes", name)
		}
		if got[plain].Err != "" {
			t.Fatalf("%s: load state_dict: %s", name, got[plain].Err)
		}
		for _, ts := range got[afterPlain].Tensors {
			for i, x := range ts.Data {
				if x != float64(i%7)-3 {
					t.Fatalf("%s: %s[%d] = %v after loading a state_dict", name, ts.Name, i, x)
				}
			}
		}
		if got[afterPlain].Step != 2 {
			t.Errorf("%s: a state_dict changed the step count to %d", name, got[afterPlain].Step)
		}
	}
}

// stateDict writes a PyTorch-style state_dict for p: every parameter and
// float buffer filled with i%7-3, counters as I64, no optimizer state.
func stateDict(t *testing.T, p *ir.Program, tensors []Tensor) []byte {
	t.Helper()
	var slots []runtime.Slot
	f64 := tolerance(p) < 1e-8
	for _, ts := range tensors {
		data := make([]float64, len(ts.Data))
		for i := range data {
			data[i] = float64(i%7) - 3
		}
		s := runtime.Slot{Name: ts.Name, Shape: ts.Shape}
		if f64 {
			s.F64 = data
		} else {
			s.F32 = make([]float32, len(data))
			for i, x := range data {
				s.F32[i] = float32(x)
			}
		}
		slots = append(slots, s)
	}
	for _, b := range p.Buffers {
		if b.Type.DType == ir.I32 {
			n := int64(5)
			slots = append(slots, runtime.Slot{Name: b.Name, Shape: []int{}, I64: &n})
		}
	}
	var buf bytes.Buffer
	if err := runtime.SaveTensors(&buf, slots, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExecSetLR checks that the learning rate is the one TrainStep uses.
func TestExecSetLR(t *testing.T) {
	d, hp := program(t, "mlpsgdplain")
	p := hp.Prog
	args := newDataset(p, 3, rand.New(rand.NewPCG(9, 9))).args(p, "train")
	replies := d.run(t, Request{Program: hp.Name, Calls: []Call{
		{Op: "state"},
		{Op: "setlr", Args: [][]float64{{0}}},
		{Op: "call", Kind: "train", Args: args},
		{Op: "state"},
	}})
	if replies[0].LR != float64(float32(0.1)) || replies[3].LR != 0 {
		t.Errorf("LR %v then %v, want 0.1 then 0", replies[0].LR, replies[3].LR)
	}
	if !slices.Equal(replies[0].Block, replies[3].Block) || replies[3].Step != 1 {
		t.Errorf("a step with lr 0 changed the parameters (step %d)", replies[3].Step)
	}
	if slices.Equal(replies[3].Grads, make([]float64, len(replies[3].Grads))) {
		t.Errorf("the step computed no gradients")
	}
}
