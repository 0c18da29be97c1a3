package asm_test

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
