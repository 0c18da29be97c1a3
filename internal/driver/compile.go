package driver

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dlc-lang/dlc/codegen"
	"github.com/dlc-lang/dlc/dsl"
	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/passes"
)

// Options are the settings of one compilation.
type Options struct {
	Model      string // model to compile when a file has several
	Package    string // Go package name; default: the model name
	Batch      int    // maximum batch size; 0: the file's
	DType      ir.DType
	GradInputs []string
	Passes     passes.Config
	Poison     bool // see codegen.Options.Poison
}

// Result is a compiled model.
type Result struct {
	Program *ir.Program
	Files   map[string][]byte // generated Go files by name
}

// Front parses and lowers a model to IR, without running the pipeline.
// Errors name the file as given, like gofmt and go vet, so editors can
// jump to them; the program records only its base name, so the output does
// not depend on the directory dlc runs in.
func Front(filename string, src []byte, opts Options) (*ir.Program, error) {
	file, err := dsl.Parse(filename, src)
	if err != nil {
		return nil, err
	}
	prog, err := passes.Lower(file, passes.LowerOptions{Model: opts.Model, Batch: opts.Batch, DType: opts.DType})
	if err != nil {
		return nil, err
	}
	prog.File = filepath.Base(filename)
	return prog, nil
}

// Compile runs the whole compiler on one .dl source.
func Compile(filename string, src []byte, opts Options) (*Result, error) {
	prog, err := Front(filename, src, opts)
	if err != nil {
		return nil, err
	}
	cfg := opts.Passes
	cfg.GradInputs = append(cfg.GradInputs, opts.GradInputs...)
	for _, in := range cfg.GradInputs {
		if d := prog.Decl(in); d == nil || d.Role != "input" || !d.Type.DType.IsFloat() {
			return nil, fmt.Errorf("-grad-input %s: the model has no floating-point input named %s", in, in)
		}
	}
	if err := passes.Run(prog, cfg); err != nil {
		return nil, err
	}
	pkg := opts.Package
	if pkg == "" {
		pkg = PackageName(prog.Name)
	}
	files, err := codegen.Generate(prog, codegen.Options{
		Package:     pkg,
		Source:      filepath.Base(filename),
		SourceLines: strings.Split(string(src), "\n"),
		Poison:      opts.Poison,
	})
	if err != nil {
		return nil, fmt.Errorf("internal error: codegen: %w", err)
	}
	return &Result{Program: prog, Files: files}, nil
}

// PackageName turns a model name into a Go package name.
func PackageName(model string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(model) {
		if r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9' && b.Len() > 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "model"
	}
	return b.String()
}
