package asm_test

import "fmt"

// Sources shared by the test harnesses of generated kernel packages.

// fenceSource is the part of a generated kernel package's test harness
// that fences buffers with NaN: guarded returns n elements inside NaN
// fences, fenced fails the test when a kernel wrote outside them.
const fenceSource = `
const guard = 32

// guarded returns n elements inside NaN fences.
func guarded(n int) (buf, s []float32) {
	buf = make([]float32, n+2*guard)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	return buf, buf[guard : guard+n : guard+n]
}

func fenced(t *testing.T, what string, buf []float32, n int) {
	t.Helper()
	for i := range buf {
		if (i < guard || i >= guard+n) && math.Float32bits(buf[i]) != math.Float32bits(float32(math.NaN())) {
			t.Fatalf("%s: guard element %d written", what, i-guard)
		}
	}
}
`

// variantsAMD64 is the source of variants() in a generated kernel
// package's amd64 tests: the variants the CPU has, each selected by
// clearing the flags (avx512, avx2: the kernel family's flag names) of the
// faster ones.
func variantsAMD64(avx512, avx2 string) string {
	return fmt.Sprintf(`
type variant struct {
	name string
	set  func() (restore func())
}

func variants() []variant {
	save := func() func() {
		a, b := %[1]s, %[2]s
		return func() { %[1]s, %[2]s = a, b }
	}
	var vs []variant
	if %[1]s {
		vs = append(vs, variant{"avx512", func() func() { return save() }})
	}
	if %[2]s {
		vs = append(vs, variant{"avx2", func() func() { r := save(); %[1]s = false; return r }})
	}
	return append(vs, variant{"go", func() func() { r := save(); %[1]s, %[2]s = false, false; return r }})
}
`, avx512, avx2)
}
