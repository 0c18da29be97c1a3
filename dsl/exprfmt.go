package dsl

import (
	"strconv"
	"strings"
)

// FormatExpr returns e in canonical form on one line, adding parentheses
// where a hand-built tree needs them to read back the same.
func FormatExpr(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

// Precedence levels, lowest first.
const (
	precPipe = iota + 1
	precSum
	precTerm
	precUnary
	precPower
	precPostfix
)

func precedence(e Expr) int {
	switch e := e.(type) {
	case *Pipe:
		return precPipe
	case *Unary:
		return precUnary
	case *Binary:
		switch e.Op {
		case Add, Sub:
			return precSum
		case Pow:
			return precPower
		}
		return precTerm
	}
	return precPostfix
}

// writeOperand writes e, in parentheses if it binds looser than min.
func writeOperand(b *strings.Builder, e Expr, min int) {
	if precedence(e) < min {
		b.WriteByte('(')
		writeExpr(b, e)
		b.WriteByte(')')
		return
	}
	writeExpr(b, e)
}

func writeExpr(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case *Ident:
		b.WriteString(e.Name)
	case *Number:
		b.WriteString(e.Text)
	case *String:
		b.WriteString(strconv.Quote(e.Value))
	case *Bool:
		b.WriteString(strconv.FormatBool(e.Value))
	case *List:
		b.WriteByte('[')
		writeList(b, e.Elems)
		b.WriteByte(']')
	case *Paren:
		b.WriteByte('(')
		writeExpr(b, e.X)
		b.WriteByte(')')
	case *Unary:
		b.WriteString(string(e.Op))
		writeOperand(b, e.X, precUnary)
	case *Binary:
		writeBinary(b, e)
	case *Call:
		writeCall(b, e, false)
	case *Index:
		if c, ok := e.X.(*Call); ok && c.As != nil {
			writeOperand(b, e.X, precPostfix+1) // (f(x) as y)[0]
		} else {
			writeOperand(b, e.X, precPostfix)
		}
		b.WriteByte('[')
		writeList(b, e.Indices)
		b.WriteByte(']')
	case *Slice:
		writeSlice(b, e)
	case *Ellipsis:
		b.WriteString("...")
	case *Pipe:
		writeOperand(b, e.X, precSum)
		for _, s := range e.Stages {
			b.WriteString(" |> ")
			writeCall(b, s, true)
		}
	}
}

func writeBinary(b *strings.Builder, e *Binary) {
	p := precedence(e)
	left, right := p, p+1 // left associative
	if e.Op == Pow {
		left, right = precPostfix, precUnary // right associative, -x allowed
	}
	writeOperand(b, e.X, left)
	b.WriteString(" " + string(e.Op) + " ")
	writeOperand(b, e.Y, right)
}

func writeList(b *strings.Builder, es []Expr) {
	for i, x := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		writeExpr(b, x)
	}
}

func writeSlice(b *strings.Builder, s *Slice) {
	if s.Lo != nil {
		writeExpr(b, s.Lo)
	}
	b.WriteByte(':')
	if s.Hi != nil {
		writeExpr(b, s.Hi)
	}
	if s.Step != nil {
		b.WriteByte(':')
		writeExpr(b, s.Step)
	}
}

// writeCall writes c; if bare, a call without arguments is written as its
// name alone, as in pipe stages, initializers and optimizers.
func writeCall(b *strings.Builder, c *Call, bare bool) {
	b.WriteString(c.Func.Name)
	if !bare || len(c.Args) > 0 {
		b.WriteByte('(')
		for i, a := range c.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			if a.Name != nil {
				b.WriteString(a.Name.Name + "=")
			}
			writeExpr(b, a.Value)
		}
		b.WriteByte(')')
	}
	if c.As != nil {
		b.WriteString(" as " + c.As.Name)
	}
}
