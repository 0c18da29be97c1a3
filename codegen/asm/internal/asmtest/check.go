package asmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Check writes files as a package in a fresh testdata/tmp-* directory of
// the calling test's package, then vets it (asmdecl checks every frame
// offset against the stubs), assembles it for dynamic linking (R15 is not
// used across global accesses), runs its tests on every variant the CPU
// has, runs them again with -tags purego, and vets it for arm64. The
// directory is removed when the test ends; without a go command the test
// is skipped.
func Check(t *testing.T, files map[string][]byte) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
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
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	p := "./" + filepath.ToSlash(dir)
	for _, args := range [][]string{
		{"vet", p},
		{"build", "-asmflags=-dynlink", p},
		{"test", "-count=1", "-v", p},
		{"test", "-count=1", "-tags", "purego", p},
		{"vet", p, "GOARCH=arm64"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var env []string
			if last := args[len(args)-1]; strings.Contains(last, "=") {
				args, env = args[:len(args)-1], []string{last}
			}
			cmd := exec.Command(gobin, args...)
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			if testing.Verbose() {
				t.Logf("%s", out)
			}
		})
	}
}
