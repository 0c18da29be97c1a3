package asm_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/codegen/asm/internal/asmtest"
)

// convSpecs are the direct convolutions of the generated test package:
// LeNet's two, and odd shapes (C 1..3, sizes 1, 7, 17, kernels 1..5,
// several column tiles, more channels than one register block).
var convSpecs = []asm.ConvSpec{
	{Name: "Conv1", C: 1, O: 6, KH: 5, KW: 5, H: 32, W: 32, Bias: true, Relu: true},
	{Name: "Conv2", C: 6, O: 16, KH: 5, KW: 5, H: 14, W: 14, Bias: true, Relu: true},
	{Name: "Tiny", C: 1, O: 1, KH: 1, KW: 1, H: 1, W: 1},
	{Name: "Odd7x17", C: 2, O: 3, KH: 3, KW: 3, H: 7, W: 17, Bias: true},
	{Name: "Odd17x7", C: 3, O: 5, KH: 5, KW: 5, H: 17, W: 7, Relu: true},
	{Name: "Odd17", C: 3, O: 7, KH: 2, KW: 4, H: 17, W: 17, Bias: true, Relu: true},
	{Name: "Column", C: 1, O: 2, KH: 4, KW: 1, H: 7, W: 1, Bias: true},
	{Name: "Many", C: 2, O: 33, KH: 1, KW: 5, H: 7, W: 17, Relu: true},
	{Name: "Wide", C: 1, O: 2, KH: 3, KW: 3, H: 5, W: 70, Bias: true, Relu: true},
	// Transposed weights: channel vectors on AVX-512 (O a multiple of
	// 16: LeNet's conv2, two channel vectors, several and uneven position
	// blocks, one position, KH = 1), else the row form.
	{Name: "Conv2T", C: 6, O: 16, KH: 5, KW: 5, H: 14, W: 14, Bias: true, Relu: true, TW: true},
	{Name: "ChanOdd", C: 3, O: 32, KH: 3, KW: 2, H: 9, W: 7, Bias: true, TW: true},
	{Name: "ChanTiny", C: 1, O: 16, KH: 1, KW: 1, H: 1, W: 1, Relu: true, TW: true},
	{Name: "ChanRow", C: 2, O: 16, KH: 1, KW: 3, H: 4, W: 9, Bias: true, TW: true},
	{Name: "OddT", C: 2, O: 5, KH: 3, KW: 3, H: 7, W: 17, Bias: true, TW: true},
	{Name: "ManyT", C: 2, O: 33, KH: 1, KW: 5, H: 7, W: 17, Relu: true, TW: true},
	// Padded input: LeNet's conv2 input gradient (C and O swapped, full
	// padding), odd pads, several column vectors, one row, one column.
	{Name: "PadLeNet", C: 16, O: 6, KH: 5, KW: 5, H: 10, W: 10, PH: 4, PW: 4},
	{Name: "PadOdd", C: 3, O: 5, KH: 3, KW: 4, H: 7, W: 17, PH: 1, PW: 3, Bias: true, Relu: true},
	{Name: "PadWide", C: 2, O: 2, KH: 3, KW: 3, H: 4, W: 30, PH: 2, PW: 2},
	{Name: "PadTiny", C: 1, O: 3, KH: 2, KW: 2, H: 1, W: 1, PH: 1, PW: 1, Bias: true},
	{Name: "PadRow", C: 2, O: 4, KH: 1, KW: 3, H: 3, W: 9, PW: 2},
	{Name: "PadCol", C: 2, O: 4, KH: 3, KW: 1, H: 9, W: 3, PH: 2},
}

