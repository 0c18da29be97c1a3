package ir

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Expr is a scalar expression over the arguments of a fused op or of a
// product's epilogue: the program of one fused loop body. A leaf is an
// argument (Arg ≥ 0, written a0, a1, ...) or a literal (Op == OpInvalid,
// Arg < 0); an inner node applies an elementwise op to its Args, with the
// op's numeric attributes:
//
//	relu_grad(add(a0,a1),a2)     scale{value=0.5}(a0)     mul(a0,-1.5)
type Expr struct {
	Op    Op
	Attrs Attrs
	Args  []*Expr
	Arg   int
	Value float64
}

// ArgExpr is the leaf reading argument i.
func ArgExpr(i int) *Expr { return &Expr{Arg: i} }

// LitExpr is the literal leaf x.
func LitExpr(x float64) *Expr { return &Expr{Arg: -1, Value: x} }

// IsArg and IsLit classify leaves.
func (e *Expr) IsArg() bool { return e.Op == OpInvalid && e.Arg >= 0 }
func (e *Expr) IsLit() bool { return e.Op == OpInvalid && e.Arg < 0 }

// Eval computes the expression on one element, x holding the arguments.
func (e *Expr) Eval(x []float64) float64 {
	switch {
	case e.IsArg():
		return x[e.Arg]
	case e.IsLit():
		return e.Value
	}
	var buf [4]float64
	vals := buf[:0]
	for _, a := range e.Args {
		vals = append(vals, a.Eval(x))
	}
	return e.Op.Scalar(vals, e.Attrs)
}

// Size counts the nodes of e.
func (e *Expr) Size() int {
	n := 1
	for _, a := range e.Args {
		n += a.Size()
	}
	return n
}

// MaxArg is the largest argument index e reads, -1 for none.
func (e *Expr) MaxArg() int {
	m := -1
	if e.IsArg() {
		m = e.Arg
	}
	for _, a := range e.Args {
		m = max(m, a.MaxArg())
	}
	return m
}

// Map returns a copy of e with every argument leaf replaced by f(index).
func (e *Expr) Map(f func(i int) *Expr) *Expr {
	if e.IsArg() {
		return f(e.Arg)
	}
	c := *e
	c.Args = make([]*Expr, len(e.Args))
	for i, a := range e.Args {
		c.Args[i] = a.Map(f)
	}
	return &c
}

func (e *Expr) String() string {
	var b strings.Builder
	e.write(&b)
	return b.String()
}

func (e *Expr) write(b *strings.Builder) {
	switch {
	case e.IsArg():
		fmt.Fprintf(b, "a%d", e.Arg)
		return
	case e.IsLit():
		b.WriteString(FormatFloat(e.Value))
		return
	}
	b.WriteString(e.Op.String())
	b.WriteString(e.Attrs.String())
	b.WriteByte('(')
	for i, a := range e.Args {
		if i > 0 {
			b.WriteByte(',')
		}
		a.write(b)
	}
	b.WriteByte(')')
}

var exprCache sync.Map // string -> *Expr

// ParseExpr parses the text form of an Expr. Results are cached and shared:
// callers must not modify them.
func ParseExpr(s string) (*Expr, error) {
	if e, ok := exprCache.Load(s); ok {
		return e.(*Expr), nil
	}
	p := &exprParser{s: s}
	e, err := p.expr()
	if err == nil && p.i != len(s) {
		err = p.errorf("unexpected %q", s[p.i:])
	}
	if err != nil {
		return nil, fmt.Errorf("expression %q: %v", s, err)
	}
	exprCache.Store(s, e)
	return e, nil
}

type exprParser struct {
	s string
	i int
}

func (p *exprParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at %d: "+format, append([]any{p.i}, args...)...)
}

