package codegen

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"

	"github.com/dlc-lang/dlc/ir"
)

// The harness builds generated packages and runs them. Every test program
// becomes a package under codegen/testdata/tmp-*/ (inside the module, so it
// can import the runtime), and one driver binary imports them all: a
// single `go build` per test run. The driver reads a gob Request on stdin,
// makes the calls on a model and writes one gob Reply per call.

// Request is a sequence of calls on one model of one program.
type Request struct {
	Program string
	Calls   []Call
}

// Call is one operation: "new" (Seed), "forward", "evaluate", "train"
// (Args: the entry point's slices in order, converted to their element
// types), "state" (tensors, grads, param block, step), "save", "load"
// (Bytes), "setlr" (Args[0][0]) or "allocs" (Args as for Kind, measured
// with testing.AllocsPerRun).
type Call struct {
	Op   string
	Kind string
	Seed uint64
	Args [][]float64
	Data []byte
}

// Reply is the result of one call.
type Reply struct {
	Err       string
	Outs      [][]float64
	Loss, Acc float64
	Tensors   []Tensor
	Grads     []float64
	Block     []float64
	Step      int64
	LR        float64
	Data      []byte
	Allocs    float64
}

// Tensor mirrors a generated package's Tensor.
type Tensor struct {
	Name   string
	Shape  []int
	Data   []float64
	Buffer bool
}

// harnessProgram is one program to build, with the Go element types of
// its entry points' arguments.
type harnessProgram struct {
	Name    string // package name
	Prog    *ir.Program
	Files   map[string][]byte
	Forward []string // element types: inputs then outputs
	Train   []string // inputs then targets
	HasFwd  bool
	HasEval bool
	HasTrn  bool
	Float   string
}

// newHarnessProgram generates p as package name.
func newHarnessProgram(t testing.TB, name string, p *ir.Program, poison bool) *harnessProgram {
	t.Helper()
	files, err := Generate(p, Options{Package: name, Source: name + ".dl", Poison: poison})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	hp := &harnessProgram{Name: name, Prog: p, Files: files, Float: "float32"}
	ft, _ := floatType(p)
	if ft == ir.F64 {
		hp.Float = "float64"
	}
	goType := func(d ir.DType) string {
		switch d {
		case ir.I32:
			return "int32"
		case ir.U8:
			return "uint8"
		case ir.F64:
			return "float64"
		}
		return "float32"
	}
	var inputs, targets []*ir.Decl
	for _, d := range p.Inputs {
		if d.Role == "input" {
			inputs = append(inputs, d)
		} else {
			targets = append(targets, d)
		}
	}
	for _, d := range inputs {
		hp.Forward = append(hp.Forward, goType(d.Type.DType))
		hp.Train = append(hp.Train, goType(d.Type.DType))
	}
	for _, d := range targets {
		hp.Train = append(hp.Train, goType(d.Type.DType))
	}
	if f := p.Lookup("infer"); f != nil {
		hp.HasFwd = true
		for _, r := range f.Results {
			hp.Forward = append(hp.Forward, goType(r.Value.Type.DType))
		}
	}
	hp.HasEval = p.Lookup("eval") != nil
	hp.HasTrn = p.Lookup("train") != nil
	return hp
}

// driver is a built driver binary.
type driver struct {
	bin string
	dir string
}

