package codegen

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestGEMMCoverage checks that the exec tests' programs reach the GEMM
// kernels in each of their uses (so the exec tests compare the assembly,
// or under -tags purego its Go twins, with ir/interp), and that each spec
// becomes a kernel file entry.
func TestGEMMCoverage(t *testing.T) {
	want := map[string][]string{
		// x·Wᵀ packed (once per update, by repack in zmodel.go), dYᵀ·X
		// chunked over the batch (the fused bias+relu epilogues are in the
		// seed models of internal/parity).
		"mlp": {"PackB(", "TBP(", "TAAcc("},
		// conv2d (w·col: gemm64x9), its weight gradient (dy·colᵀ accumulated),
		// x·Wᵀ of the head and dYᵀ·X.
		"convnet": {"gemm64x9(", "TBPAcc(", "TBP(", "TAAcc("},
	}
	calls := regexp.MustCompile(`\bgemm\w*\(`)
	rowsSuffix := regexp.MustCompile(`R[0-9]+\($`)
	for _, tp := range basePrograms(t) {
		files, err := Generate(tp.prog, Options{Package: tp.name})
		if err != nil {
			t.Fatal(err)
		}
		kern := string(files[fileKernels]) + string(files[fileModel])
		// Kernels planned for a row count end in R<rows>: match without it.
		used := calls.FindAllString(kern, -1)
		for i, c := range used {
			used[i] = rowsSuffix.ReplaceAllString(c, "(")
		}
		for _, w := range want[tp.name] {
			if !slices.ContainsFunc(used, func(c string) bool { return strings.HasSuffix(c, w) }) {
				t.Errorf("%s: no GEMM call ending in %q in %s or %s (calls: %v)", tp.name, w, fileKernels, fileModel, used)
			}
		}
		if len(used) > 0 {
			for _, f := range []string{"zgemm_amd64.s", "zgemm_amd64.go", "zgemm_dispatch_amd64.go", "zgemm_purego.go", "zgemm_generic.go"} {
				if files[f] == nil {
					t.Errorf("%s: calls GEMM kernels but has no %s", tp.name, f)
				}
			}
		}
	}
}
