package asm

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
)

// cpuPkg provides the CPU feature flags the dispatch reads at init.
const cpuPkg = "golang.org/x/sys/cpu"

// cpuFlags maps avo's ISA extension names to golang.org/x/sys/cpu.X86
// fields. Extensions every amd64 CPU has map to "".
var cpuFlags = map[string]string{
	"SSE": "", "SSE2": "", "CMOV": "",
	"AVX": "HasAVX", "AVX2": "HasAVX2", "FMA3": "HasFMA",
	"AVX512F": "HasAVX512F", "AVX512DQ": "HasAVX512DQ",
	"AVX512BW": "HasAVX512BW", "AVX512VL": "HasAVX512VL",
}

// emitDispatcher adds the exported routine name in assembly: it jumps to
// the AVX-512 variant, else the AVX2 one, else the Go twin, as the flags
// set at init say. The variants share its arguments, so a tail jump
// forwards them: a call costs one well-predicted branch more than calling
// a variant directly, while a Go wrapper could not be inlined (three calls)
// and would add a call. variant names the implementations; flags are the
// names of the flags that select each of isas (the GEMMs' own when nil:
// each kernel family has its flags, set at init and cleared by tests).
func emitDispatcher(c *build.Context, name, signature string, doc []string, variant func(suffix string) string, flags []string) {
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(signature)
	c.Pragma("noescape")
	c.Doc(doc...)
	for i, x := range isas {
		flag := x.flag
		if flags != nil {
			flag = flags[i]
		}
		c.CMPB(operand.NewDataAddr(operand.Symbol{Name: "·" + flag}, 0), operand.U8(0))
		c.JNE(operand.LabelRef(strings.ToLower(x.name))) // if useX: goto x
	}
	tailJump(c, variant(variantGeneric))
	for _, x := range isas {
		c.Label(strings.ToLower(x.name))
		tailJump(c, variant(x.name))
	}
}

// tailJump adds "JMP ·name(SB)". avo's control-flow pass only knows jumps
// to labels, so the jump is marked terminal, like RET.
func tailJump(c *build.Context, name string) {
	c.Instruction(&ir.Instruction{
		Opcode:     "JMP",
		Operands:   []operand.Op{operand.NewDataAddr(operand.Symbol{Name: "·" + name}, 0)},
		IsTerminal: true,
	})
}

// renderDispatch returns the amd64 Go file of the dispatch: the flags
// that select the variants, set at init from the ISA extensions the
// assembly uses (tests may clear them to force a slower variant), and the
// wrappers of kernels without assembly.
func renderDispatch(cfg Config, specs []GEMMSpec, isa map[string][]string) ([]byte, error) {
	f := newGoFile(cfg, goTag)
	var flags []jen.Code
	for _, x := range isas {
		cond, err := cpuCondition(isa[x.name])
		if err != nil {
			return nil, err
		}
		flags = append(flags, jen.Id(x.flag).Op("=").Add(cond))
	}
	f.Comment("The variant the kernels jump to, fixed at init; tests clear them to force the next.")
	f.Var().Defs(flags...)
	for _, s := range specs {
		if !hasAsm(s) {
			goWrapper(f, s)
		}
	}
	return render(f)
}

// goWrapper adds s.Name calling the Go twin.
func goWrapper(f *jen.File, s GEMMSpec) {
	for _, l := range wrapperDoc(s) {
		f.Comment(l)
	}
	f.Func().Id(s.Name).Params(gemmParams(s)...).Block(callVariant(s, variantGeneric))
}

// renderPureGo returns the wrappers for builds without assembly; with
// untagged, for a Unit without any assembly, they carry no build tag.
func renderPureGo(cfg Config, specs []GEMMSpec, untagged bool) ([]byte, error) {
	tag := "!amd64 || !gc || purego"
	if untagged {
		tag = ""
	}
	f := newGoFile(cfg, tag)
	for _, s := range specs {
		goWrapper(f, s)
		if hasAsmPack(s) {
			for _, l := range packDoc(s) {
				f.Comment(l)
			}
			f.Func().Id(s.packName()).Params(jen.List(jen.Id("bp"), jen.Id("b")).Index().Id(s.elem())).Block(
				jen.Id(s.packVariant(variantGeneric)).Call(jen.Id("bp"), jen.Id("b")))
		}
	}
	return render(f)
}