// buildDriver writes the programs and the driver under a fresh
// testdata/tmp-* directory and builds them; the directory is removed when
// the test binary exits (see TestMain).
func buildDriver(progs []*harnessProgram) (*driver, error) {
	dir, err := os.MkdirTemp("testdata", "tmp-")
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	d := &driver{dir: abs, bin: filepath.Join(abs, "driver.bin")}
	for _, hp := range progs {
		pdir := filepath.Join(abs, hp.Name)
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return d, err
		}
		for name, src := range hp.Files {
			if err := os.WriteFile(filepath.Join(pdir, name), src, 0o644); err != nil {
				return d, err
			}
		}
	}
	var src bytes.Buffer
	importBase := "github.com/dlc-lang/dlc/codegen/testdata/" + filepath.Base(abs)
	if err := driverTemplate.Execute(&src, map[string]any{"Base": importBase, "Progs": progs}); err != nil {
		return d, err
	}
	if err := os.MkdirAll(filepath.Join(abs, "driver"), 0o755); err != nil {
		return d, err
	}
	if err := os.WriteFile(filepath.Join(abs, "driver", "main.go"), src.Bytes(), 0o644); err != nil {
		return d, err
	}
	cmd := exec.Command("go", "build", "-tags", harnessTags, "-o", d.bin, "./"+filepath.ToSlash(filepath.Join(dir, "driver")))
	if out, err := cmd.CombinedOutput(); err != nil {
		return d, fmt.Errorf("go build: %v\n%s", err, out)
	}
	return d, nil
}

// vet runs go vet on the generated packages.
func (d *driver) vet(progs []*harnessProgram) error {
	args := []string{"vet", "-tags", harnessTags}
	rel, _ := filepath.Rel(mustGetwd(), d.dir)
	for _, hp := range progs {
		args = append(args, "./"+filepath.ToSlash(filepath.Join(rel, hp.Name)))
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go vet: %v\n%s", err, out)
	}
	return nil
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return wd
}

// run sends req to the driver and returns one reply per call.
func (d *driver) run(t testing.TB, req Request) []Reply {
	t.Helper()
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(req); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(d.bin)
	cmd.Stdin = &in
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("driver %s: %v\n%s", req.Program, err, stderr.String())
	}
	var replies []Reply
	if err := gob.NewDecoder(&out).Decode(&replies); err != nil {
		t.Fatalf("driver %s: decode: %v\n%s", req.Program, err, stderr.String())
	}
	if len(replies) != len(req.Calls) {
		t.Fatalf("driver %s: %d replies for %d calls", req.Program, len(replies), len(req.Calls))
	}
	return replies
}

// The built driver is shared by the tests of one run.
var (
	buildOnce  sync.Once
	builtProgs []*harnessProgram
	built      *driver
	buildErr   error
)

