package asm_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/codegen/asm/internal/asmtest"
)

func earg(i int) *asm.ElemExpr     { return &asm.ElemExpr{Op: "arg", Arg: i} }
func elit(v float64) *asm.ElemExpr { return &asm.ElemExpr{Op: "lit", Value: v} }
func eop(op string, args ...*asm.ElemExpr) *asm.ElemExpr {
	return &asm.ElemExpr{Op: op, Args: args}
}

// elemSpecs are the kernels of the generated test package.
var elemSpecs = []asm.ElemSpec{
	{Name: "Exp", Args: 1, Expr: eop("exp", earg(0))},
	{Name: "Sigmoid", Args: 1, Expr: eop("sigmoid", earg(0))},
	{Name: "Tanh", Args: 1, Expr: eop("tanh", earg(0))},
	{Name: "Cell", Args: 4, Expr: eop("add", eop("mul", eop("sigmoid", earg(0)), earg(1)), eop("mul", eop("sigmoid", earg(2)), eop("tanh", earg(3))))},
	{Name: "Arith", Args: 2, Expr: eop("sub", eop("div", eop("square", earg(0)), eop("add", earg(1), elit(3))), eop("mul", eop("relu", eop("neg", earg(0))), eop("recip", earg(1))))},
	{Name: "Grads", Args: 2, Expr: eop("add", eop("sigmoid_grad", earg(0), earg(1)), eop("add", eop("tanh_grad", earg(0), earg(1)), eop("relu_grad", earg(0), earg(1))))},
	{Name: "Wide", Args: 6, Expr: eop("add", eop("add", eop("mul", eop("tanh", earg(0)), eop("sigmoid", earg(1))), eop("mul", eop("tanh", earg(2)), eop("sigmoid", earg(3)))), eop("mul", eop("exp", earg(4)), eop("tanh", earg(5))))},
	{Name: "InPlace", Args: 2, Expr: eop("mul", eop("sub", earg(0), elit(-0.5)), earg(1))},
}

// elemRowSpecs are the row-by-row kernels of the test package.
var elemRowSpecs = []asm.ElemSpec{
	{Name: "RowsSigmoid", Args: 1, Rows: true, Expr: eop("sigmoid", earg(0))},
	{Name: "RowsCell", Args: 4, Rows: true, Expr: eop("add", eop("mul", eop("sigmoid", earg(0)), earg(1)), eop("mul", eop("sigmoid", earg(2)), eop("tanh", earg(3))))},
}

