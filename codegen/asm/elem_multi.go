package asm

import (
	"fmt"
	"strconv"
	"strings"
)

// A MultiSpec is an elementwise kernel with several outputs and float32
// scalar arguments, such as an optimizer step:
//
//	func Name(a0, ..., a{Slices-1} []float32, c0, ..., c{Scalars-1} float32)
//
// For every i < len(a0) it evaluates each Outs[j].Expr on the values the
// slices hold at i on entry (arguments "arg", scalars "scalar"), then stores
// them: a{Outs[j].Slice}[i] = value. Subexpressions shared by several
// outputs are computed once, so an output can use another's new value by
// repeating its expression. The caller guarantees len(ak) ≥ len(a0) and
// that the slices do not overlap. The variants compute every operation as
// the twin does (no contraction into FMAs), so they agree with it bit for
// bit except for NaN operands of max (the twin propagates NaN, the
// assembly returns the first operand) and the transcendental functions
// (a few ulp, as for ElemSpec).
type MultiSpec struct {
	Name    string
	Slices  int
	Scalars int
	Outs    []MultiOut
	Doc     []string // the reference loop, for the doc comment
	Source  string
	// FlushSubnormals runs the assembly variants with MXCSR's FTZ and DAZ
	// bits set (restored on return): subnormal operands read as zero and
	// subnormal results are stored as zero. An optimizer's state decays
	// into that range wherever gradients stay zero (dead units), and each
	// subnormal operation takes a microcode assist: LeNet's SGD update went
	// from 18 to 90 µs as thousands of momentum entries crossed it. The Go
	// twin keeps IEEE arithmetic, so the two differ only by values below
	// 2⁻¹²⁶ in magnitude.
	FlushSubnormals bool
	// PrefetchWrite lists slices whose cache lines the assembly requests
	// for writing (PREFETCHW) prefetchAhead bytes ahead of the loop. A
	// split train step's halves both read the parameters, so each of
	// their lines is shared by two cores when the update writes it: on
	// this machine each write then waited for the other core's copy to be
	// invalidated, and LeNet's update on two threads took 70-90 µs of
	// thread time instead of 17-20 µs.
	PrefetchWrite []int
}

// A MultiOut is one output of a MultiSpec.
type MultiOut struct {
	Slice int
	Expr  *ElemExpr
}

func (s MultiSpec) slices() []string {
	ps := make([]string, s.Slices)
	for i := range ps {
		ps[i] = "a" + strconv.Itoa(i)
	}
	return ps
}

func (s MultiSpec) scalars() []string {
	ps := make([]string, s.Scalars)
	for i := range ps {
		ps[i] = "c" + strconv.Itoa(i)
	}
	return ps
}

func (s MultiSpec) goParams() string {
	p := strings.Join(s.slices(), ", ") + " []float32"
	if s.Scalars > 0 {
		p += ", " + strings.Join(s.scalars(), ", ") + " float32"
	}
	return p
}

func (s MultiSpec) signature() string { return "func(" + s.goParams() + ")" }

func (s MultiSpec) variant(suffix string) string {
	return strings.ToLower(s.Name[:1]) + s.Name[1:] + suffix
}

func (s MultiSpec) call(suffix string) string {
	return s.variant(suffix) + "(" + strings.Join(append(s.slices(), s.scalars()...), ", ") + ")"
}

// multiSupported reports whether e is made of elementwise operations,
// arguments below slices and scalars below scalars.
func multiSupported(e *ElemExpr, slices, scalars int) bool {
	switch e.Op {
	case "arg":
		return e.Arg >= 0 && e.Arg < slices
	case "scalar":
		return e.Arg >= 0 && e.Arg < scalars
	case "lit":
		return true
	}
	n, ok := elemArity[e.Op]
	if !ok || n != len(e.Args) {
		return false
	}
	for _, a := range e.Args {
		if !multiSupported(a, slices, scalars) {
			return false
		}
	}
	return true
}

func (s MultiSpec) validate(seen map[string]bool) error {
	if s.Name == "" || s.Slices < 1 || len(s.Outs) == 0 {
		return fmt.Errorf("elem: multi-output spec without name, slices or outputs")
	}
	stored := map[int]bool{}
	for _, o := range s.Outs {
		if o.Expr == nil || !multiSupported(o.Expr, s.Slices, s.Scalars) {
			return fmt.Errorf("elem %s: unsupported expression %v", s.Name, o.Expr)
		}
		if o.Slice < 0 || o.Slice >= s.Slices || stored[o.Slice] {
			return fmt.Errorf("elem %s: output slice a%d out of range or stored twice", s.Name, o.Slice)
		}
		stored[o.Slice] = true
	}
	for _, n := range []string{s.Name, s.variant(variantAVX512), s.variant(variantAVX2), s.variant(variantGeneric)} {
		if seen[n] || n == elemFlagAVX512 || n == elemFlagAVX2 {
			return fmt.Errorf("elem %s: name %s used twice", s.Name, n)
		}
		seen[n] = true
	}
	return nil
}

func (s MultiSpec) uses(op string) bool {
	for _, o := range s.Outs {
		if o.Expr.uses(op) {
			return true
		}
	}
	return false
}

// multiDoc is the doc comment of a multi-output kernel.
func multiDoc(s MultiSpec) []string {
	ls := []string{s.Name + " updates " + strings.Join(s.slices(), ", ") + " elementwise. It is", "", "\tfor i := range a0 {"}
	for _, o := range s.Outs {
		ls = append(ls, fmt.Sprintf("\t\ta%d[i] = %s", o.Slice, o.Expr))
	}
	ls = append(ls, "\t}", "", "with every right-hand side evaluated on the values at i on entry. The caller",
		"guarantees len(ak) ≥ len(a0) and that the slices do not overlap.")
	if len(s.Doc) > 0 {
		ls = append(append(ls, ""), s.Doc...)
	}
	if s.FlushSubnormals {
		ls = append(ls, "", "The assembly variants flush subnormal operands and results to zero (MXCSR's",
			"FTZ and DAZ); the Go twin does not.")
	}
	if s.Source != "" {
		ls = append(ls, "", "Source: "+s.Source)
	}
	return ls
}

// renderMultiGeneric writes the Go twin of s.
func renderMultiGeneric(b *strings.Builder, s MultiSpec) {
	name := s.variant(variantGeneric)
	fmt.Fprintf(b, "// %s is %s in Go.\n", name, s.Name)
	fmt.Fprintf(b, "func %s(%s) {\n", name, s.goParams())
	for i := 1; i < s.Slices; i++ {
		fmt.Fprintf(b, "\ta%d = a%d[:len(a0)]\n", i, i)
	}
	b.WriteString("\tfor i := range a0 {\n")
	temps := map[string]string{}
	var stmts, res []string
	for _, o := range s.Outs {
		r := goExpr(o.Expr, temps, &stmts)
		if strings.HasSuffix(r, "[i]") { // an argument: read it before any store
			t := "t" + strconv.Itoa(len(temps))
			temps[t] = t
			stmts = append(stmts, t+" := "+r)
			r = t
		}
		res = append(res, r)
	}
	for _, st := range stmts {
		b.WriteString("\t\t" + st + "\n")
	}
	for j, o := range s.Outs {
		fmt.Fprintf(b, "\t\ta%d[i] = %s\n", o.Slice, res[j])
	}
	b.WriteString("\t}\n}\n\n")
}
