package passes

import (
	"fmt"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/dlc-lang/dlc/dsl"
	"github.com/dlc-lang/dlc/ir"
)

// expr lowers an expression appearing outside any naming context.
func (l *lowerer) expr(e dsl.Expr) (value, bool) { return l.exprNamed(e, "") }

// exprNamed lowers e; name is the assignment target, which names the
// layer of an outermost call and prefixes the layers of a pipe.
func (l *lowerer) exprNamed(e dsl.Expr, name string) (value, bool) {
	switch e := e.(type) {
	case *dsl.Paren:
		return l.exprNamed(e.X, name)
	case *dsl.Number, *dsl.String, *dsl.Bool:
		return l.constExpr(e)
	case *dsl.List:
		out := value{kind: kList}
		for _, x := range e.Elems {
			v, ok := l.expr(x)
			if !ok {
				return value{}, false
			}
			out.list = append(out.list, v)
		}
		return out, true
	case *dsl.Ident:
		return l.ident(e)
	case *dsl.Unary:
		x, ok := l.expr(e.X)
		if !ok {
			return value{}, false
		}
		if x.kind == kNumber {
			return numVal(-x.num, x.isInt), true
		}
		if x.kind != kTensor {
			l.errorf(e.Pos, "cannot negate %s", x.describe())
			return value{}, false
		}
		return l.op(e.Pos, ir.OpNeg, nil, x.t)
	case *dsl.Binary:
		return l.binary(e)
	case *dsl.Call:
		return l.call(e, nil, name)
	case *dsl.Pipe:
		v, ok := l.expr(e.X)
		for _, st := range e.Stages {
			if !ok {
				return value{}, false
			}
			stageName := ""
			if name != "" {
				stageName = fmt.Sprintf("%s.%d", name, st.Stage)
			}
			in := v
			v, ok = l.call(st, &in, stageName)
		}
		return v, ok
	case *dsl.Index:
		return l.index(e)
	}
	l.errorf(e.Start(), "unexpected expression")
	return value{}, false
}

func (l *lowerer) ident(id *dsl.Ident) (value, bool) {
	if v, ok := l.scope[id.Name]; ok {
		return v, true
	}
	if v, ok := l.consts[id.Name]; ok {
		return v, true
	}
	if id.Name == l.batchSym {
		l.errorf(id.Pos, "the batch dimension %s can only appear in shapes", id.Name)
		return value{}, false
	}
	if _, ok := builtins[id.Name]; ok {
		return value{kind: kFunc, str: id.Name}, true
	}
	if !l.poisoned[id.Name] {
		l.unknownName(id)
	}
	return value{}, false
}

// op appends an op at pos, reporting a type error there.
func (l *lowerer) op(pos lexer.Position, op ir.Op, attrs ir.Attrs, args ...*ir.Value) (value, bool) {
	l.b.Pos = irPos(pos)
	v, err := l.b.Op(op, attrs, args...)
	if err != nil {
		l.errorf(pos, "%v", err)
		return value{}, false
	}
	return tensorVal(v), true
}

var binaryOps = map[dsl.Operator]ir.Op{
	dsl.Add: ir.OpAdd, dsl.Sub: ir.OpSub, dsl.Mul: ir.OpMul, dsl.Div: ir.OpDiv, dsl.Pow: ir.OpPow,
}

func (l *lowerer) binary(e *dsl.Binary) (value, bool) {
	x, ok1 := l.expr(e.X)
	y, ok2 := l.expr(e.Y)
	if !ok1 || !ok2 {
		return value{}, false
	}
	if x.kind == kNumber && y.kind == kNumber {
		return l.constArith(e, x, y)
	}
	if e.Op == dsl.MatMul {
		if x.kind != kTensor || y.kind != kTensor {
			l.errorf(e.OpPos, "@ needs two tensors, got %s and %s", x.describe(), y.describe())
			return value{}, false
		}
		return l.matmul(e.OpPos, x.t, y.t)
	}
	if e.Op == dsl.Pow && y.kind == kNumber && y.num == 2 && x.kind == kTensor {
		return l.op(e.OpPos, ir.OpSquare, nil, x.t)
	}
	xt, ok1 := l.asTensor(e.X, x, y)
	yt, ok2 := l.asTensor(e.Y, y, x)
	if !ok1 || !ok2 {
		return value{}, false
	}
	return l.op(e.OpPos, binaryOps[e.Op], nil, xt, yt)
}

// asTensor turns a number operand into a scalar constant of the other
// operand's type.
func (l *lowerer) asTensor(at dsl.Expr, v, other value) (*ir.Value, bool) {
	switch {
	case v.kind == kTensor:
		return v.t, true
	case v.kind == kNumber && other.kind == kTensor:
		l.b.Pos = irPos(at.Start())
		return l.b.Const(ir.T(other.t.Type.DType), v.num), true
	}
	l.errorf(at.Start(), "expected a tensor or a number, got %s", v.describe())
	return nil, false
}

// matmul lowers a @ b for a [..., K] and b [K, N].
func (l *lowerer) matmul(pos lexer.Position, a, b *ir.Value) (value, bool) {
	if b.Type.Shape.Rank() != 2 {
		l.errorf(pos, "@: the right operand must be a matrix, got %v", b.Type)
		return value{}, false
	}
	return l.op(pos, ir.OpMatMul, nil, a, b)
}

