package asm_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/codegen/asm/internal/asmtest"
)

// convGradWSpecs are the direct weight gradients of the generated test
// package: LeNet's two and odd shapes (C 1..3, sizes 1, 7, 17, kernels
// 1..5, more channels than one register block, several column vectors).
var convGradWSpecs = []asm.ConvSpec{
	{Name: "GW1", C: 1, O: 6, KH: 5, KW: 5, H: 32, W: 32, GradW: true},
	{Name: "GW2", C: 6, O: 16, KH: 5, KW: 5, H: 14, W: 14, GradW: true},
	{Name: "GWTiny", C: 1, O: 1, KH: 1, KW: 1, H: 1, W: 1, GradW: true},
	{Name: "GWOdd7x17", C: 2, O: 3, KH: 3, KW: 3, H: 7, W: 17, GradW: true},
	{Name: "GWOdd17x7", C: 3, O: 5, KH: 5, KW: 5, H: 17, W: 7, GradW: true},
	{Name: "GWOdd17", C: 3, O: 7, KH: 2, KW: 4, H: 17, W: 17, GradW: true},
	{Name: "GWColumn", C: 1, O: 2, KH: 4, KW: 1, H: 7, W: 1, GradW: true},
	{Name: "GWMany", C: 2, O: 33, KH: 1, KW: 5, H: 7, W: 17, GradW: true},
	{Name: "GWWide", C: 1, O: 2, KH: 3, KW: 3, H: 5, W: 70, GradW: true},
	// Channel vectors, the output gradient transposed: LeNet's conv2, two
	// vectors of channels, taps in several blocks, one tap, one column.
	{Name: "GWC2", C: 6, O: 16, KH: 5, KW: 5, H: 14, W: 14, GradW: true, Chan: true},
	{Name: "GWC32", C: 2, O: 32, KH: 3, KW: 4, H: 7, W: 9, GradW: true, Chan: true},
	{Name: "GWCBig", C: 1, O: 16, KH: 6, KW: 6, H: 8, W: 17, GradW: true, Chan: true},
	{Name: "GWCTiny", C: 3, O: 16, KH: 1, KW: 1, H: 1, W: 1, GradW: true, Chan: true},
	{Name: "GWCCol", C: 2, O: 16, KH: 2, KW: 1, H: 5, W: 1, GradW: true, Chan: true},
}

// convTransposeSpecs are the output gradient transpositions of the same
// package: LeNet's conv2 (a tail of 4 positions), 32 channels, fewer
// positions than a block, whole blocks only.
var convTransposeSpecs = []asm.ConvSpec{
	{Name: "TR2", C: 6, O: 16, KH: 5, KW: 5, H: 14, W: 14, Transpose: true},
	{Name: "TR32", C: 2, O: 32, KH: 3, KW: 4, H: 7, W: 9, Transpose: true},
	{Name: "TRTiny", C: 1, O: 16, KH: 1, KW: 1, H: 1, W: 3, Transpose: true},
	{Name: "TRFull", C: 1, O: 16, KH: 1, KW: 1, H: 4, W: 8, Transpose: true},
}

// convGradWHarness checks every variant against the twin and a float64
// reference for every kernel row, inside NaN fences, with NaN and
// infinities in some inputs and n = 0.
const convGradWHarness = `
import (
	"math"
	"math/rand"
	"testing"
)

type gwKernel struct {
	name               string
	c, o, kh, kw, h, w int
	chn                bool
	fn, twin           func(dw, x, dy []float32, n int)
}

func close32(a, b float32, scale float64) bool {
	if a == b || (a != a && b != b) {
		return true
	}
	return math.Abs(float64(a)-float64(b)) <= 1e-5*scale+1e-6
}

func TestConvGradWVariants(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, v := range variants() {
		restore := v.set()
		for _, k := range gwKernels {
			for trial, n := range []int{1, 3, 0, 2} {
				oh, ow := k.h-k.kh+1, k.w-k.kw+1
				taps := k.c * k.kh * k.kw
				xb, x := guarded(n * k.c * k.h * k.w)
				yb, dy := guarded(n * k.o * oh * ow)
				for _, s := range [][]float32{x, dy} {
					for i := range s {
						s[i] = float32(rng.NormFloat64())
					}
				}
				if trial == 3 {
					x[rng.Intn(len(x))] = float32(math.NaN())
					x[rng.Intn(len(x))] = float32(math.Inf(1))
				}
				wb, dw := guarded(k.o * taps)
				want := make([]float32, k.o*taps)
				for c := 0; c < k.c; c++ {
					if k.chn {
						xs := x
						if n > 0 {
							xs = x[c*k.h*k.w:]
						}
						k.fn(dw[c*k.kh*k.kw:], xs, dy, n)
						k.twin(want[c*k.kh*k.kw:], xs, dy, n)
						continue
					}
					for p := 0; p < k.kh; p++ {
						r := (c*k.kh + p) * k.kw
						xs := x
						if n > 0 {
							xs = x[c*k.h*k.w+p*k.w:]
						}
						k.fn(dw[r:], xs, dy, n)
						k.twin(want[r:], xs, dy, n)
					}
				}
				fenced(t, v.name+" "+k.name+" dw", wb, len(dw))
				fenced(t, v.name+" "+k.name+" x", xb, len(x))
				fenced(t, v.name+" "+k.name+" dy", yb, len(dy))
				for o := 0; o < k.o; o++ {
					for c := 0; c < k.c; c++ {
						for p := 0; p < k.kh; p++ {
							for q := 0; q < k.kw; q++ {
								s, abs := 0.0, 0.0
								for b := 0; b < n; b++ {
									for i := 0; i < oh; i++ {
										for j := 0; j < ow; j++ {
											d := dy[((b*k.o+o)*oh+i)*ow+j]
											if k.chn {
												d = dy[((b*oh+i)*ow+j)*k.o+o]
											}
											t := float64(d) * float64(x[((b*k.c+c)*k.h+i+p)*k.w+j+q])
											s += t
											abs += math.Abs(t)
										}
									}
								}
								at := ((o*k.c+c)*k.kh+p)*k.kw + q
								if !close32(dw[at], want[at], abs) || !close32(want[at], float32(s), abs) {
									t.Fatalf("%s %s n=%d dw[%d,%d,%d,%d] = %g, twin %g, float64 %g", v.name, k.name, n, o, c, p, q, dw[at], want[at], s)
								}
							}
						}
					}
				}
			}
		}
		restore()
	}
}
`

