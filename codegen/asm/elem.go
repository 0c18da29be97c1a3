package asm

import (
	"fmt"
	"strconv"
	"strings"
)

// Elementwise kernels (ElemSpec): dst[i] = f(a0[i], a1[i], ...) over
// contiguous float32 slices of one length, f an ElemExpr. Each kernel gets
// an AVX-512 variant (16 lanes, a k-mask tail, VSCALEFPS in exp), an
// AVX2+FMA variant (8 lanes, a VMASKMOVPS tail, VEX registers only) and a
// Go twin, the kernel's specification; the dispatch picks one at init from
// golang.org/x/sys/cpu, as for the GEMM kernels, with its own flags
// (elemAVX512, elemAVX2). The transcendental functions use one algorithm
// on every path (see elem_math.go): the variants agree with the twin to a
// few ulp, not bit for bit (FMA against separate rounding).

// An ElemExpr is an elementwise float32 expression: an operation on
// subexpressions, an argument ("arg", Arg) or a literal ("lit", Value).
type ElemExpr struct {
	Op    string
	Args  []*ElemExpr
	Arg   int
	Value float64
}

// elemArity gives the operations ElemExpr supports and their arity.
var elemArity = map[string]int{
	"add": 2, "sub": 2, "mul": 2, "div": 2,
	"neg": 1, "square": 1, "recip": 1, "relu": 1, "relu_grad": 2,
	"exp": 1, "sigmoid": 1, "tanh": 1, "sigmoid_grad": 2, "tanh_grad": 2,
	"sqrt": 1, "max": 2,
}

// ElemSupported reports whether e is made only of operations the
// elementwise kernels implement.
func ElemSupported(e *ElemExpr) bool {
	switch e.Op {
	case "arg":
		return e.Arg >= 0
	case "lit":
		return true
	}
	n, ok := elemArity[e.Op]
	if !ok || n != len(e.Args) {
		return false
	}
	for _, a := range e.Args {
		if !ElemSupported(a) {
			return false
		}
	}
	return true
}

// String renders e as op(args), a0 for argument 0, literals in Go syntax.
func (e *ElemExpr) String() string {
	switch e.Op {
	case "arg":
		return "a" + strconv.Itoa(e.Arg)
	case "lit":
		return strconv.FormatFloat(float64(float32(e.Value)), 'g', -1, 32)
	case "scalar":
		return "c" + strconv.Itoa(e.Arg)
	}
	var b strings.Builder
	b.WriteString(e.Op + "(")
	for i, a := range e.Args {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(a.String())
	}
	b.WriteByte(')')
	return b.String()
}

// An ElemSpec is one elementwise kernel: func Name(dst, a0, ..., a{Args-1}
// []float32) sets dst[i] = Expr(a0[i], ...) for i < len(dst). The caller
// guarantees len(ai) ≥ len(dst); dst may be one of the arguments (the same
// slice) but must not overlap one otherwise.
//
// With Rows, the kernel walks rows of strided matrices instead:
// func Name(rows, cols int, dst []float32, ds int, a0 []float32, s0 int,
// ...) sets dst[r*ds+j] = Expr(a0[r*s0+j], ...) for r < rows, j < cols
// (rows ≥ 1 or nothing is read; each slice holds (rows-1)*stride + cols
// elements): one call for the rows of slice views.
type ElemSpec struct {
	Name   string
	Args   int
	Expr   *ElemExpr
	Rows   bool
	Source string // shown in the doc comment
}

// slices names the slice parameters: dst, a0, a1, ...
func (s ElemSpec) slices() []string {
	ps := []string{"dst"}
	for i := 0; i < s.Args; i++ {
		ps = append(ps, "a"+strconv.Itoa(i))
	}
	return ps
}

// strideOf names the stride parameter of slice parameter p.
func strideOf(p string) string {
	if p == "dst" {
		return "ds"
	}
	return "s" + p[1:]
}

// params names all parameters in order.
func (s ElemSpec) params() []string {
	if !s.Rows {
		return s.slices()
	}
	ps := []string{"rows", "cols"}
	for _, p := range s.slices() {
		ps = append(ps, p, strideOf(p))
	}
	return ps
}