// call lowers a function or layer call; piped is the left side of a pipe
// and name the layer name the context gives (an "as" overrides it).
func (l *lowerer) call(c *dsl.Call, piped *value, name string) (value, bool) {
	fn, ok := builtins[c.Func.Name]
	if !ok {
		l.unknownFunc(c)
		return value{}, false
	}
	args, ok := l.bind(c, piped, fn.sig)
	if !ok {
		return value{}, false
	}
	if c.As != nil {
		name = c.As.Name
		if !fn.layer {
			l.errorf(c.As.Pos, "%s is not a layer: it has no parameters to name", c.Func.Name)
			return value{}, false
		}
	}
	if fn.layer {
		if name == "" {
			l.errorf(c.Pos, "layer %s needs a name for its parameters: assign it (h = %s(...)) or add \"as NAME\"", c.Func.Name, c.Func.Name)
			return value{}, false
		}
		if prev, dup := l.layers[name]; dup {
			l.errorf(c.Pos, "layer name %s is already used at %d:%d", name, prev.Line, prev.Column)
			return value{}, false
		}
		l.layers[name] = c.Pos
	}
	saved := l.b.Name
	if name != "" {
		l.b.Name = name
	}
	defer func() { l.b.Name = saved }()
	return fn.lower(l, &callCtx{call: c, name: name, args: args})
}

func (l *lowerer) unknownFunc(c *dsl.Call) {
	l.unknownf(c.Func.Pos, c.Func.Name, sortedNames(builtins), "unknown function or layer %s", c.Func.Name)
}

// index lowers x[i, a:b:s, ..., :]: one slice per restricted axis, then a
// reshape that drops the axes given a single index.
func (l *lowerer) index(e *dsl.Index) (value, bool) {
	xv, ok := l.expr(e.X)
	if !ok {
		return value{}, false
	}
	if xv.kind != kTensor {
		l.errorf(e.Pos, "cannot index %s", xv.describe())
		return value{}, false
	}
	x := xv.t
	rank := x.Type.Shape.Rank()
	idx := e.Indices
	for i, ix := range idx { // expand the ellipsis
		if _, ok := ix.(*dsl.Ellipsis); ok {
			fill := make([]dsl.Expr, rank-len(idx)+1)
			for j := range fill {
				fill[j] = &dsl.Slice{Span: dsl.Span{Pos: ix.Start()}}
			}
			idx = append(append(append([]dsl.Expr(nil), idx[:i]...), fill...), idx[i+1:]...)
			break
		}
	}
	if len(idx) > rank {
		l.errorf(e.Pos, "too many indices (%d) for %v", len(idx), x.Type)
		return value{}, false
	}
	var drop []int
	for axis, ix := range idx {
		dim := x.Type.Shape[axis]
		start, end, step, single, ok := l.sliceBounds(ix, dim)
		if !ok {
			return value{}, false
		}
		if start == 0 && end == dim && step == 1 && !single {
			continue
		}
		if dim == ir.B {
			l.errorf(ix.Start(), "cannot index the batch dimension")
			return value{}, false
		}
		v, ok := l.op(ix.Start(), ir.OpSlice, ir.Attrs{"axis": axis, "start": start, "end": end, "step": step}, x)
		if !ok {
			return value{}, false
		}
		x = v.t
		if single {
			drop = append(drop, axis)
		}
	}
	if len(drop) == 0 {
		return tensorVal(x), true
	}
	shape := []int{}
	for i, d := range x.Type.Shape {
		if !containsInt(drop, i) {
			shape = append(shape, d)
		}
	}
	return l.op(e.Pos, ir.OpReshape, ir.Attrs{"shape": shape}, x)
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// sliceBounds resolves one index against a dimension of size dim (ir.B for
// the batch dimension, which only accepts ":").
func (l *lowerer) sliceBounds(ix dsl.Expr, dim int) (start, end, step int, single, ok bool) {
	norm := func(e dsl.Expr, def int) (int, bool) {
		if e == nil {
			return def, true
		}
		n, ok := l.constInt(e, "an index")
		if ok && n < 0 && dim != ir.B {
			n += dim
		}
		return n, ok
	}
	if s, isSlice := ix.(*dsl.Slice); isSlice {
		if dim == ir.B {
			if s.Lo != nil || s.Hi != nil || s.Step != nil {
				l.errorf(ix.Start(), "cannot slice the batch dimension")
				return 0, 0, 0, false, false
			}
			return 0, ir.B, 1, false, true
		}
		a, ok1 := norm(s.Lo, 0)
		b, ok2 := norm(s.Hi, dim)
		st, ok3 := norm(s.Step, 1)
		if !ok1 || !ok2 || !ok3 {
			return 0, 0, 0, false, false
		}
		a, b = max(0, min(a, dim)), max(0, min(b, dim))
		if st <= 0 || b <= a {
			l.errorf(ix.Start(), "slice %d:%d:%d of a dimension of size %d is empty", a, b, st, dim)
			return 0, 0, 0, false, false
		}
		return a, b, st, false, true
	}
	if dim == ir.B {
		l.errorf(ix.Start(), "cannot index the batch dimension")
		return 0, 0, 0, false, false
	}
	i, ok := norm(ix, 0)
	if !ok {
		return 0, 0, 0, false, false
	}
	if i < 0 || i >= dim {
		l.errorf(ix.Start(), "index out of range for a dimension of size %d", dim)
		return 0, 0, 0, false, false
	}
	return i, i + 1, 1, true, true
}
