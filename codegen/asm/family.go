package asm

import (
	"fmt"

	"github.com/mmcloughlin/avo/ir"
)

// A family is a kind of kernel with a spec per kernel (ConvSpec,
// PoolSpec): how to check a spec, compile its dispatcher and variants, and
// render the Go files that go with the assembly.
type family[S any] struct {
	name     string                            // in errors: "conv", "pool"
	specName func(S) string                    // a spec's kernel name
	validate func(S, map[string]bool) error    // checks a spec; seen collects names
	compile  func(S) (*ir.File, error)         // the dispatcher and variants of a spec
	dispatch func(Config) ([]byte, error)      // the flags the dispatchers read
	pureGo   func(Config, []S) ([]byte, error) // the kernels as calls of their twins
	generic  func(Config, []S) ([]byte, error) // the twins
}

// generate validates specs and returns the family's files: the
// assembly, its stubs and dispatch flags, the purego calls and the twins.
// Specs compile in parallel (compileEach) and are printed in order.
func (fam family[S]) generate(cfg Config, specs []S) (*Unit, error) {
	if cfg.GeneratedBy == "" {
		cfg.GeneratedBy = "dlc"
	}
	seen := map[string]bool{}
	for _, s := range specs {
		if err := fam.validate(s, seen); err != nil {
			return nil, err
		}
	}
	u := &Unit{}
	if len(specs) == 0 {
		return u, nil
	}
	files, errs := compileEach(len(specs), func(i int) (*ir.File, error) { return fam.compile(specs[i]) })
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("asm: %s %s: %w", fam.name, fam.specName(specs[i]), err)
		}
	}
	f, err := joinAsm(files)
	if err != nil {
		return nil, fmt.Errorf("asm: %w", err)
	}
	if u.Asm, u.Stubs, err = printAsmStubs(cfg, f); err != nil {
		return nil, fmt.Errorf("asm: %w", err)
	}
	if u.Dispatch, err = fam.dispatch(cfg); err != nil {
		return nil, err
	}
	if u.PureGo, err = fam.pureGo(cfg, specs); err != nil {
		return nil, err
	}
	if u.Generic, err = fam.generic(cfg, specs); err != nil {
		return nil, err
	}
	return u, nil
}

// renderFlags returns the dispatch flags of a family: avx512 and avx2 set
// at init from golang.org/x/sys/cpu (avx2 also needs FMA when fma), which
// tests clear to force the next variant.
func renderFlags(cfg Config, what, avx512, avx2 string, fma bool) ([]byte, error) {
	b := goHeader(cfg, goTag)
	b.WriteString("import \"golang.org/x/sys/cpu\"\n\n")
	fmt.Fprintf(b, "// The variant the %s kernels jump to, fixed at init; tests clear them to force the next.\n", what)
	need := "cpu.X86.HasAVX2"
	if fma {
		need += " && cpu.X86.HasFMA"
	}
	fmt.Fprintf(b, "var (\n\t%s = cpu.X86.HasAVX512F\n\t%s = %s\n)\n", avx512, avx2, need)
	return formatGo(b)
}
