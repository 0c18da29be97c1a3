package passes

import (
	"github.com/dlc-lang/dlc/ir"
)

// gradCtx builds backward values for Autodiff's rules. Its builder's Pos
// and Name are those of the forward value being differentiated, so every
// gradient kernel points back to the source line it comes from.
type gradCtx struct {
	b *ir.Builder
}

// op appends a type-checked value; a type error is a bug in a rule.
func (g *gradCtx) op(op ir.Op, attrs ir.Attrs, args ...*ir.Value) *ir.Value {
	return g.b.Must(op, attrs, args...)
}

func (g *gradCtx) mul(a, b *ir.Value) *ir.Value { return g.op(ir.OpMul, nil, a, b) }

func (g *gradCtx) scale(x *ir.Value, c float64) *ir.Value {
	return g.op(ir.OpScale, ir.Attrs{"value": c}, x)
}

// scalar is a rank-0 const of like's dtype, which broadcasts against anything.
func (g *gradCtx) scalar(x float64, like *ir.Value) *ir.Value {
	return g.b.Const(ir.Type{DType: like.Type.DType, Shape: ir.Shape{}}, x)
}

// reshape reshapes x to s unless it already has that shape.
func (g *gradCtx) reshape(x *ir.Value, s ir.Shape) *ir.Value {
	if x.Type.Shape.Equal(s) {
		return x
	}
	return g.op(ir.OpReshape, ir.Attrs{"shape": []int(s.Clone())}, x)
}

// broadcast broadcasts x to s unless it already has that shape.
func (g *gradCtx) broadcast(x *ir.Value, s ir.Shape) *ir.Value {
	if x.Type.Shape.Equal(s) {
		return x
	}
	return g.op(ir.OpBroadcast, ir.Attrs{"shape": []int(s.Clone())}, x)
}

// sumTo undoes NumPy broadcasting in the adjoint: it sums dy over the axes
// along which an argument of shape s was broadcast (keeping them as size
// 1), then reshapes the result to s, which drops the leading axes s lacks.
func (g *gradCtx) sumTo(dy *ir.Value, s ir.Shape) *ir.Value {
	out := dy.Type.Shape
	shift := out.Rank() - s.Rank()
	var axes []int
	for i, d := range out {
		from := 1
		if j := i - shift; j >= 0 {
			from = s[j]
		}
		if from != d {
			axes = append(axes, i)
		}
	}
	if len(axes) > 0 {
		dy = g.op(ir.OpSum, ir.Attrs{"axes": axes, "keepdims": true}, dy)
	}
	return g.reshape(dy, s)
}

// copyAttrs copies the named attributes of v that are set.
func (g *gradCtx) copyAttrs(v *ir.Value, keys ...string) ir.Attrs {
	a := ir.Attrs{}
	for _, k := range keys {
		if x, ok := v.Attrs[k]; ok {
			a[k] = x
		}
	}
	return ir.Attrs(a.Clone())
}
