package runtime

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// allowedImport reports whether runtime may import path: the standard
// library (no dot in the first path element) and golang.org/x/sys.
func allowedImport(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") || path == "golang.org/x/sys" || strings.HasPrefix(path, "golang.org/x/sys/")
}

func TestAllowedImport(t *testing.T) {
	for path, want := range map[string]bool{
		"math/rand/v2": true, "golang.org/x/sys/cpu": true, "golang.org/x/sys": true,
		"golang.org/x/sysfoo": false, "gonum.org/v1/gonum/mat": false, "github.com/dlc-lang/dlc/ir": false,
	} {
		if allowedImport(path) != want {
			t.Errorf("allowedImport(%q) = %v", path, !want)
		}
	}
}

// TestImports checks the imports of every non-test file, whatever its
// build constraints.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowedImport(path) {
				t.Errorf("%s imports %s: runtime may import only the standard library and golang.org/x/sys", name, path)
			}
		}
	}
}

// TestDeps checks the whole dependency graph with go list.
func TestDeps(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gocmd, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, path := range strings.Fields(string(out)) {
		if path != "github.com/dlc-lang/dlc/runtime" && !allowedImport(path) {
			t.Errorf("runtime depends on %s", path)
		}
	}
}