// sharedDriver builds every program of testPrograms once.
func sharedDriver(t *testing.T) (*driver, []*harnessProgram) {
	t.Helper()
	buildOnce.Do(func() {
		for _, tp := range testPrograms(t) {
			builtProgs = append(builtProgs, newHarnessProgram(t, tp.name, tp.prog, tp.poison))
		}
		built, buildErr = buildDriver(builtProgs)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built, builtProgs
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built != nil && strings.Contains(built.dir, "tmp-") {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

var driverTemplate = template.Must(template.New("driver").Parse(`// Code generated by the codegen tests. DO NOT EDIT.

// Command driver runs generated models for the codegen tests.
package main

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"testing"
{{range $i, $p := .Progs}}
	p{{$i}} "{{$.Base}}/{{$p.Name}}"{{end}}
)

type Request struct {
	Program string
	Calls   []Call
}

type Call struct {
	Op   string
	Kind string
	Seed uint64
	Args [][]float64
	Data []byte
}

type Reply struct {
	Err       string
	Outs      [][]float64
	Loss, Acc float64
	Tensors   []Tensor
	Grads     []float64
	Block     []float64
	Step      int64
	LR        float64
	Data      []byte
	Allocs    float64
}

type Tensor struct {
	Name   string
	Shape  []int
	Data   []float64
	Buffer bool
}

type number interface{ ~float32 | ~float64 | ~int32 | ~uint8 }

func conv[T number](x []float64) []T {
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = T(v)
	}
	return out
}

func back[T number](x []T) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// model is what every adapter offers; prepare converts arguments once and
// returns the call, so that allocs measures the entry point alone.
type model interface {
	prepare(kind string, args [][]float64) (call func(), result func() Reply, ok bool)
	state() Reply
	save() ([]byte, error)
	load([]byte) error
	setLR(float64)
}

var registry = map[string]func(seed uint64) model{}
{{range $i, $p := .Progs}}
type adapter{{$i}} struct{ m *p{{$i}}.Model }

func init() {
	registry["{{$p.Name}}"] = func(seed uint64) model { return &adapter{{$i}}{p{{$i}}.New(seed)} }
}

func (a *adapter{{$i}}) prepare(kind string, args [][]float64) (func(), func() Reply, bool) {
	var err error
	switch kind {
{{- if $p.HasFwd}}
	case "forward":
{{- range $j, $t := $p.Forward}}
		a{{$j}} := conv[{{$t}}](args[{{$j}}]){{end}}
		return func() { err = a.m.Forward({{range $j, $t := $p.Forward}}a{{$j}}, {{end}}) },
			func() Reply {
				return Reply{Err: errString(err), Outs: [][]float64{ {{- range $j, $t := $p.Forward}}back(a{{$j}}), {{end -}} }}
			}, true
{{- end}}
{{- if $p.HasEval}}
	case "evaluate":
		var loss, acc float64
{{- range $j, $t := $p.Train}}
		a{{$j}} := conv[{{$t}}](args[{{$j}}]){{end}}
		return func() { loss, acc, err = a.m.Evaluate({{range $j, $t := $p.Train}}a{{$j}}, {{end}}) },
			func() Reply { return Reply{Err: errString(err), Loss: float64(loss), Acc: float64(acc)} }, true
{{- end}}
{{- if $p.HasTrn}}
	case "train":
		var loss {{$p.Float}}
{{- range $j, $t := $p.Train}}
		a{{$j}} := conv[{{$t}}](args[{{$j}}]){{end}}
		return func() { loss, err = a.m.TrainStep({{range $j, $t := $p.Train}}a{{$j}}, {{end}}) },
			func() Reply { return Reply{Err: errString(err), Loss: float64(loss)} }, true
{{- end}}
	}
	return nil, nil, false
}

func (a *adapter{{$i}}) state() Reply {
	var ts []Tensor
	for _, t := range a.m.Params() {
		ts = append(ts, Tensor{Name: t.Name, Shape: t.Shape, Data: back(t.Data), Buffer: t.Buffer})
	}
	return Reply{Tensors: ts, Grads: back(a.m.Grads()), Block: back(a.m.ParamBlock()), Step: a.m.Step(), LR: float64(a.m.LR())}
}

func (a *adapter{{$i}}) save() ([]byte, error) {
	var b bytes.Buffer
	err := a.m.Save(&b)
	return b.Bytes(), err
}

func (a *adapter{{$i}}) load(data []byte) error { return a.m.Load(bytes.NewReader(data)) }

func (a *adapter{{$i}}) setLR(lr float64) { a.m.SetLR({{$p.Float}}(lr)) }
{{end}}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func main() {
	var req Request
	if err := gob.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	newModel, ok := registry[req.Program]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown program", req.Program)
		os.Exit(1)
	}
	m := newModel(0)
	replies := make([]Reply, len(req.Calls))
	for i, c := range req.Calls {
		replies[i] = do(&m, newModel, c)
	}
	if err := gob.NewEncoder(os.Stdout).Encode(replies); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// do makes one call, turning a panic into an error reply.
func do(m *model, newModel func(uint64) model, c Call) (r Reply) {
	defer func() {
		if e := recover(); e != nil {
			r = Reply{Err: fmt.Sprintf("panic: %v", e)}
		}
	}()
	switch c.Op {
	case "new":
		*m = newModel(c.Seed)
	case "state":
		return (*m).state()
	case "save":
		data, err := (*m).save()
		return Reply{Data: data, Err: errString(err)}
	case "load":
		return Reply{Err: errString((*m).load(c.Data))}
	case "setlr":
		(*m).setLR(c.Args[0][0])
	case "call", "allocs":
		call, result, ok := (*m).prepare(c.Kind, c.Args)
		if !ok {
			return Reply{Err: "no entry point " + c.Kind}
		}
		if c.Op == "call" {
			call()
			return result()
		}
		return Reply{Allocs: testing.AllocsPerRun(20, call)}
	default:
		return Reply{Err: "unknown op " + c.Op}
	}
	return Reply{}
}
`))
