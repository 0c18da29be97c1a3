package asm_test

import (
	"testing"

	"github.com/dlc-lang/dlc/codegen/asm/internal/asmtest"
)

// TestGeneratedPackage writes the odd-size kernels with their tests into a
// package under testdata/tmp-* (inside the module, so that it resolves
// golang.org/x/sys), then vets it (asmdecl checks every frame offset
// against the stubs), assembles it for dynamic linking, runs its tests on
// every variant the CPU has, runs them again with -tags purego, and vets
// it for arm64.
func TestGeneratedPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a generated package")
	}
	files, err := asmtest.Package("oddgemm", asmtest.OddCases())
	if err != nil {
		t.Fatal(err)
	}
	asmtest.Check(t, files)
}
