package driver

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// run calls Main with args and returns its exit status and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// models lists testdata/models/*.dl of the module.
func models(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "models", "*.dl"))
	if err != nil || len(files) < 3 {
		t.Fatalf("testdata/models: %v, %d files", err, len(files))
	}
	return files
}

func mlpModel() string { return filepath.Join("..", "..", "testdata", "models", "mlp.dl") }

func TestExitStatus(t *testing.T) {
	mlp := mlpModel()
	for _, c := range []struct {
		args   []string
		code   int
		stdout string // a substring of stdout
		stderr string // a substring of stderr
	}{
		{nil, ExitUsage, "usage: dlc <command>", ""},
		{[]string{"-h"}, ExitOK, "usage: dlc <command>", ""},
		{[]string{"help"}, ExitOK, "commands:", ""},
		{[]string{"help", "build"}, ExitOK, "usage: dlc build", ""},
		{[]string{"build", "-h"}, ExitOK, "", "Usage of dlc build"},
		{[]string{"check", "-h"}, ExitOK, "", "Usage of dlc check"},
		{[]string{"ir", "-h"}, ExitOK, "", "Usage of dlc ir"},
		{[]string{"fmt", "-h"}, ExitOK, "", "Usage of dlc fmt"},
		{[]string{"bogus"}, ExitUsage, "", `unknown command "bogus"`},
		{[]string{"build", "-bogus", mlp}, ExitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"check", "-bogus", mlp}, ExitUsage, "", "usage: dlc check"},
		{[]string{"ir", "-bogus", mlp}, ExitUsage, "", "usage: dlc ir"},
		{[]string{"fmt", "-bogus", mlp}, ExitUsage, "", "usage: dlc fmt"},
		{[]string{"check"}, ExitUsage, "", "expected one model file, got 0"},
		{[]string{"check", mlp, mlp}, ExitUsage, "", "expected one model file, got 2"},
		{[]string{"fmt"}, ExitUsage, "", "expected model files"},
		{[]string{"check", "-dtype", "f16", mlp}, ExitUsage, "", "-dtype must be f32 or f64"},
		{[]string{"check", "-batch", "-1", mlp}, ExitUsage, "", "-batch must be positive"},
		{[]string{"check", "-d", "bogus", mlp}, ExitUsage, "", `unknown -d setting "bogus"`},
		{[]string{"ir", "-dot", "-func", "bogus", mlp}, ExitUsage, "", "has no func bogus"},
		{[]string{"ir", "-pass", "bogus", mlp}, ExitUsage, "", "pass bogus did not run"},
		{[]string{"check", "no-such-file.dl"}, ExitModel, "", "no-such-file.dl"},
		{[]string{"check", "-model", "bogus", mlp}, ExitModel, "", "bogus"},
		{[]string{"check", "-d=check", mlp}, ExitOK, "model mlp ok", ""},
	} {
		code, stdout, stderr := run(t, c.args...)
		if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
			t.Errorf("dlc %s: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				strings.Join(c.args, " "), code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
}

// TestModelErrors checks that every command reports errors in a model with
// exit status 1 and file:line:col messages quoting the line with a caret:
// the dsl error corpus (whose .golden files hold the exact messages) and a
// model that parses but does not type-check.
func TestModelErrors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "dsl", "errors", "*.dl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("testdata/dsl/errors: %v", err)
	}
	for _, f := range files {
		golden, err := os.ReadFile(strings.TrimSuffix(f, ".dl") + ".golden")
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"check", "build", "ir", "fmt"} {
			code, stdout, stderr := run(t, cmd, f)
			// Every command names the file as given; the goldens hold base names.
			stderr = strings.ReplaceAll(stderr, filepath.Dir(f)+string(filepath.Separator), "")
			if code != ExitModel || stdout != "" || stderr != string(golden) {
				t.Errorf("dlc %s %s: exit %d, stdout %q, stderr:\n%s\nwant exit 1 and:\n%s", cmd, f, code, stdout, stderr, golden)
			}
		}
	}
	code, _, stderr := run(t, "build", "-o", t.TempDir(), filepath.Join("testdata", "shape_error.dl"))
	want := "testdata/shape_error.dl:7:12: linear: input has 10 features, linear(20, 1) expects 20: got f32[B,10]\n" +
		"    pred = linear(h, 20, 1) as fc2\n" +
		"           ^\n"
	if code != ExitModel || stderr != want {
		t.Errorf("dlc build shape_error.dl: exit %d, stderr:\n%s\nwant exit 1 and:\n%s", code, stderr, want)
	}
}

