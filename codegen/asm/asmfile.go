package asm

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
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

// buildAsm emits both variants of every spec with assembly through avo,
// allocates registers and prints the .s file and its stubs.
func buildAsm(cfg Config, specs []GEMMSpec) (*asmOutput, error) {
	c := build.NewContext()
	c.ConstraintExpr("amd64,gc,!purego")
	var masks operand.Mem
	if needsMaskTable(specs) {
		masks = maskTable(c)
	}
	for _, s := range specs {
		if !hasAsm(s) {
			continue
		}
		emitDispatcher(c, s)
		emitGEMM(c, s, isaAVX512, newAVX512(c, s.F64), s.variant(variantAVX512))
		emitGEMM(c, s, isaAVX2, newAVX2(c, s.F64, masks), s.variant(variantAVX2))
	}
	f, err := c.Result()
	if err != nil {
		return nil, err
	}
	if err := pass.Concat(pass.Compile, pass.FunctionPass(checkVEXRegisters)).Execute(f); err != nil {
		return nil, err
	}
	pc := printer.Config{Name: cfg.GeneratedBy, Pkg: cfg.Pkg}
	out := &asmOutput{isa: map[string][]string{}}
	if out.asm, err = printer.NewGoAsm(pc).Print(f); err != nil {
		return nil, err
	}
	if out.stubs, err = printer.NewStubs(pc).Print(f); err != nil {
		return nil, err
	}
	for _, fn := range f.Functions() {
		if v := variantOf(fn.Name); v != "" {
			out.isa[v] = union(out.isa[v], fn.ISA)
		}
	}
	return out, nil
}

// maskTable adds gemmMask<>, eight 32-bit words of all ones then eight of
// zeros: loading 8 words at word 8-w gives a VMASKMOVPS mask of w words.
func maskTable(c *build.Context) operand.Mem {
	m := c.StaticGlobal("gemmMask")
	c.DataAttributes(attr.RODATA | attr.NOPTR)
	for i := 0; i < 2*maskWords; i++ {
		w := uint32(0)
		if i < maskWords {
			w = 0xffffffff
		}
		c.AppendDatum(operand.U32(w))
	}
	return m
}

// needsMaskTable reports whether an AVX2 variant has a partial vector.
func needsMaskTable(specs []GEMMSpec) bool {
	for _, s := range specs {
		if !hasAsm(s) {
			continue
		}
		p := planGEMM(s, isaAVX2)
		if p.groups[len(p.groups)-1].masked(p.lanes) {
			return true
		}
	}
	return false
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