// elemHarness is the test of the generated package: every variant
// against the Go twin on odd lengths with NaN-fenced buffers, and the
// transcendental kernels against float64 math.
const elemHarness = `
import (
	"math"
	"math/rand"
	"testing"
)

type kernel struct {
	name string
	args int
	fn, twin func(dst []float32, a [][]float32)
}

func close32(a, b float32) bool {
	if a == b || (a != a && b != b) {
		return true
	}
	d := math.Abs(float64(a) - float64(b))
	// Relative, plus absolute for sums that cancel (inputs are O(1)).
	return d <= 2e-6*math.Max(math.Abs(float64(a)), math.Abs(float64(b)))+1e-6
}

var specials = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.625, -0.625, 0.6249, 88.7, 88.8, 89, -87, -104, -110, 1e30, -1e30,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-30, -1e-30, 20, -20}

func TestElemVariants(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, v := range variants() {
		restore := v.set()
		for _, k := range kernels {
			for _, n := range []int{0, 1, 7, 15, 16, 17, 33, 65, 1000} {
				args := make([][]float32, k.args)
				bufs := make([][]float32, k.args)
				for j := range args {
					bufs[j], args[j] = guarded(n)
					for i := range args[j] {
						args[j][i] = float32(rng.NormFloat64() * 4)
						if rng.Intn(8) == 0 {
							args[j][i] = specials[rng.Intn(len(specials))]
						}
					}
				}
				keep := make([][]float32, k.args)
				for j := range args {
					keep[j] = append([]float32(nil), args[j]...)
				}
				dbuf, dst := guarded(n)
				k.fn(dst, args)
				fenced(t, v.name+" "+k.name+" dst", dbuf, n)
				want := make([]float32, n)
				k.twin(want, keep)
				for j := range args {
					fenced(t, v.name+" "+k.name+" arg", bufs[j], n)
					for i := range args[j] {
						if math.Float32bits(args[j][i]) != math.Float32bits(keep[j][i]) {
							t.Fatalf("%s %s n=%d: argument %d changed", v.name, k.name, n, j)
						}
					}
				}
				for i := range want {
					if !close32(dst[i], want[i]) {
						in := make([]float32, k.args)
						for j := range keep {
							in[j] = keep[j][i]
						}
						t.Errorf("%s %s n=%d [%d] args %v: got %g, twin %g", v.name, k.name, n, i, in, dst[i], want[i])
						break
					}
				}
				// In place: dst is argument 0.
				if k.name == "InPlace" && n > 0 {
					x := append([]float32(nil), keep[0]...)
					k.fn(x, [][]float32{x, keep[1]})
					for i := range x {
						if !close32(x[i], want[i]) {
							t.Fatalf("%s in place n=%d [%d]: %g, want %g", v.name, n, i, x[i], want[i])
						}
					}
				}
			}
		}
		restore()
	}
}

type rowKernel struct {
	name     string
	args     int
	fn, twin func(rows, cols int, dst []float32, ds int, a [][]float32, s []int)
}

// TestElemRows checks the row kernels on strided views: the gaps between
// the rows of dst and the fences around every buffer stay untouched.
func TestElemRows(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, v := range variants() {
		restore := v.set()
		for _, k := range rowKernels {
			for _, rows := range []int{1, 2, 5} {
				for _, cols := range []int{0, 1, 7, 16, 17, 50} {
					for _, gap := range []int{0, 3, 150} {
						stride := cols + gap
						size := (rows-1)*stride + cols
						args := make([][]float32, k.args)
						bufs := make([][]float32, k.args)
						strides := make([]int, k.args)
						for j := range args {
							strides[j] = stride + j%2 // operands with different strides
							bufs[j], args[j] = guarded((rows-1)*strides[j] + cols)
							for i := range args[j] {
								args[j][i] = float32(rng.NormFloat64() * 4)
							}
						}
						dbuf, dst := guarded(size)
						k.fn(rows, cols, dst, stride, args, strides)
						want := make([]float32, size)
						for i := range want {
							want[i] = float32(math.NaN())
						}
						k.twin(rows, cols, want, stride, args, strides)
						fenced(t, v.name+" "+k.name+" dst", dbuf, size)
						for j := range args {
							fenced(t, v.name+" "+k.name+" arg", bufs[j], len(args[j]))
						}
						for i := range want {
							if !close32(dst[i], want[i]) {
								t.Fatalf("%s %s rows=%d cols=%d gap=%d [%d]: %g, twin %g", v.name, k.name, rows, cols, gap, i, dst[i], want[i])
							}
						}
					}
				}
			}
		}
		restore()
	}
}

// ulps is the distance of got from the float64 want in float32 ulps of want.
func ulps(got float32, want float64) float64 {
	w := float32(want)
	if got == w || (got != got && want != want) {
		return 0
	}
	if math.IsInf(float64(got), 0) || math.IsInf(want, 0) || got != got || want != want {
		return math.Inf(1)
	}
	u := math.Abs(float64(math.Nextafter32(w, float32(math.Inf(1))) - w))
	if u == 0 || math.IsInf(u, 0) {
		u = math.Abs(float64(w - math.Nextafter32(w, float32(math.Inf(-1)))))
	}
	return math.Abs(float64(got)-want) / u
}

func TestElemAccuracy(t *testing.T) {
	var xs []float32
	for x := float32(-120); x < 120; x += 0.0137 {
		xs = append(xs, x)
	}
	for x := float32(-1); x < 1; x += 0.000913 {
		xs = append(xs, x, x*1e-3, x*1e-7)
	}
	xs = append(xs, specials...)
	fns := []struct {
		name string
		fn   func(dst, a []float32)
		ref  func(float64) float64
		ulp  float64
		tiny float64 // absolute error allowed where the result is a float32 denormal
	}{
		{"exp", Exp, math.Exp, 2, 1.5e-45},
		// 1/(1+e^-x) is 0 once e^-x overflows, below x = -88.7.
		{"sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 3, 1.2e-38},
		{"tanh", Tanh, math.Tanh, 2, 1.5e-45},
	}
	for _, v := range variants() {
		restore := v.set()
		for _, f := range fns {
			got := make([]float32, len(xs))
			f.fn(got, xs)
			worst, at := 0.0, float32(0)
			for i, x := range xs {
				want := f.ref(float64(x))
				if math.Abs(want) < 1.2e-38 { // float32 denormal range and 0: absolute error
					if math.Abs(float64(got[i])-want) > f.tiny {
						t.Errorf("%s %s(%g) = %g, want %g", v.name, f.name, x, got[i], want)
					}
					continue
				}
				if u := ulps(got[i], want); u > worst {
					worst, at = u, x
				}
			}
			if worst > f.ulp {
				t.Errorf("%s %s: error %.2f ulp at %g, want <= %g", v.name, f.name, worst, at, f.ulp)
			}
			t.Logf("%s %s: max error %.2f ulp at %g", v.name, f.name, worst, at)
		}
		restore()
	}
}
`

