package codegen

import (
	"math"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
)

// Small constructors that keep the kernel emitters readable.

func id(s string) *jen.Statement { return jen.Id(s) }

func lit(i int) *jen.Statement { return jen.Lit(i) }

// flit is a float literal, the shortest decimal that reads back as x.
func flit(x float64) *jen.Statement {
	switch {
	case math.IsNaN(x):
		return jen.Qual("math", "NaN").Call()
	case math.IsInf(x, 1):
		return jen.Qual("math", "Inf").Call(lit(1))
	case math.IsInf(x, -1):
		return jen.Qual("math", "Inf").Call(lit(-1))
	}
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return jen.Id(s)
}

// define renders name := value.
func define(name string, value jen.Code) *jen.Statement {
	return jen.Id(name).Op(":=").Add(value)
}

// loop renders for i := 0; i < hi; i++ { body }.
func loop(i string, hi jen.Code, body ...jen.Code) *jen.Statement {
	return loopFrom(i, lit(0), hi, body...)
}

// loopFrom renders for i := lo; i < hi; i++ { body }.
func loopFrom(i string, lo, hi jen.Code, body ...jen.Code) *jen.Statement {
	return jen.For(jen.Id(i).Op(":=").Add(lo), jen.Id(i).Op("<").Add(hi), jen.Id(i).Op("++")).Block(body...)
}

// rangeOver renders for i := range s { body }.
func rangeOver(i string, s jen.Code, body ...jen.Code) *jen.Statement {
	return jen.For(jen.Id(i).Op(":=").Range().Add(s)).Block(body...)
}

// window renders s[lo:][:length], the elements [lo, lo+length) of s as a
// slice whose length the compiler knows, so loops over it need no bounds
// checks.
func window(s string, lo lin, length jen.Code) *jen.Statement {
	if lo.isZero() {
		return jen.Id(s).Index(jen.Empty(), length)
	}
	return jen.Id(s).Index(lo.code(), jen.Empty()).Index(jen.Empty(), length)
}

// lin is an integer linear form Σ kᵢ·varᵢ + c with constant coefficients:
// every offset in a kernel has this form, since only axis 0 may have the
// runtime batch size and strides are products of the later, constant axes.
type lin struct {
	terms []term
	c     int
}

type term struct {
	v string
	k int
}

// L is the constant form c.
func L(c int) lin { return lin{c: c} }

// plus returns l + k·v.
func (l lin) plus(v string, k int) lin {
	if k == 0 {
		return l
	}
	out := lin{terms: append(append([]term(nil), l.terms...), term{v, k}), c: l.c}
	return out
}

// add returns l + c.
func (l lin) add(c int) lin {
	out := l
	out.terms = append([]term(nil), l.terms...)
	out.c += c
	return out
}

func (l lin) isZero() bool { return len(l.terms) == 0 && l.c == 0 }

// code renders the form; it is "0" when empty.
func (l lin) code() *jen.Statement {
	var s *jen.Statement
	for _, t := range l.terms {
		e := jen.Id(t.v)
		if t.k != 1 {
			e = jen.Id(t.v).Op("*").Lit(t.k)
		}
		if s == nil {
			s = e
		} else {
			s = s.Op("+").Add(e)
		}
	}
	switch {
	case s == nil:
		return lit(l.c)
	case l.c > 0:
		return s.Op("+").Lit(l.c)
	case l.c < 0:
		return s.Op("-").Lit(-l.c)
	}
	return s
}

// field renders name: value in a composite literal.
func field(name string, value jen.Code) *jen.Statement { return jen.Id(name).Op(":").Add(value) }

// lines renders {items}, one item per line.
func lines(items ...jen.Code) *jen.Statement {
	return jen.ValuesFunc(func(g *jen.Group) {
		for _, it := range items {
			g.Line().Add(it)
		}
		g.Line()
	})
}

// docComment adds text to f as // comment lines wrapped at 100 columns.
func docComment(f *jen.File, text string) {
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > 97 {
			f.Comment(line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		f.Comment(line)
	}
}
