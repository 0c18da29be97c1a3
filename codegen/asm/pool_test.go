package asm_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/codegen/asm/internal/asmtest"
)

// poolShapes are the planes and windows of the generated test package:
// LeNet's two pools, every H×W of odd sizes with 2×2 windows (floor mode
// leaving a trailing row and column), rows that fill whole vectors and one
// more, a row whose trailing column starts a vector, and the other windows
// the kernels take.
func poolShapes() [][4]int {
	s := [][4]int{{28, 28, 2, 2}, {10, 10, 2, 2}}
	odd := []int{7, 17, 33, 65}
	for _, h := range odd {
		for _, w := range odd {
			s = append(s, [4]int{h, w, 2, 2})
		}
	}
	return append(s,
		[4]int{2, 32, 2, 2}, [4]int{4, 34, 2, 2}, [4]int{3, 66, 2, 2},
		[4]int{1, 1, 1, 1}, [4]int{1, 65, 1, 2}, [4]int{65, 1, 2, 1}, [4]int{7, 17, 1, 1},
		[4]int{17, 7, 3, 2}, [4]int{9, 33, 4, 2}, [4]int{13, 20, 4, 1}, [4]int{5, 6, 3, 1},
	)
}

// poolSpecs are the forward, Index and Grad kernels of every shape.
func poolSpecs() []asm.PoolSpec {
	var specs []asm.PoolSpec
	for _, s := range poolShapes() {
		base := asm.PoolSpec{H: s[0], W: s[1], KH: s[2], KW: s[3]}
		name := fmt.Sprintf("%dx%dK%dx%d", s[0], s[1], s[2], s[3])
		f, i, g := base, base, base
		f.Name, i.Name, g.Name = "Fwd"+name, "Idx"+name, "Grad"+name
		i.Index, g.Grad = true, true
		specs = append(specs, f, i, g)
	}
	return specs
}

