package passes

import (
	"github.com/alecthomas/participle/v2/lexer"
	"github.com/dlc-lang/dlc/ir"
)

// emitter strings together the ops of one layer expansion. After the first
// type error it stops emitting and reports failure once, so expansions read
// as straight-line formulas.
type emitter struct {
	l   *lowerer
	pos lexer.Position
	bad bool

	lastSeq *ir.Value // the full output sequence of the last RNN layer expanded
}

func (e *emitter) op(op ir.Op, attrs ir.Attrs, args ...*ir.Value) *ir.Value {
	if e.bad {
		return nil
	}
	for _, a := range args {
		if a == nil {
			e.bad = true
			return nil
		}
	}
	v, ok := e.l.op(e.pos, op, attrs, args...)
	if !ok {
		e.bad = true
		return nil
	}
	return v.t
}

// konst is a scalar constant of type d.
func (e *emitter) konst(d ir.DType, x float64) *ir.Value {
	e.l.b.Pos = irPos(e.pos)
	return e.l.b.Const(ir.T(d), x)
}

// result wraps the final value for a builtin's return.
func (e *emitter) result() func(*ir.Value) (value, bool) {
	return func(v *ir.Value) (value, bool) {
		if e.bad || v == nil {
			return value{}, false
		}
		return tensorVal(v), true
	}
}
