package asm

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"
)

// asmOutput is the assembly half of a Unit.
type asmOutput struct {
	asm, stubs []byte
	isa        map[string][]string // variant suffix -> ISA extensions its functions need
}

// goTag is the build constraint of the assembly and its Go declarations.
const goTag = "amd64 && gc && !purego"

// buildAsm emits the dispatcher and both variants of every spec with
// assembly through avo, allocates registers and prints the .s file and its
// stubs. Specs compile in parallel, each in its own build.Context (avo's
// allocator takes time quadratic in a function's size), and are printed
// in order.
func buildAsm(cfg Config, specs []GEMMSpec) (*asmOutput, error) {
	var asmSpecs []GEMMSpec
	for _, s := range specs {
		if hasAsm(s) {
			asmSpecs = append(asmSpecs, s)
		}
	}
	files, errs := compileEach(len(asmSpecs), func(i int) (*ir.File, error) { return compileSpec(asmSpecs[i]) })
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("gemm %s: %w", asmSpecs[i].Name, err)
		}
	}
	f, err := joinAsm(files)
	if err != nil {
		return nil, err
	}
	return printAsm(cfg, f)
}

// compileEach runs compile(i) for every i < n in parallel, at most
// GOMAXPROCS at a time, and returns the files and errors in order. Each
// kernel compiles in its own build.Context, since avo's register
// allocator takes time quadratic in a function's size.
func compileEach(n int, compile func(i int) (*ir.File, error)) ([]*ir.File, []error) {
	files := make([]*ir.File, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			files[i], errs[i] = compile(i)
		}()
	}
	wg.Wait()
	return files, errs
}

// joinAsm returns one file with the sections of the non-nil files, in
// order, under the assembly's build constraint and the text-flag header.
func joinAsm(files []*ir.File) (*ir.File, error) {
	head := build.NewContext()
	head.ConstraintExpr("amd64,gc,!purego")
	f, err := head.Result()
	if err != nil {
		return nil, err
	}
	for _, sf := range files {
		if sf != nil {
			f.Sections = append(f.Sections, sf.Sections...)
		}
	}
	if len(f.Functions()) > 0 {
		if err := pass.IncludeTextFlagHeader(f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// printAsmStubs prints f's assembly and its Go declarations.
func printAsmStubs(cfg Config, f *ir.File) (asm, stubs []byte, err error) {
	pc := printer.Config{Name: cfg.GeneratedBy, Pkg: cfg.Pkg}
	if asm, err = printer.NewGoAsm(pc).Print(f); err != nil {
		return nil, nil, err
	}
	if stubs, err = printer.NewStubs(pc).Print(f); err != nil {
		return nil, nil, err
	}
	return asm, stubs, nil
}

// compileSpec builds and compiles the assembly functions of s.
func compileSpec(s GEMMSpec) (*ir.File, error) {
	c := build.NewContext()
	emitDispatcher(c, s.Name, s.signature(), wrapperDoc(s), s.variant, nil)
	emitGEMM(c, s, isaAVX512, newAVX512(c, s.F64), s.variant(variantAVX512))
	emitGEMM(c, s, isaAVX2, newAVX2(c, s.F64), s.variant(variantAVX2))
	if hasAsmPack(s) {
		emitDispatcher(c, s.packName(), s.packSignature(), packDoc(s), s.packVariant, nil)
		emitPack(c, s, isaAVX512, newPackAVX512(c), s.packVariant(variantAVX512))
		emitPack(c, s, isaAVX2, newPackAVX2(c), s.packVariant(variantAVX2))
	}
	f, err := c.Result()
	if err != nil {
		return nil, err
	}
	if err := pass.Concat(pass.Compile, pass.FunctionPass(checkVEXRegisters)).Execute(f); err != nil {
		return nil, err
	}
	return f, nil
}

// printAsm prints f and its stubs and collects the ISA extensions of each
// variant.
func printAsm(cfg Config, f *ir.File) (*asmOutput, error) {
	out := &asmOutput{isa: map[string][]string{}}
	var err error
	if out.asm, out.stubs, err = printAsmStubs(cfg, f); err != nil {
		return nil, err
	}
	for _, fn := range f.Functions() {
		if v := variantOf(fn.Name); v != "" {
			out.isa[v] = union(out.isa[v], fn.ISA)
		}
	}
	return out, nil
}

// checkVEXRegisters fails when avo gave an AVX2 variant a vector register
// above 15: VEX encodings cannot name it, and the assembler would switch
// to an EVEX encoding that AVX2-only CPUs reject. avo's allocator does not
// know this limit, so the blocking must keep register pressure below it.
func checkVEXRegisters(fn *ir.Function) error {
	if variantOf(fn.Name) != variantAVX2 {
		return nil
	}
	for _, i := range fn.Instructions() {
		for _, r := range i.Registers() {
			if p, ok := r.(reg.Physical); ok && r.Kind() == reg.KindVector && p.PhysicalIndex() >= 16 {
				return fmt.Errorf("%s: %s uses %s, beyond the 16 VEX registers", fn.Name, i.Opcode, r.Asm())
			}
		}
	}
	return nil
}

// variantOf returns the variant suffix of an assembly function name.
func variantOf(name string) string {
	for _, x := range isas {
		if strings.HasSuffix(name, x.name) {
			return x.name
		}
	}
	return ""
}

// union returns the sorted union of two sorted string sets.
func union(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range append(append([]string{}, a...), b...) {
		set[s] = true
	}
	return slices.Sorted(maps.Keys(set))
}