// poolHarness checks every variant of every kernel bit for bit against
// the twin and a reference written apart (the last NaN, else the first
// strict maximum), on n = 0, 1 and 3 planes of values drawn to make ties,
// ±0, ±Inf and NaNs of several payloads, inside NaN fences; x, dy and idx
// must not be written.
const poolHarness = `
import (
	"math"
	"math/rand"
	"testing"
)

type poolShape struct {
	name           string
	h, w, kh, kw   int
	fwd, fwdTwin   func(y, x []float32, n int)
	idx, idxTwin   func(y []float32, idx []uint8, x []float32, n int)
	grad, gradTwin func(dx, dy []float32, idx []uint8, n int)
}

func nan(payload uint32) float32 { return math.Float32frombits(0x7fc00000 | payload) }

var special = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, float32(math.Inf(1)), float32(math.Inf(-1)), nan(1), nan(2), -nan(3)}

func draw(rng *rand.Rand, s []float32) {
	for i := range s {
		switch r := rng.Intn(10); {
		case r < 5:
			s[i] = special[rng.Intn(len(special)-3)] // ties, ±0, ±Inf
		case r == 5 && rng.Intn(4) == 0:
			s[i] = special[len(special)-3+rng.Intn(3)]
		default:
			s[i] = float32(rng.NormFloat64())
		}
	}
}

const guardByte = 0xa5

func guardedU8(n int) (buf, s []uint8) {
	buf = make([]uint8, n+2*guard)
	for i := range buf {
		buf[i] = guardByte
	}
	return buf, buf[guard : guard+n : guard+n]
}

func fencedU8(t *testing.T, what string, buf []uint8, n int) {
	t.Helper()
	for i := range buf {
		if (i < guard || i >= guard+n) && buf[i] != guardByte {
			t.Fatalf("%s: guard byte %d written", what, i-guard)
		}
	}
}

func same(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// reference is the maximum of each window and its offset: the last NaN
// if the window holds one, else the first strict maximum.
func reference(k poolShape, x []float32, n int) ([]float32, []uint8) {
	oh, ow := k.h/k.kh, k.w/k.kw
	y, idx := make([]float32, n*oh*ow), make([]uint8, n*oh*ow)
	for pl := 0; pl < n; pl++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				at, nanAt := -1, -1
				for t := 0; t < k.kh*k.kw; t++ {
					v := x[pl*k.h*k.w+(i*k.kh+t/k.kw)*k.w+j*k.kw+t%k.kw]
					if v != v {
						nanAt = t
					} else if at < 0 || v > x[pl*k.h*k.w+(i*k.kh+at/k.kw)*k.w+j*k.kw+at%k.kw] {
						at = t
					}
				}
				if nanAt >= 0 || at < 0 {
					at = nanAt
				}
				o := (pl*oh+i)*ow + j
				y[o] = x[pl*k.h*k.w+(i*k.kh+at/k.kw)*k.w+j*k.kw+at%k.kw]
				idx[o] = uint8(at)
			}
		}
	}
	return y, idx
}

func TestPoolVariants(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, v := range variants() {
		restore := v.set()
		for _, k := range poolShapes {
			for _, n := range []int{0, 1, 3} {
				oh, ow := k.h/k.kh, k.w/k.kw
				nx, ny := n*k.h*k.w, n*oh*ow
				what := v.name + " " + k.name
				xb, x := guarded(nx)
				draw(rng, x)
				x0 := append([]float32(nil), x...)
				wantY, wantIdx := reference(k, x, n)

				yb, y := guarded(ny)
				k.fwd(y, x, n)
				fenced(t, what+" fwd y", yb, ny)
				twin := make([]float32, ny)
				k.fwdTwin(twin, x, n)
				if i := same(y, twin); i >= 0 {
					t.Fatalf("%s fwd n=%d: y[%d] = %#x, twin %#x", what, n, i, math.Float32bits(y[i]), math.Float32bits(twin[i]))
				}
				if i := same(twin, wantY); i >= 0 {
					t.Fatalf("%s fwd twin n=%d: y[%d] = %#x, reference %#x", what, n, i, math.Float32bits(twin[i]), math.Float32bits(wantY[i]))
				}

				yb, y = guarded(ny)
				ib, idx := guardedU8(ny)
				k.idx(y, idx, x, n)
				fenced(t, what+" idx y", yb, ny)
				fencedU8(t, what+" idx", ib, ny)
				twinIdx := make([]uint8, ny)
				k.idxTwin(twin, twinIdx, x, n)
				if i := same(y, wantY); i >= 0 {
					t.Fatalf("%s idx n=%d: y[%d] = %#x, reference %#x", what, n, i, math.Float32bits(y[i]), math.Float32bits(wantY[i]))
				}
				if i := same(twin, wantY); i >= 0 {
					t.Fatalf("%s idx twin n=%d: y[%d] = %#x, reference %#x", what, n, i, math.Float32bits(twin[i]), math.Float32bits(wantY[i]))
				}
				for i := range idx {
					if idx[i] != wantIdx[i] || twinIdx[i] != wantIdx[i] {
						t.Fatalf("%s idx n=%d: idx[%d] = %d, twin %d, reference %d", what, n, i, idx[i], twinIdx[i], wantIdx[i])
					}
				}
				fenced(t, what+" x", xb, nx)
				if i := same(x, x0); i >= 0 {
					t.Fatalf("%s: x[%d] written", what, i)
				}

				// The gradient of the offsets just found, and of random ones.
				for trial := 0; trial < 2; trial++ {
					if trial == 1 {
						for i := range idx {
							idx[i] = uint8(rng.Intn(k.kh * k.kw))
						}
					}
					idx0 := append([]uint8(nil), idx...)
					dyb, dy := guarded(ny)
					draw(rng, dy)
					want := make([]float32, nx)
					for pl := 0; pl < n; pl++ {
						for o := 0; o < oh*ow; o++ {
							i, j, a := o/ow, o%ow, int(idx[pl*oh*ow+o])
							var zero float32
							want[pl*k.h*k.w+(i*k.kh+a/k.kw)*k.w+j*k.kw+a%k.kw] = zero + dy[pl*oh*ow+o]
						}
					}
					dxb, dx := guarded(nx)
					k.grad(dx, dy, idx, n)
					fenced(t, what+" grad dx", dxb, nx)
					fenced(t, what+" grad dy", dyb, ny)
					fencedU8(t, what+" grad idx", ib, ny)
					twin := make([]float32, nx)
					for i := range twin {
						twin[i] = nan(7) // the twin clears dx
					}
					k.gradTwin(twin, dy, idx, n)
					if i := same(dx, twin); i >= 0 {
						t.Fatalf("%s grad n=%d trial %d: dx[%d] = %#x, twin %#x", what, n, trial, i, math.Float32bits(dx[i]), math.Float32bits(twin[i]))
					}
					if i := same(twin, want); i >= 0 {
						t.Fatalf("%s grad twin n=%d trial %d: dx[%d] = %#x, reference %#x", what, n, trial, i, math.Float32bits(twin[i]), math.Float32bits(want[i]))
					}
					for i := range idx {
						if idx[i] != idx0[i] {
							t.Fatalf("%s grad: idx[%d] written", what, i)
						}
					}
				}
			}
		}
		restore()
	}
}
`

