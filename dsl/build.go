package dsl

import (
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// builder turns grammar structs into AST nodes, reporting the syntax errors
// the grammar lets through: "as" after a non-call and bad literals.
type builder struct {
	errs *ErrorList
}

func span(pos, end lexer.Position) Span { return Span{Pos: pos, EndPos: end} }

func (b *builder) stmt(g stmtG) Stmt {
	switch g := g.(type) {
	case *batchG:
		return &BatchStmt{Span: span(g.Pos, g.EndPos), Name: b.ident(g.Name), Size: b.expr(g.Size)}
	case *constG:
		return &ConstStmt{Span: span(g.Pos, g.EndPos), Name: b.ident(g.Name), Value: b.expr(g.Value)}
	case *inputG:
		return &InputStmt{Span: span(g.Pos, g.EndPos), Target: g.Kind == "target", Name: b.ident(g.Name), Type: b.tensorType(g.Type)}
	case *paramG:
		return &ParamStmt{Span: span(g.Pos, g.EndPos), Name: b.ident(g.Name), Type: b.tensorType(g.Type), Init: b.callee(g.Init)}
	case *outputG:
		s := &OutputStmt{Span: span(g.Pos, g.EndPos), Name: b.ident(g.Name)}
		if g.Value != nil {
			s.Value = b.expr(g.Value)
		}
		return s
	case *lossG:
		return &LossStmt{Span: span(g.Pos, g.EndPos), Call: b.callee(g.Call)}
	case *optimizerG:
		return &OptimizerStmt{Span: span(g.Pos, g.EndPos), Call: b.callee(g.Call)}
	case *freezeG:
		s := &FreezeStmt{Span: span(g.Pos, g.EndPos)}
		for _, n := range g.Names {
			s.Names = append(s.Names, &Ident{Span: span(n.Pos, n.EndPos), Name: strings.Join(n.Parts, ".")})
		}
		return s
	case *assignG:
		return &AssignStmt{Span: span(g.Pos, g.EndPos), Name: b.ident(g.Name), Value: b.expr(g.Value)}
	}
	panic("dsl: unknown statement")
}

func (b *builder) ident(g *identG) *Ident {
	return &Ident{Span: span(g.Pos, g.EndPos), Name: g.Name}
}

func (b *builder) identTok(t *lexer.Token) *Ident {
	return &Ident{Span: span(t.Pos, endOf(t)), Name: t.Value}
}

func (b *builder) tensorType(g *typeG) *TensorType {
	t := &TensorType{Span: span(g.Pos, g.EndPos), DType: DType(g.DType.Name)}
	for _, d := range g.Dims {
		t.Dims = append(t.Dims, b.expr(d))
	}
	return t
}

// callee builds a call that may be written without parentheses.
func (b *builder) callee(g *calleeG) *Call {
	c := &Call{Span: span(g.Pos, g.EndPos), Func: b.ident(g.Name), Stage: -1}
	if g.Args != nil {
		for _, a := range g.Args.Args {
			c.Args = append(c.Args, b.arg(a))
		}
	}
	return c
}

func (b *builder) arg(g *argG) *Arg {
	a := &Arg{Span: span(g.Pos, g.EndPos), Value: b.expr(g.First)}
	if g.Value == nil {
		return a
	}
	name, ok := a.Value.(*Ident)
	if !ok {
		b.errs.Addf(g.First.Pos, "keyword argument name must be a name, not %s", FormatExpr(a.Value))
		name = &Ident{Span: span(a.Value.Start(), a.Value.End()), Name: FormatExpr(a.Value)}
	}
	a.Name, a.Value = name, b.expr(g.Value)
	return a
}

func (b *builder) expr(g *exprG) Expr {
	x := b.sum(g.Head)
	if len(g.Stages) == 0 {
		return x
	}
	p := &Pipe{Span: span(g.Pos, g.EndPos), X: x}
	for i, s := range g.Stages {
		c := b.callee(s.Call)
		c.Stage = i
		if s.As != nil {
			c.As = b.ident(s.As.Name)
			c.EndPos = s.EndPos
		}
		p.Stages = append(p.Stages, c)
	}
	return p
}

func (b *builder) sum(g *sumG) Expr {
	x := b.term(g.Left)
	for _, op := range g.Rest {
		y := b.term(op.Right)
		x = &Binary{Span: span(x.Start(), y.End()), Op: Operator(op.Op), OpPos: op.Pos, X: x, Y: y}
	}
	return x
}

func (b *builder) term(g *termG) Expr {
	x := b.unary(g.Left)
	for _, op := range g.Rest {
		y := b.unary(op.Right)
		x = &Binary{Span: span(x.Start(), y.End()), Op: Operator(op.Op), OpPos: op.Pos, X: x, Y: y}
	}
	return x
}

func (b *builder) unary(g *unaryG) Expr {
	if g.Neg != nil {
		return &Unary{Span: span(g.Pos, g.EndPos), Op: Sub, X: b.unary(g.Neg)}
	}
	return b.power(g.Power)
}

func (b *builder) power(g *powerG) Expr {
	x := b.postfix(g.Base)
	if g.Exp == nil {
		return x
	}
	y := b.unary(g.Exp.Exp)
	return &Binary{Span: span(g.Pos, g.EndPos), Op: Pow, OpPos: g.Exp.Pos, X: x, Y: y}
}

func (b *builder) postfix(g *postfixG) Expr {
	x := b.primary(g.X)
	for _, ix := range g.Index {
		idx := &Index{Span: span(g.Pos, ix.EndPos), X: x}
		for _, s := range ix.Subs {
			idx.Indices = append(idx.Indices, b.subscript(s))
		}
		x = idx
	}
	if g.As != nil {
		if c, ok := x.(*Call); ok {
			c.As = b.ident(g.As.Name)
			c.EndPos = g.As.EndPos
		} else {
			b.errs.Addf(g.As.Pos, "\"as\" can only name a call, not %s", FormatExpr(x))
		}
	}
	return x
}

func (b *builder) subscript(g *subscriptG) Expr {
	sp := span(g.Pos, g.EndPos)
	switch {
	case g.Ellipsis:
		return &Ellipsis{Span: sp}
	case g.Lo != nil && g.LoSlice == nil:
		return b.expr(g.Lo)
	case g.Lo != nil:
		s := b.slice(g.LoSlice)
		s.Span, s.Lo = sp, b.expr(g.Lo)
		return s
	}
	s := b.slice(g.Slice)
	s.Span = sp
	return s
}

func (b *builder) slice(g *sliceG) *Slice {
	s := &Slice{}
	if g.Hi != nil {
		s.Hi = b.expr(g.Hi)
	}
	if g.Step != nil && g.Step.Step != nil {
		s.Step = b.expr(g.Step.Step)
	}
	return s
}

func (b *builder) primary(g *primaryG) Expr {
	sp := span(g.Pos, g.EndPos)
	switch {
	case g.Int != nil:
		return b.number(sp, *g.Int, true)
	case g.Float != nil:
		return b.number(sp, *g.Float, false)
	case g.String != nil:
		v, err := strconv.Unquote(*g.String)
		if err != nil {
			b.errs.Addf(g.Pos, "invalid string literal %s", *g.String)
		}
		return &String{Span: sp, Value: v}
	case g.Bool != nil:
		return &Bool{Span: sp, Value: *g.Bool == "true"}
	case g.Call != nil:
		if g.Call.Args == nil {
			return b.ident(g.Call.Name)
		}
		return b.callee(g.Call)
	case g.List != nil:
		l := &List{Span: sp}
		for _, e := range g.List.Elems {
			l.Elems = append(l.Elems, b.expr(e))
		}
		return l
	}
	return &Paren{Span: sp, X: b.expr(g.Paren)}
}

func (b *builder) number(sp Span, text string, isInt bool) *Number {
	n := &Number{Span: sp, Text: text, IsInt: isInt}
	var err error
	if isInt {
		n.Int, err = strconv.ParseInt(text, 10, 64)
		n.Float = float64(n.Int)
	} else {
		n.Float, err = strconv.ParseFloat(text, 64)
	}
	if err != nil {
		b.errs.Addf(sp.Pos, "number %s out of range", text)
	}
	return n
}