// convTransposeHarness checks every variant of the transpositions against
// the definition, inside NaN fences, for n = 0..3.
const convTransposeHarness = `
type trKernel struct {
	name    string
	o, pix  int
	fn, twin func(dst, src []float32, n int)
}

func TestConvTransposeVariants(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, v := range variants() {
		restore := v.set()
		for _, k := range trKernels {
			for n := 0; n < 4; n++ {
				sb, src := guarded(n * k.o * k.pix)
				for i := range src {
					src[i] = float32(rng.NormFloat64())
				}
				db, dst := guarded(n * k.o * k.pix)
				k.fn(dst, src, n)
				fenced(t, v.name+" "+k.name+" dst", db, len(dst))
				fenced(t, v.name+" "+k.name+" src", sb, len(src))
				want := make([]float32, len(dst))
				k.twin(want, src, n)
				for b := 0; b < n; b++ {
					for i := 0; i < k.pix; i++ {
						for o := 0; o < k.o; o++ {
							at := (b*k.pix+i)*k.o + o
							if dst[at] != src[(b*k.o+o)*k.pix+i] || want[at] != dst[at] {
								t.Fatalf("%s %s n=%d dst[%d,%d,%d] = %g, twin %g, want %g", v.name, k.name, n, b, i, o, dst[at], want[at], src[(b*k.o+o)*k.pix+i])
							}
						}
					}
				}
			}
		}
		restore()
	}
}
`

func convGradWTable(pkg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nvar gwKernels = []gwKernel{\n", pkg)
	for _, s := range convGradWSpecs {
		twin := strings.ToLower(s.Name[:1]) + s.Name[1:] + "Generic"
		fmt.Fprintf(&b, "\t{%q, %d, %d, %d, %d, %d, %d, %t, %s, %s},\n", s.Name, s.C, s.O, s.KH, s.KW, s.H, s.W, s.Chan, s.Name, twin)
	}
	b.WriteString("}\n\nvar trKernels = []trKernel{\n")
	for _, s := range convTransposeSpecs {
		twin := strings.ToLower(s.Name[:1]) + s.Name[1:] + "Generic"
		fmt.Fprintf(&b, "\t{%q, %d, %d, %s, %s},\n", s.Name, s.O, s.OH()*s.OW(), s.Name, twin)
	}
	b.WriteString("}\n")
	return b.String()
}

// TestConvGradWGeneratedPackage writes the kernels of convGradWSpecs and
// their tests into a package under testdata/tmp-*, vets it, assembles it
// for dynamic linking and runs its tests on every variant, then under
// -tags purego.
func TestConvGradWGeneratedPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated package")
	}
	const pkg = "convgwt"
	u, err := asm.Config{Pkg: pkg, GeneratedBy: "asm test"}.GenerateConv(append(append([]asm.ConvSpec{}, convGradWSpecs...), convTransposeSpecs...))
	if err != nil {
		t.Fatal(err)
	}
	files := u.Files("zconv")
	head := "package " + pkg + "\n"
	files["zharness_test.go"] = []byte(head + convGradWHarness + convTransposeHarness + fenceSource)
	files["zvariants_amd64_test.go"] = []byte("//go:build amd64 && gc && !purego\n\n" + head + variantsAMD64("convAVX512", "convAVX2"))
	files["zvariants_purego_test.go"] = []byte("//go:build !amd64 || !gc || purego\n\n" + head + elemVariantsPureGo)
	files["ztable_test.go"] = []byte(convGradWTable(pkg))
	asmtest.Check(t, files)
}