const elemVariantsPureGo = `
type variant struct {
	name string
	set  func() (restore func())
}

func variants() []variant { return []variant{{"purego", func() func() { return func() {} }}} }
`

func elemTable(pkg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nvar kernels = []kernel{\n", pkg)
	for _, s := range elemSpecs {
		var as []string
		for i := 0; i < s.Args; i++ {
			as = append(as, fmt.Sprintf("a[%d]", i))
		}
		twin := strings.ToLower(s.Name[:1]) + s.Name[1:] + "Generic"
		fmt.Fprintf(&b, "\t{%q, %d, func(d []float32, a [][]float32) { %s(d, %s) }, func(d []float32, a [][]float32) { %s(d, %s) }},\n",
			s.Name, s.Args, s.Name, strings.Join(as, ", "), twin, strings.Join(as, ", "))
	}
	b.WriteString("}\n\nvar rowKernels = []rowKernel{\n")
	for _, s := range elemRowSpecs {
		var as []string
		for i := 0; i < s.Args; i++ {
			as = append(as, fmt.Sprintf("a[%d], s[%d]", i, i))
		}
		twin := strings.ToLower(s.Name[:1]) + s.Name[1:] + "Generic"
		call := func(f string) string {
			return fmt.Sprintf("func(rows, cols int, d []float32, ds int, a [][]float32, s []int) { %s(rows, cols, d, ds, %s) }", f, strings.Join(as, ", "))
		}
		fmt.Fprintf(&b, "\t{%q, %d, %s, %s},\n", s.Name, s.Args, call(s.Name), call(twin))
	}
	b.WriteString("}\n")
	return b.String()
}

// TestElemGeneratedPackage writes the kernels of elemSpecs and their tests
// into a package under testdata/tmp-*, vets it, assembles it for dynamic
// linking and runs its tests on every variant, then under -tags purego.
func TestElemGeneratedPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated package")
	}
	const pkg = "elemt"
	u, err := asm.Config{Pkg: pkg, GeneratedBy: "asm test"}.GenerateElem(append(append([]asm.ElemSpec(nil), elemSpecs...), elemRowSpecs...), []string{"sigmoid32"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Asm == nil || strings.Contains(string(u.Dispatch), "Generic(") {
		t.Fatalf("a kernel has no assembly:\n%s", u.Dispatch)
	}
	files := u.Files("zelem")
	head := "package " + pkg + "\n"
	files["zharness_test.go"] = []byte(head + elemHarness + fenceSource)
	files["zvariants_amd64_test.go"] = []byte("//go:build amd64 && gc && !purego\n\n" + head + variantsAMD64("elemAVX512", "elemAVX2"))
	files["zvariants_purego_test.go"] = []byte("//go:build !amd64 || !gc || purego\n\n" + head + elemVariantsPureGo)
	files["ztable_test.go"] = []byte(elemTable(pkg))
	asmtest.Check(t, files)
}
