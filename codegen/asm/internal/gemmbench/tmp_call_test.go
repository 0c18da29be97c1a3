package gemmbench

import "testing"

func BenchmarkCallWrapper(b *testing.B) {
	a, w, c, bias := make([]float32, 320), make([]float32, 100), make([]float32, 320), make([]float32, 10)
	for b.Loop() {
		FwdMlp10x10(32, a, w, c, bias)
	}
}

func BenchmarkCallDirect(b *testing.B) {
	a, w, c, bias := make([]float32, 320), make([]float32, 100), make([]float32, 320), make([]float32, 10)
	for b.Loop() {
		fwdMlp10x10AVX512(32, a, w, c, bias)
	}
}

func BenchmarkCallWrapper1(b *testing.B) {
	a, w, c, bias := make([]float32, 320), make([]float32, 100), make([]float32, 320), make([]float32, 10)
	for b.Loop() {
		FwdMlp10x10(1, a, w, c, bias)
	}
}

func BenchmarkCallDirect1(b *testing.B) {
	a, w, c, bias := make([]float32, 320), make([]float32, 100), make([]float32, 320), make([]float32, 10)
	for b.Loop() {
		fwdMlp10x10AVX512(1, a, w, c, bias)
	}
}