func TestCheckSummary(t *testing.T) {
	code, stdout, _ := run(t, "check", mlpModel())
	want := mlpModel() + ": model mlp ok: 231 parameters in 6 tensors, batch 32, trains with binary_cross_entropy and adam\n"
	if code != ExitOK || stdout != want {
		t.Errorf("dlc check mlp.dl: exit %d, %q, want %q", code, stdout, want)
	}
	line := regexp.MustCompile(`^\S+\.dl: model \w+ ok: \d+ parameters in \d+ tensors, batch \d+, trains with \w+ and \w+\n$`)
	for _, f := range models(t) {
		code, stdout, stderr := run(t, "check", f)
		if code != ExitOK || !line.MatchString(stdout) {
			t.Errorf("dlc check %s: exit %d, stdout %q, stderr %q", f, code, stdout, stderr)
		}
	}
	if _, stdout, _ := run(t, "check", "-batch", "7", mlpModel()); !strings.Contains(stdout, ", batch 7,") {
		t.Errorf("dlc check -batch 7: %q", stdout)
	}
}

// TestIRRoundTrip checks that dlc ir prints IR that ir.Parse reads back and
// prints identically, after lowering and after every pass.
func TestIRRoundTrip(t *testing.T) {
	for _, f := range models(t) {
		for _, pass := range []string{"", "cse", "autodiff", "memplan"} {
			code, stdout, stderr := run(t, "ir", "-pass", pass, f)
			if code != ExitOK {
				t.Fatalf("dlc ir -pass %q %s: exit %d: %s", pass, f, code, stderr)
			}
			p, err := ir.Parse(stdout)
			if err != nil {
				t.Errorf("dlc ir -pass %q %s: ir.Parse: %v", pass, f, err)
				continue
			}
			if again := p.String(); again != stdout {
				t.Errorf("dlc ir -pass %q %s: ir.Parse then print differs:\n%s", pass, f, firstDiff(stdout, again))
			}
		}
		code, stdout, stderr := run(t, "ir", "-dot", f)
		if code != ExitOK || !strings.HasPrefix(stdout, "digraph") {
			t.Errorf("dlc ir -dot %s: exit %d, stderr %q, output starts %.40q", f, code, stderr, stdout)
		}
	}
}

// firstDiff describes the first line where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return "lengths differ"
}

// TestFmt checks that dlc fmt is idempotent and that testdata/models are
// in canonical form, and that fmt -w rewrites a file into that form.
func TestFmt(t *testing.T) {
	dir := t.TempDir()
	for _, f := range models(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code, once, stderr := run(t, "fmt", f)
		if code != ExitOK {
			t.Fatalf("dlc fmt %s: exit %d: %s", f, code, stderr)
		}
		if once != string(src) {
			t.Errorf("%s is not in canonical form: run dlc fmt -w", f)
		}
		tmp := filepath.Join(dir, filepath.Base(f))
		if err := os.WriteFile(tmp, []byte(once), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, twice, _ := run(t, "fmt", tmp); twice != once {
			t.Errorf("dlc fmt %s is not idempotent", f)
		}
	}
	messy := filepath.Join(dir, "messy.dl")
	src := "model m{batch B=4\ninput x:f32[B,2]\n  output   y=relu(x)}\n"
	if err := os.WriteFile(messy, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, want, _ := run(t, "fmt", messy)
	if code, stdout, stderr := run(t, "fmt", "-w", messy); code != ExitOK || stdout != "" {
		t.Fatalf("dlc fmt -w: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(messy); string(got) != want || want == src {
		t.Errorf("dlc fmt -w wrote %q, want %q (from %q)", got, want, src)
	}
}