func poolTable(pkg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nvar poolShapes = []poolShape{\n", pkg)
	for _, s := range poolShapes() {
		name := fmt.Sprintf("%dx%dK%dx%d", s[0], s[1], s[2], s[3])
		fmt.Fprintf(&b, "\t{%q, %d, %d, %d, %d, Fwd%s, fwd%sGeneric, Idx%s, idx%sGeneric, Grad%s, grad%sGeneric},\n",
			name, s[0], s[1], s[2], s[3], name, name, name, name, name, name)
	}
	b.WriteString("}\n")
	return b.String()
}

// TestPoolGeneratedPackage writes the kernels of poolSpecs and their tests
// into a package under testdata/tmp-*, vets it, assembles it for dynamic
// linking and runs its tests on every variant, then under -tags purego.
func TestPoolGeneratedPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated package")
	}
	const pkg = "poolt"
	u, err := asm.Config{Pkg: pkg, GeneratedBy: "asm test"}.GeneratePool(poolSpecs())
	if err != nil {
		t.Fatal(err)
	}
	files := u.Files("zpool")
	head := "package " + pkg + "\n"
	files["zharness_test.go"] = []byte(head + poolHarness + fenceSource)
	files["zvariants_amd64_test.go"] = []byte("//go:build amd64 && gc && !purego\n\n" + head + variantsAMD64("poolAVX512", "poolAVX2"))
	files["zvariants_purego_test.go"] = []byte("//go:build !amd64 || !gc || purego\n\n" + head + elemVariantsPureGo)
	files["ztable_test.go"] = []byte(poolTable(pkg))
	asmtest.Check(t, files)
}

// TestPoolSpecValidation rejects windows the kernels do not take.
func TestPoolSpecValidation(t *testing.T) {
	for _, s := range []asm.PoolSpec{
		{Name: "Wide", H: 4, W: 9, KH: 2, KW: 3},
		{Name: "Tall", H: 9, W: 4, KH: 5, KW: 2},
		{Name: "Small", H: 1, W: 4, KH: 2, KW: 2},
		{Name: "Both", H: 4, W: 4, KH: 2, KW: 2, Index: true, Grad: true},
	} {
		if _, err := (asm.Config{Pkg: "p"}).GeneratePool([]asm.PoolSpec{s}); err == nil {
			t.Errorf("%s: no error", s.Name)
		}
	}
}