func (p *exprParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *exprParser) token(ok func(c byte) bool) string {
	start := p.i
	for p.i < len(p.s) && ok(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func isNameByte(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isNumByte(c byte) bool  { return strings.IndexByte("0123456789.eE+-InfNa", c) >= 0 }

func (p *exprParser) expr() (*Expr, error) {
	if p.i < len(p.s) && !(p.s[p.i] >= 'a' && p.s[p.i] <= 'z') {
		tok := p.token(isNumByte)
		x, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return nil, p.errorf("bad literal %q", tok)
		}
		return LitExpr(x), nil
	}
	name := p.token(isNameByte)
	if n, err := strconv.Atoi(strings.TrimPrefix(name, "a")); err == nil && strings.HasPrefix(name, "a") {
		return ArgExpr(n), nil
	}
	op, ok := OpByName(name)
	if !ok || !op.IsElementwise() || op == OpFused {
		return nil, p.errorf("%q is no elementwise op", name)
	}
	e := &Expr{Op: op, Arg: -1}
	if p.eat('{') {
		e.Attrs = Attrs{}
		for !p.eat('}') {
			key := p.token(isNameByte)
			if !p.eat('=') {
				return nil, p.errorf("want = after %q", key)
			}
			x, err := strconv.ParseFloat(p.token(isNumByte), 64)
			if err != nil {
				return nil, p.errorf("bad attribute %s", key)
			}
			e.Attrs[key] = x
			p.eat(',')
			p.eat(' ')
		}
	}
	if !p.eat('(') {
		return nil, p.errorf("want ( after %s", name)
	}
	for !p.eat(')') {
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		e.Args = append(e.Args, a)
		p.eat(',')
		if p.i >= len(p.s) {
			return nil, p.errorf("unclosed (")
		}
	}
	if len(e.Args) != op.Arity() {
		return nil, p.errorf("%s takes %d arguments, got %d", name, op.Arity(), len(e.Args))
	}
	return e, nil
}

// fusedScalar is OpFused's scalar definition: its expression on x.
func fusedScalar(x []float64, a Attrs) float64 {
	e, err := ParseExpr(a.Str("expr"))
	if err != nil {
		panic(err) // Verify rejects such values
	}
	return e.Eval(x)
}

func inferFused(v *Value) (Type, error) {
	e, err := ParseExpr(v.Attrs.Str("expr"))
	if err != nil {
		return Type{}, err
	}
	if e.MaxArg() >= len(v.Args) {
		return Type{}, fmt.Errorf("fused: expression reads a%d of %d arguments", e.MaxArg(), len(v.Args))
	}
	return inferElementwise(v)
}

// epilogueOps are the products (and the gradient kernels that write
// each output element once) that may carry an epilogue: an Expr in
// attribute "epilogue" applied to each element of the product as it is
// stored, a0 being the product and a1, a2, ... the value's arguments after
// the op's own (a bias row, a residual) read with broadcasting.
var epilogueOps = map[Op]bool{OpMatMul: true, OpConv2d: true, OpConv2dGradInput: true, OpMaxPool2dGrad: true, OpMaxPool2dGradIdx: true}

// CanHaveEpilogue reports whether op accepts an epilogue attribute.
func CanHaveEpilogue(op Op) bool { return epilogueOps[op] }

// Epilogue returns v's epilogue and its extra arguments, or nil.
func Epilogue(v *Value) (*Expr, []*Value) {
	s := v.Attrs.Str("epilogue")
	if s == "" || !epilogueOps[v.Op] {
		return nil, nil
	}
	e, err := ParseExpr(s)
	if err != nil {
		return nil, nil
	}
	return e, v.Args[v.Op.Arity():]
}

// inferWithEpilogue types a product with an epilogue: the product's own
// rule on its own arguments, each extra argument broadcasting to the result.
func inferWithEpilogue(v *Value) (Type, error) {
	info := opTable[v.Op]
	e, err := ParseExpr(v.Attrs.Str("epilogue"))
	if err != nil {
		return Type{}, err
	}
	if len(v.Args) < info.arity {
		return Type{}, fmt.Errorf("%s takes %d arguments before its epilogue's, got %d", info.name, info.arity, len(v.Args))
	}
	base := *v
	base.Args = v.Args[:info.arity]
	t, err := info.infer(&base)
	if err != nil {
		return Type{}, err
	}
	extra := v.Args[info.arity:]
	if e.MaxArg() > len(extra) {
		return Type{}, fmt.Errorf("%s: epilogue reads a%d of %d extra arguments", info.name, e.MaxArg(), len(extra))
	}
	for _, a := range extra {
		if a.Type.DType != t.DType {
			return Type{}, fmt.Errorf("%s: epilogue operand %v differs from %v", info.name, a.Type, t)
		}
		if s, err := BroadcastShapes(t.Shape, a.Type.Shape); err != nil || !s.Equal(t.Shape) {
			return Type{}, fmt.Errorf("%s: epilogue operand %v does not broadcast to %v", info.name, a.Type, t)
		}
	}
	return t, nil
}

// HasEpilogue reports whether v is a product with an epilogue.
func HasEpilogue(v *Value) bool {
	e, _ := Epilogue(v)
	return e != nil
}
