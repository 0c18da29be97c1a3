package passes

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/ir/interp"
	"golang.org/x/tools/txtar"
)

// TestPassGolden runs each pipeline pass that has a directory
// testdata/<pass>/ on the in.ir of every *.txtar there and compares the
// program with want.ir (rewritten under -update). The output must verify,
// round-trip through Print and Parse, and compute what the input computes
// (every result of every func, under ir/interp, within 1e-9).
func TestPassGolden(t *testing.T) {
	for _, ps := range pipeline {
		if ps.name == "autodiff" {
			continue // TestAutodiffGolden, with grad-input comments and gradient checks
		}
		files, _ := filepath.Glob(filepath.Join("testdata", ps.name, "*.txtar"))
		for _, file := range files {
			t.Run(ps.name+"/"+filepath.Base(file), func(t *testing.T) { checkPassGolden(t, ps, file) })
		}
	}
}

func checkPassGolden(t *testing.T, ps pass, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	in := txtarFile(ar, "in.ir")
	if in == nil {
		t.Fatal("no in.ir")
	}
	p, err := ir.Parse(string(in.Data))
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := ir.Parse(string(in.Data))
	if err := runPass(ps, p, &Config{}); err != nil {
		t.Fatal(err)
	}
	checkVerifiesAndRoundTrips(t, p)
	got := p.String()
	checkWantIR(t, file, ar, ps.name, got)
	checkSameResults(t, orig, p)
}

// checkSameResults runs every func of a and b under ir/interp on the same
// data and compares the results by name.
func checkSameResults(t *testing.T, a, b *ir.Program) {
	t.Helper()
	env := awayEnv(a)
	for _, d := range a.Inputs {
		if d.Type.DType == ir.I32 { // class labels: 0 and 1 are valid for any classifier
			for i := range env.Inputs[d.Name].Data {
				env.Inputs[d.Name].Data[i] = float64(i % 2)
			}
		}
	}
	for _, fa := range a.Funcs {
		fb := b.Lookup(fa.Name)
		ra, err := interp.Run(a, fa, env)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := interp.Run(b, fb, env)
		if err != nil {
			t.Fatal(err)
		}
		for name, x := range ra {
			y := rb[name]
			if y == nil || len(y.Data) != len(x.Data) {
				t.Errorf("func %s: result %s missing or resized", fa.Name, name)
				continue
			}
			for i := range x.Data {
				if d := math.Abs(x.Data[i] - y.Data[i]); d > 1e-9*(1+math.Abs(x.Data[i])) {
					t.Errorf("func %s: result %s[%d] = %g, was %g", fa.Name, name, i, y.Data[i], x.Data[i])
					break
				}
			}
		}
	}
}

// checkWantIR compares a pass's output with the archive's want.ir, or
// rewrites it under -update.
func checkWantIR(t *testing.T, file string, ar *txtar.Archive, pass, got string) {
	t.Helper()
	want := txtarFile(ar, "want.ir")
	switch {
	case updating():
		if want == nil {
			ar.Files = append(ar.Files, txtar.File{Name: "want.ir"})
			want = &ar.Files[len(ar.Files)-1]
		}
		want.Data = []byte(got)
		if err := os.WriteFile(file, txtar.Format(ar), 0o666); err != nil {
			t.Fatal(err)
		}
	case want == nil:
		t.Errorf("no want.ir; run go test -update")
	case string(want.Data) != got:
		t.Errorf("%s output differs from want.ir (go test -update rewrites it):\n%s", pass, got)
	}
}
