package ir

import "fmt"

// Builder appends type-checked values to a Func. Pos and Name stamp every
// value it makes, so lowering can set them once per source construct.
type Builder struct {
	F    *Func
	Pos  Pos
	Name string
}

// NewBuilder returns a builder appending to f.
func NewBuilder(f *Func) *Builder { return &Builder{F: f} }

// Op appends op(args) with attrs, inferring its type; the error is the type
// rule's message, for the caller to place at a source position.
func (b *Builder) Op(op Op, attrs Attrs, args ...*Value) (*Value, error) {
	v := &Value{Op: op, Args: args, Attrs: attrs, Pos: b.Pos, Name: b.Name}
	t, err := InferType(v)
	if err != nil {
		return nil, err
	}
	v.Type = t
	v.ID = b.F.nextID
	b.F.nextID++
	b.F.Values = append(b.F.Values, v)
	return v, nil
}

// Must is Op for callers that construct only well-typed graphs (autodiff,
// rewrites): a type error there is a compiler bug, so it panics.
func (b *Builder) Must(op Op, attrs Attrs, args ...*Value) *Value {
	v, err := b.Op(op, attrs, args...)
	if err != nil {
		panic(fmt.Sprintf("ir: internal error building %s: %v", op, err))
	}
	return v
}

// Source appends an input, param, const or dropout_mask value of type t.
func (b *Builder) Source(op Op, t Type, attrs Attrs) *Value {
	v := b.F.NewValue(op, Type{t.DType, t.Shape.Clone()}, attrs)
	v.Pos, v.Name = b.Pos, b.Name
	return v
}

// Input appends a reference to the model input or target d.
func (b *Builder) Input(d *Decl) *Value {
	return b.Source(OpInput, d.Type, Attrs{"name": d.Name})
}

// Param appends a reference to the parameter or buffer p.
func (b *Builder) Param(p *Param) *Value {
	return b.Source(OpParam, p.Type, Attrs{"name": p.Name})
}

// Const appends a tensor of type t filled with x.
func (b *Builder) Const(t Type, x float64) *Value {
	return b.Source(OpConst, t, Attrs{"value": x})
}
