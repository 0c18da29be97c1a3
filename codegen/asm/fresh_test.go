package asm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dlc-lang/dlc/codegen/asm/internal/asmtest"
)

// TestGemmbenchFresh checks that the committed kernels of package
// gemmbench are what the generator writes today.
func TestGemmbenchFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the benchmark package")
	}
	const dir = "internal/gemmbench"
	want, err := asmtest.Package("gemmbench", asmtest.BenchCases())
	if err != nil {
		t.Fatal(err)
	}
	have, err := filepath.Glob(filepath.Join(dir, "z*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range have {
		if _, ok := want[filepath.Base(path)]; !ok {
			t.Errorf("%s: not generated any more", path)
		}
	}
	for name, src := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, src) {
			t.Errorf("%s/%s is stale: run go generate -tags generate ./codegen/asm/internal/gemmbench", dir, name)
		}
	}
}
