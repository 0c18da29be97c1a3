package parity

import (
	"bytes"
	"math/rand"
	"slices"
	"testing"

	"github.com/dlc-lang/dlc/internal/parity/models/seedlstm"
)

// The LSTM keeps its x·Wᵀ weights packed for the GEMM kernels and packs
// them again only when the parameters may have changed. These tests change
// the parameters every way the API allows and check that Forward sees the
// change: against a fresh model whose parameters were set before its first
// call, which packs them from scratch.

func lstmInput(seed int64) []float32 {
	rng := rand.New(rand.NewSource(seed))
	x := make([]float32, 2*seedlstm.XRow)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return x
}

func lstmForward(t *testing.T, m *seedlstm.Model, x []float32) []float32 {
	t.Helper()
	out := make([]float32, len(x)/seedlstm.XRow*seedlstm.PredRow)
	if err := m.Forward(x, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// perturb changes every parameter in place.
func perturb(block []float32, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	for i := range block {
		block[i] = block[i]*0.5 + float32(rng.Float64()-0.5)*0.2
	}
}

// reference returns the output of a fresh model whose parameters are
// perturbed by seed before any call.
func reference(t *testing.T, x []float32, seed int64) []float32 {
	r := seedlstm.New(1)
	perturb(r.ParamBlock(), seed)
	return lstmForward(t, r, x)
}

func TestPackedWeightsFollowParams(t *testing.T) {
	x := lstmInput(3)
	m := seedlstm.New(1)
	before := lstmForward(t, m, x)

	// Through Params, obtained after the last call.
	ps := m.Params()
	block := make([]float32, 0)
	for _, p := range ps {
		block = append(block, p.Data...)
	}
	perturb(block, 7)
	off := 0
	for _, p := range ps {
		copy(p.Data, block[off:off+len(p.Data)])
		off += len(p.Data)
	}
	got := lstmForward(t, m, x)
	if want := reference(t, x, 7); !slices.Equal(got, want) {
		t.Fatalf("after changing Params: got %v, want %v", got, want)
	}
	if slices.Equal(got, before) {
		t.Fatal("the change of parameters did not change the output")
	}

	// Through a retained ParamBlock, announced with ParamsChanged.
	m = seedlstm.New(1)
	pb := m.ParamBlock()
	lstmForward(t, m, x)
	perturb(pb, 9)
	m.ParamsChanged()
	if got, want := lstmForward(t, m, x), reference(t, x, 9); !slices.Equal(got, want) {
		t.Fatalf("after ParamsChanged: got %v, want %v", got, want)
	}

	// Through Load.
	src := seedlstm.New(1)
	perturb(src.ParamBlock(), 11)
	var buf bytes.Buffer
	if err := src.Save(&buf); err != nil {
		t.Fatal(err)
	}
	m = seedlstm.New(1)
	lstmForward(t, m, x)
	if err := m.Load(&buf); err != nil {
		t.Fatal(err)
	}
	if got, want := lstmForward(t, m, x), reference(t, x, 11); !slices.Equal(got, want) {
		t.Fatalf("after Load: got %v, want %v", got, want)
	}
}

// TestPackedWeightsFollowTraining checks that Forward after a TrainStep
// uses the updated weights: a model trained one step must agree with a
// fresh model given the trained parameters.
func TestPackedWeightsFollowTraining(t *testing.T) {
	x := lstmInput(5)
	y := make([]float32, 2*seedlstm.YRow)
	m := seedlstm.New(1)
	lstmForward(t, m, x)
	if _, err := m.TrainStep(x, y); err != nil {
		t.Fatal(err)
	}
	got := lstmForward(t, m, x)
	r := seedlstm.New(2)
	copy(r.ParamBlock(), m.ParamBlock())
	if want := lstmForward(t, r, x); !slices.Equal(got, want) {
		t.Fatalf("after TrainStep: got %v, want %v", got, want)
	}
}