// convHarness checks every variant against the twin and a float64
// reference, inside NaN fences, with NaN and infinities in some inputs.
const convHarness = `
import (
	"math"
	"math/rand"
	"testing"
)

type convKernel struct {
	name                  string
	c, o, kh, kw, h, w    int
	ph, pw                int
	bias, relu, tw        bool
	fn, twin              func(y, x, w, b []float32)
}

func close32(a, b float32, scale float64) bool {
	if a == b || (a != a && b != b) {
		return true
	}
	return math.Abs(float64(a)-float64(b)) <= 1e-5*scale+1e-6
}

func TestConvVariants(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, v := range variants() {
		restore := v.set()
		for _, k := range convKernels {
			for trial := 0; trial < 3; trial++ {
				oh, ow := k.h+2*k.ph-k.kh+1, k.w+2*k.pw-k.kw+1
				xb, x := guarded(k.c * k.h * k.w)
				wb, w := guarded(k.o * k.c * k.kh * k.kw)
				bb, b := guarded(k.o)
				for _, s := range [][]float32{x, w, b} {
					for i := range s {
						s[i] = float32(rng.NormFloat64())
					}
				}
				if trial == 2 {
					x[rng.Intn(len(x))] = float32(math.NaN())
					x[rng.Intn(len(x))] = float32(math.Inf(1))
				}
				n := k.o * oh * ow
				yb, y := guarded(n)
				k.fn(y, x, w, b)
				fenced(t, v.name+" "+k.name+" y", yb, n)
				fenced(t, v.name+" "+k.name+" x", xb, len(x))
				fenced(t, v.name+" "+k.name+" w", wb, len(w))
				fenced(t, v.name+" "+k.name+" bias", bb, len(b))
				want := make([]float32, n)
				k.twin(want, x, w, b)
				for o := 0; o < k.o; o++ {
					for i := 0; i < oh; i++ {
						for j := 0; j < ow; j++ {
							s, abs := 0.0, 0.0
							for c := 0; c < k.c; c++ {
								for p := 0; p < k.kh; p++ {
									for q := 0; q < k.kw; q++ {
										at := ((o*k.c+c)*k.kh+p)*k.kw + q
										if k.tw {
											at = ((c*k.kh+p)*k.kw+q)*k.o + o
										}
										ii, jj := i+p-k.ph, j+q-k.pw
										if ii < 0 || ii >= k.h {
											continue
										}
										xv := float32(0)
										if jj >= 0 && jj < k.w {
											xv = x[(c*k.h+ii)*k.w+jj]
										}
										t := float64(xv) * float64(w[at])
										s += t
										abs += math.Abs(t)
									}
								}
							}
							if k.bias {
								s += float64(b[o])
								abs += math.Abs(float64(b[o]))
							}
							if k.relu && s < 0 {
								s = 0
							}
							at := (o*oh+i)*ow + j
							if !close32(y[at], want[at], abs) || !close32(want[at], float32(s), abs) {
								t.Fatalf("%s %s trial %d y[%d,%d,%d] = %g, twin %g, float64 %g", v.name, k.name, trial, o, i, j, y[at], want[at], s)
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

func convTable(pkg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nvar convKernels = []convKernel{\n", pkg)
	for _, s := range convSpecs {
		twin := strings.ToLower(s.Name[:1]) + s.Name[1:] + "Generic"
		fmt.Fprintf(&b, "\t{%q, %d, %d, %d, %d, %d, %d, %d, %d, %t, %t, %t, %s, %s},\n", s.Name, s.C, s.O, s.KH, s.KW, s.H, s.W, s.PH, s.PW, s.Bias, s.Relu, s.TW, s.Name, twin)
	}
	b.WriteString("}\n")
	return b.String()
}

// TestConvGeneratedPackage writes the kernels of convSpecs and their tests
// into a package under testdata/tmp-*, vets it, assembles it for dynamic
// linking and runs its tests on every variant, then under -tags purego.
func TestConvGeneratedPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated package")
	}
	const pkg = "convt"
	u, err := asm.Config{Pkg: pkg, GeneratedBy: "asm test"}.GenerateConv(convSpecs)
	if err != nil {
		t.Fatal(err)
	}
	files := u.Files("zconv")
	head := "package " + pkg + "\n"
	files["zharness_test.go"] = []byte(head + convHarness + fenceSource)
	files["zvariants_amd64_test.go"] = []byte("//go:build amd64 && gc && !purego\n\n" + head + variantsAMD64("convAVX512", "convAVX2"))
	files["zvariants_purego_test.go"] = []byte("//go:build !amd64 || !gc || purego\n\n" + head + elemVariantsPureGo)
	files["ztable_test.go"] = []byte(convTable(pkg))
	asmtest.Check(t, files)
}
