package asm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	files, err := asmtest.Package("oddgemm", asmtest.OddCases())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "tmp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(dir)
		os.Remove("testdata") // if empty
	})
	if err := asmtest.Write(dir, files); err != nil {
		t.Fatal(err)
	}
	pkg := "./" + filepath.ToSlash(dir)
	for _, args := range [][]string{
		{"vet", pkg},
		{"build", "-asmflags=-dynlink", pkg}, // R15 is not used across global accesses
		{"test", "-count=1", pkg},
		{"test", "-count=1", "-tags", "purego", pkg},
		{"vet", pkg, "GOARCH=arm64"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var env []string
			if last := args[len(args)-1]; strings.Contains(last, "=") {
				args, env = args[:len(args)-1], []string{last}
			}
			cmd := exec.Command(gobin, args...)
			cmd.Env = append(os.Environ(), env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}
