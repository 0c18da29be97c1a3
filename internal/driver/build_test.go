package driver

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// build runs dlc build with args and fails the test unless it succeeds.
func build(t *testing.T, args ...string) {
	t.Helper()
	if code, _, stderr := run(t, append([]string{"build"}, args...)...); code != ExitOK {
		t.Fatalf("dlc build %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
}

// readDir returns every file of dir by name.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// sameFiles reports the first difference between two file sets, or "".
func sameFiles(got, want map[string][]byte) string {
	var names []string
	for n := range got {
		names = append(names, n)
	}
	for n := range want {
		if _, ok := got[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		g, okG := got[n]
		w, okW := want[n]
		switch {
		case !okG:
			return n + " is missing"
		case !okW:
			return n + " is unexpected"
		case !bytes.Equal(g, w):
			return n + " differs"
		}
	}
	return ""
}

// TestBuildDeterministic checks, for every model of testdata/models, that
// two compiles give the same files byte for byte and that dlc build
// writes exactly those files.
func TestBuildDeterministic(t *testing.T) {
	for _, f := range models(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, err := Compile(f, src, Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		second, err := Compile(f, src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d := sameFiles(second.Files, first.Files); d != "" {
			t.Errorf("%s: two compiles differ: %s", f, d)
		}
		dir := filepath.Join(t.TempDir(), "pkg")
		build(t, "-o", dir, f)
		if d := sameFiles(readDir(t, dir), first.Files); d != "" {
			t.Errorf("dlc build %s: %s", f, d)
		}
	}
}

// TestBuildOutputDir checks build's default directory (beside the model,
// named after the package), that a rebuild leaves unchanged files alone,
// and that it removes stale generated files but no others.
func TestBuildOutputDir(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "net.dl")
	copyFile(t, mlpModel(), model)
	build(t, model)
	out := filepath.Join(dir, "mlp")
	files := readDir(t, out)
	if len(files) == 0 {
		t.Fatalf("dlc build %s wrote nothing into %s", model, out)
	}
	for name, b := range files {
		isGo := strings.HasSuffix(name, ".go") // the .s of the GEMM kernels has no package clause
		if !bytes.HasPrefix(b, []byte(generatedPrefix+" build net.dl. DO NOT EDIT.")) || (isGo && !bytes.Contains(b, []byte("\npackage mlp\n"))) {
			t.Errorf("%s: header %.60q", name, b)
		}
	}
	stale := filepath.Join(out, "zstale.go")
	mine := filepath.Join(out, "mine.go")
	writeFile(t, stale, generatedPrefix+" build old.dl. DO NOT EDIT.\n\npackage mlp\n")
	writeFile(t, mine, "package mlp\n")
	before := map[string]os.FileInfo{}
	for name := range files {
		before[name] = stat(t, filepath.Join(out, name))
	}
	build(t, model)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale generated file survived the rebuild: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the rebuild removed a file dlc did not write: %v", err)
	}
	for name, fi := range before {
		if !os.SameFile(stat(t, filepath.Join(out, name)), fi) {
			t.Errorf("the rebuild rewrote the unchanged %s", name)
		}
	}
	build(t, "-pkg", "custom", model)
	if b, err := os.ReadFile(filepath.Join(dir, "custom", "zmodel.go")); err != nil || !bytes.Contains(b, []byte("\npackage custom\n")) {
		t.Errorf("dlc build -pkg custom: %v", err)
	}
}

// TestBuildFlags checks the flags that change the generated code.
func TestBuildFlags(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	build(t, "-o", base, mlpModel())
	ref := readDir(t, base)
	gen := func(args ...string) map[string][]byte {
		out := filepath.Join(dir, strings.Join(args, "_"))
		build(t, append(append([]string{"-o", out}, args...), mlpModel())...)
		return readDir(t, out)
	}

	f64 := gen("-dtype", "f64")
	if !bytes.Contains(f64["zapi.go"], []byte("func (m *Model) Forward(x []float64, out []float64) error")) ||
		bytes.Contains(f64["zmodel.go"], []byte("float32")) {
		t.Error("-dtype f64: the API is not float64 throughout")
	}
	if !bytes.Contains(gen("-batch", "7")["zmodel.go"], []byte("MaxBatch = 7\n")) {
		t.Error("-batch 7: no MaxBatch = 7")
	}
	if d := sameFiles(gen("-d=check"), ref); d != "" {
		t.Errorf("-d=check changed the output: %s", d)
	}
	for _, args := range [][]string{{"-O0"}, {"-d=off=cse"}, {"-d=off=cse,off=simplify-backward"}} {
		if len(gen(args...)) != len(ref) {
			t.Errorf("%v: different files", args)
		}
	}

	// The pass flags reach the pipeline: dlc ir -pass P fails when P is off.
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"-pass", "cse"}, ExitOK},
		{[]string{"-pass", "cse", "-O0"}, ExitUsage},
		{[]string{"-pass", "cse", "-d=off=cse"}, ExitUsage},
		{[]string{"-pass", "autodiff", "-O0"}, ExitOK},
		{[]string{"-pass", "autodiff", "-d=off=cse"}, ExitOK},
	} {
		if code, _, stderr := run(t, append(append([]string{"ir"}, c.args...), mlpModel())...); code != c.code {
			t.Errorf("dlc ir %v: exit %d, want %d: %s", c.args, code, c.code, stderr)
		}
	}
}

// TestDumpFlag checks that -d=dump=PASS writes MODEL.PASS.ir beside the
// model, in a form ir.Parse reads.
func TestDumpFlag(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "mlp.dl")
	copyFile(t, mlpModel(), model)
	build(t, "-d=dump=autodiff,dump=memplan", "-o", filepath.Join(dir, "out"), model)
	for _, pass := range []string{"autodiff", "memplan"} {
		b, err := os.ReadFile(filepath.Join(dir, "mlp."+pass+".ir"))
		if err != nil {
			t.Fatalf("-d=dump=%s: %v", pass, err)
		}
		p, err := ir.Parse(string(b))
		if err != nil {
			t.Fatalf("mlp.%s.ir: %v", pass, err)
		}
		if f := p.Lookup("train"); f == nil || f.Result("grad.fc1.weight") == nil {
			t.Errorf("mlp.%s.ir: no train func with grad.fc1.weight", pass)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "mlp.cse.ir")); !os.IsNotExist(err) {
		t.Errorf("mlp.cse.ir was written without -d=dump=cse: %v", err)
	}
}

// TestGeneratedVariantsCompile type-checks and vets what dlc build writes
// for every model of testdata/models, in float32 and float64, and for mlp
// with the flags that change the pipeline.
func TestGeneratedVariantsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	tmp, err := os.MkdirTemp("testdata", "tmp-") // inside the module, ignored by git
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for _, f := range models(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".dl")
		build(t, "-o", filepath.Join(tmp, name), f)
		build(t, "-o", filepath.Join(tmp, name+"64"), "-dtype", "f64", f)
	}
	for i, args := range [][]string{{"-O0"}, {"-d=off=cse"}, {"-batch", "7"}} {
		build(t, append([]string{"-o", filepath.Join(tmp, "mlpflags"+string(rune('a'+i)))}, append(args, mlpModel())...)...)
	}
	cmd := exec.Command(gocmd, "vet", "./"+filepath.ToSlash(tmp)+"/...")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go vet of the generated packages: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b))
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func stat(t *testing.T, name string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