// cpuCondition returns the conjunction of cpu.X86 flags for exts.
func cpuCondition(exts []string) (jen.Code, error) {
	var cond *jen.Statement
	for _, e := range exts {
		flag, ok := cpuFlags[e]
		if !ok {
			return nil, fmt.Errorf("asm: no cpu flag for ISA extension %s", e)
		}
		if flag == "" {
			continue
		}
		x := jen.Qual(cpuPkg, "X86").Dot(flag)
		if cond == nil {
			cond = x
		} else {
			cond = cond.Op("&&").Add(x)
		}
	}
	if cond == nil {
		return jen.True(), nil
	}
	return cond, nil
}

// callVariant returns the call of s's variant with the wrapper's arguments.
func callVariant(s GEMMSpec, suffix string) jen.Code {
	var args []jen.Code
	for _, a := range s.args() {
		args = append(args, jen.Id(a))
	}
	return jen.Id(s.variant(suffix)).Call(args...)
}

// wrapperDoc returns the doc comment lines of s's exported kernel.
func wrapperDoc(s GEMMSpec) []string {
	ls := []string{s.Name + " " + summary(s) + " It is", ""}
	for _, l := range referenceLoop(s) {
		ls = append(ls, "\t"+l)
	}
	ls = append(append(ls, ""), preconditions(s)...)
	if s.Source != "" {
		ls = append(ls, "", "Source: "+s.Source)
	}
	return ls
}

// summary describes s in one sentence.
func summary(s GEMMSpec) string {
	a, b := "a", "b"
	if s.TransA {
		a = "aᵀ"
	}
	if !s.readsPackedB() {
		b = "bᵀ"
	}
	op := a + "·" + b
	if s.Accumulate {
		op = "c + " + op
	}
	if s.Bias {
		op += " + bias"
	}
	if s.Relu {
		op = "relu(" + op + ")"
	}
	return "sets c = " + op + " for m rows."
}

// preconditions returns the caller's obligations, one line each.
func preconditions(s GEMMSpec) []string {
	aShape := fmt.Sprintf("[m,%d]", s.K)
	if s.TransA {
		aShape = fmt.Sprintf("[%d,m]", s.K)
	}
	bShape := fmt.Sprintf("[%d,%d]", s.K, s.N)
	if !s.readsPackedB() {
		bShape = fmt.Sprintf("[%d,%d]", s.N, s.K)
	}
	ls := []string{fmt.Sprintf("The caller guarantees m ≥ 0 and a %s, b %s, c [m,%d] in row-major order", aShape, bShape, s.N)}
	if s.Bias {
		ls = append(ls, fmt.Sprintf("(len(a) ≥ m*%d, len(b) ≥ %d, len(c) ≥ m*%d, len(bias) ≥ %d), c overlapping no other argument.", s.K, s.K*s.N, s.N, s.N))
	} else {
		ls = append(ls, fmt.Sprintf("(len(a) ≥ m*%d, len(b) ≥ %d, len(c) ≥ m*%d), c overlapping no other argument.", s.K, s.K*s.N, s.N))
	}
	if s.PackedB {
		ls = append(ls, fmt.Sprintf("b is Bᵀ as packed by %s from B [%d,%d].", s.packName(), s.N, s.K))
	}
	return ls
}

// newGoFile starts a generated Go file with the standard header and an
// optional build constraint.
func newGoFile(cfg Config, tag string) *jen.File {
	f := jen.NewFile(cfg.Pkg)
	f.ImportName(cpuPkg, "cpu")
	header := fmt.Sprintf("// Code generated by %s. DO NOT EDIT.", cfg.GeneratedBy)
	if tag != "" {
		header += "\n\n//go:build " + tag
	}
	f.HeaderComment(header)
	return f
}

// render formats f.
func render(f *jen.File) ([]byte, error) {
	var b bytes.Buffer
	if err := f.Render(&b); err != nil {
		return nil, fmt.Errorf("asm: render Go: %w", err)
	}
	return bytes.TrimLeft(b.Bytes(), "\n"), nil
}
