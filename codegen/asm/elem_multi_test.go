package asm_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/codegen/asm/internal/asmtest"
)

func escalar(i int) *asm.ElemExpr { return &asm.ElemExpr{Op: "scalar", Arg: i} }

// multiSpecs are optimizer updates as codegen builds them (optim.go):
// a0 params, a1 grads, then the state.
var multiSpecs = func() []asm.MultiSpec {
	p, g := earg(0), earg(1)
	// Adam with weight decay and amsgrad: a2 exp_avg, a3 exp_avg_sq, a4 max_exp_avg_sq; c0 stepSize, c1 rbc2.
	gd := eop("add", g, eop("mul", elit(0.01), p))
	m1 := eop("add", earg(2), eop("mul", elit(0.1), eop("sub", gd, earg(2))))
	v := eop("add", eop("mul", elit(0.999), earg(3)), eop("mul", eop("mul", elit(0.001), gd), gd))
	vmax := eop("max", earg(4), v)
	denom := eop("add", eop("mul", eop("sqrt", vmax), escalar(1)), elit(1e-8))
	adam := asm.MultiSpec{Name: "Adam", Slices: 5, Scalars: 2, Outs: []asm.MultiOut{
		{Slice: 2, Expr: m1}, {Slice: 3, Expr: v}, {Slice: 4, Expr: vmax},
		{Slice: 0, Expr: eop("sub", p, eop("div", eop("mul", escalar(0), m1), denom))}}}
	// SGD with nesterov momentum: a2 momentum_buffer; c0 mb, c1 gb, c2 lr.
	b := eop("add", eop("mul", escalar(0), earg(2)), eop("mul", escalar(1), g))
	sgd := asm.MultiSpec{Name: "SGD", Slices: 3, Scalars: 3, FlushSubnormals: true, PrefetchWrite: []int{0, 2}, Outs: []asm.MultiOut{
		{Slice: 2, Expr: b}, {Slice: 0, Expr: eop("sub", p, eop("mul", escalar(2), eop("add", g, eop("mul", elit(0.9), b))))}}}
	// Centered RMSprop with momentum: a2 square_avg, a3 momentum_buffer, a4 grad_avg; c0 lr.
	sq := eop("add", eop("mul", elit(0.99), earg(2)), eop("mul", eop("mul", elit(0.01), g), g))
	ga := eop("add", earg(4), eop("mul", elit(0.01), eop("sub", g, earg(4))))
	avg := eop("add", eop("sqrt", eop("sub", sq, eop("mul", ga, ga))), elit(1e-8))
	mb := eop("add", eop("mul", elit(0.9), earg(3)), eop("div", g, avg))
	rms := asm.MultiSpec{Name: "RMSprop", Slices: 5, Scalars: 1, Outs: []asm.MultiOut{
		{Slice: 2, Expr: sq}, {Slice: 4, Expr: ga}, {Slice: 3, Expr: mb}, {Slice: 0, Expr: eop("sub", p, eop("mul", escalar(0), mb))}}}
	return []asm.MultiSpec{adam, sgd, rms}
}()