// goParams renders the parameter list.
func (s ElemSpec) goParams() string {
	if !s.Rows {
		return strings.Join(s.slices(), ", ") + " []float32"
	}
	ps := []string{"rows, cols int"}
	for _, p := range s.slices() {
		ps = append(ps, p+" []float32", strideOf(p)+" int")
	}
	return strings.Join(ps, ", ")
}

func (s ElemSpec) signature() string { return "func(" + s.goParams() + ")" }

func (s ElemSpec) variant(suffix string) string {
	return strings.ToLower(s.Name[:1]) + s.Name[1:] + suffix
}

// Flags of the elementwise dispatch.
const (
	elemFlagAVX512 = "elemAVX512"
	elemFlagAVX2   = "elemAVX2"
)

// elemFlags are the elementwise kernels' flags, in isas order.
var elemFlags = []string{elemFlagAVX512, elemFlagAVX2}

func (s ElemSpec) validate(seen map[string]bool) error {
	if s.Name == "" || s.Expr == nil {
		return fmt.Errorf("elem: spec without name or expression")
	}
	if !ElemSupported(s.Expr) {
		return fmt.Errorf("elem %s: unsupported expression %s", s.Name, s.Expr)
	}
	var maxArg func(e *ElemExpr) int
	maxArg = func(e *ElemExpr) int {
		m := -1
		if e.Op == "arg" {
			m = e.Arg
		}
		for _, a := range e.Args {
			m = max(m, maxArg(a))
		}
		return m
	}
	if m := maxArg(s.Expr); m >= s.Args {
		return fmt.Errorf("elem %s: expression reads a%d of %d arguments", s.Name, m, s.Args)
	}
	for _, n := range []string{s.Name, s.variant(variantAVX512), s.variant(variantAVX2), s.variant(variantGeneric)} {
		if seen[n] || n == elemFlagAVX512 || n == elemFlagAVX2 {
			return fmt.Errorf("elem %s: name %s used twice", s.Name, n)
		}
		seen[n] = true
	}
	return nil
}

// uses reports whether e contains op.
func (e *ElemExpr) uses(op string) bool {
	if e.Op == op {
		return true
	}
	for _, a := range e.Args {
		if a.uses(op) {
			return true
		}
	}
	return false
}

// GenerateElem returns the elementwise kernels of specs, and in the Go
// twins' file the float32 math helpers (ElemHelpers) named in helpers
// besides those the twins call, for other code of the package to use.
// Files are named as for Generate, with base "zelem" typically.
func (cfg Config) GenerateElem(specs []ElemSpec, helpers []string) (*Unit, error) {
	return cfg.GenerateElemMulti(specs, nil, helpers)
}

// GenerateElemMulti is GenerateElem with multi-output kernels (MultiSpec)
// besides, in the same files and dispatch.
func (cfg Config) GenerateElemMulti(specs []ElemSpec, multis []MultiSpec, helpers []string) (*Unit, error) {
	if cfg.GeneratedBy == "" {
		cfg.GeneratedBy = "dlc"
	}
	seen := map[string]bool{}
	for _, s := range specs {
		if err := s.validate(seen); err != nil {
			return nil, err
		}
	}
	for _, s := range multis {
		if err := s.validate(seen); err != nil {
			return nil, err
		}
	}
	u := &Unit{}
	var err error
	if len(specs)+len(multis) > 0 {
		var asmOK []bool
		if u.Asm, u.Stubs, asmOK, err = buildElemAsm(cfg, specs, multis); err != nil {
			return nil, fmt.Errorf("asm: %w", err)
		}
		if u.Dispatch, err = renderElemDispatch(cfg, specs, multis, asmOK); err != nil {
			return nil, err
		}
		if u.PureGo, err = renderElemPureGo(cfg, specs, multis); err != nil {
			return nil, err
		}
	}
	if u.Generic, err = renderElemGeneric(cfg, specs, multis, helpers); err != nil {
		return nil, err
	}
	return u, nil
}