// multiHarness checks every variant against the Go twin bit for bit on
// odd lengths, with NaN fences around every slice.
const multiHarness = `
import (
	"math"
	"math/rand"
	"testing"
)

type kernel struct {
	name             string
	slices, scalars  int
	flush            bool
	fn, twin         func(a [][]float32, c []float32)
}

// sink keeps the compiler from folding subnormal arithmetic.
var sink = []float32{0x1p-120, 0x1p-10}

// TestMultiFlush checks that the assembly of a kernel with FlushSubnormals
// reads a subnormal state as zero and stores no subnormal, that the Go twin
// keeps them, and that the caller's MXCSR is restored: Go arithmetic after
// the call still produces subnormals.
func TestMultiFlush(t *testing.T) {
	for _, v := range variants() {
		restore := v.set()
		for _, k := range kernels {
			if !k.flush {
				continue
			}
			const n = 37
			a, want := make([][]float32, k.slices), make([][]float32, k.slices)
			for j := range a {
				a[j] = make([]float32, n)
				for i := range a[j] {
					a[j][i] = 0x1p-140 // subnormal: every state entry, and the gradients
				}
				a[j][0] = 1 // one normal parameter
				want[j] = append([]float32(nil), a[j]...)
			}
			c := make([]float32, k.scalars)
			for j := range c {
				c[j] = 0.5
			}
			k.fn(a, c)
			k.twin(want, c)
			sub := func(x float32) bool { return x != 0 && math.Abs(float64(x)) < 0x1p-126 }
			for _, j := range []int{0, 2} { // the parameters and the first state, written by every optimizer
				for i := range a[j] {
					if (v.name == "avx512" || v.name == "avx2") && sub(a[j][i]) {
						t.Errorf("%s %s: a%d[%d] = %g: a subnormal stored", v.name, k.name, j, i, a[j][i])
					}
				}
			}
			if !sub(want[2][1]) {
				t.Errorf("%s: twin a2[1] = %g, want a subnormal (IEEE arithmetic)", k.name, want[2][1])
			}
			if x := sink[0] * sink[1]; x == 0 {
				t.Fatalf("%s %s: 0x1p-120 * 0x1p-10 = 0 after the call: MXCSR not restored", v.name, k.name)
			}
		}
		restore()
	}
}

func TestMultiVariants(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, v := range variants() {
		restore := v.set()
		for _, k := range kernels {
			for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 31, 33, 231, 1001} {
				bufs := make([][]float32, k.slices)
				a := make([][]float32, k.slices)
				want := make([][]float32, k.slices)
				for j := range a {
					bufs[j], a[j] = guarded(n)
					for i := range a[j] {
						x := float32(rng.NormFloat64())
						if j >= 2 && k.name != "SGD" {
							x = float32(math.Abs(rng.NormFloat64())) // squared averages are ≥ 0
						}
						a[j][i] = x
					}
					want[j] = append([]float32(nil), a[j]...)
				}
				c := make([]float32, k.scalars)
				for j := range c {
					c[j] = float32(0.5 + rng.Float64())
				}
				k.fn(a, c)
				k.twin(want, c)
				for j := range a {
					for i := range bufs[j] {
						if (i < guard || i >= guard+n) && !math.IsNaN(float64(bufs[j][i])) {
							t.Fatalf("%s %s n=%d: slice %d guard element %d written", v.name, k.name, n, j, i-guard)
						}
					}
					for i := range a[j] {
						if math.Float32bits(a[j][i]) != math.Float32bits(want[j][i]) && !(a[j][i] != a[j][i] && want[j][i] != want[j][i]) {
							t.Fatalf("%s %s n=%d: a%d[%d] = %g, twin %g", v.name, k.name, n, j, i, a[j][i], want[j][i])
						}
					}
				}
			}
		}
		restore()
	}
}
`

func multiTable(pkg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nvar kernels = []kernel{\n", pkg)
	for _, s := range multiSpecs {
		var as []string
		for i := 0; i < s.Slices; i++ {
			as = append(as, fmt.Sprintf("a[%d]", i))
		}
		for i := 0; i < s.Scalars; i++ {
			as = append(as, fmt.Sprintf("c[%d]", i))
		}
		twin := strings.ToLower(s.Name[:1]) + s.Name[1:] + "Generic"
		fmt.Fprintf(&b, "\t{%q, %d, %d, %t, func(a [][]float32, c []float32) { %s(%s) }, func(a [][]float32, c []float32) { %s(%s) }},\n",
			s.Name, s.Slices, s.Scalars, s.FlushSubnormals, s.Name, strings.Join(as, ", "), twin, strings.Join(as, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}

// TestElemMultiGeneratedPackage writes the multi-output kernels of
// multiSpecs and their test into a package, vets and assembles it, and runs
// the test on every variant and under -tags purego.
func TestElemMultiGeneratedPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated package")
	}
	const pkg = "multit"
	u, err := asm.Config{Pkg: pkg, GeneratedBy: "asm test"}.GenerateElemMulti(nil, multiSpecs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u.Asm == nil || strings.Contains(string(u.Dispatch), "Generic(") {
		t.Fatalf("a kernel has no assembly:\n%s", u.Dispatch)
	}
	files := u.Files("zelem")
	head := "package " + pkg + "\n"
	files["zharness_test.go"] = []byte(head + multiHarness + fenceSource)
	files["zvariants_amd64_test.go"] = []byte("//go:build amd64 && gc && !purego\n\n" + head + variantsAMD64("elemAVX512", "elemAVX2"))
	files["zvariants_purego_test.go"] = []byte("//go:build !amd64 || !gc || purego\n\n" + head + elemVariantsPureGo)
	files["ztable_test.go"] = []byte(multiTable(pkg))
	asmtest.Check(t, files)
}
