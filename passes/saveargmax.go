package passes

import (
	"fmt"

	"github.com/dlc-lang/dlc/ir"
)

// SaveArgmax trades a max pooling's full-size input for a small index
// tensor in the backward pass (save rather than recompute):
//
//	y = maxpool2d x;  dx = maxpool2d_grad x, dy
//
// becomes
//
//	y = maxpool2d x;  i = maxpool2d_argmax y;  dx = maxpool2d_grad_idx i, dy
//
// where i, a companion of y, is written by y's kernel, so that x dies
// right after pooling. i holds each maximum's offset inside its window
// (ir.PoolTap), a byte for windows of up to 256 taps (ir.PoolIndexDType):
// a quarter of i32 plane offsets, and the gradient recomputes the
// position from the output coordinate and the window. A relu gradient applied after the pooling gradient,
// relu_grad(m, maxpool2d_grad(x, dy)) with x = m or x = relu(m), moves
// before the scatter at pooled resolution: at the maximum, x > 0 iff the
// pooled output y > 0, so relu_grad(y, dy) is the same mask, exactly, and
// it reads y instead of x.
func SaveArgmax(p *ir.Program) error {
	for _, f := range p.Funcs {
		if err := saveArgmax(f); err != nil {
			return fmt.Errorf("func %s: %v", f.Name, err)
		}
	}
	return nil
}

// insertion places new values of f next to existing ones.
type insertion struct {
	after, before map[*ir.Value][]*ir.Value
}

func (in *insertion) add(f *ir.Func, m map[*ir.Value][]*ir.Value, at *ir.Value, op ir.Op, attrs ir.Attrs, args ...*ir.Value) (*ir.Value, error) {
	v := &ir.Value{Op: op, Attrs: attrs, Args: args, Pos: at.Pos, Name: at.Name}
	t, err := ir.InferType(v)
	if err != nil {
		return nil, err
	}
	w := f.NewValue(op, t, attrs, args...)
	f.Values = f.Values[:len(f.Values)-1] // placed by apply
	w.Pos, w.Name = at.Pos, at.Name
	m[at] = append(m[at], w)
	return w, nil
}

func (in *insertion) apply(f *ir.Func) {
	var out []*ir.Value
	for _, v := range f.Values {
		out = append(out, in.before[v]...)
		out = append(out, v)
		out = append(out, in.after[v]...)
	}
	f.Values = out
}

func saveArgmax(f *ir.Func) error {
	in := &insertion{after: map[*ir.Value][]*ir.Value{}, before: map[*ir.Value][]*ir.Value{}}
	pools := map[*ir.Value][]*ir.Value{} // x -> maxpool2d values of x
	argmax := map[*ir.Value]*ir.Value{}
	users := distinctUsers(f)
	results := resultSet(f)
	for _, v := range f.Values {
		switch v.Op {
		case ir.OpMaxPool2d:
			pools[v.Args[0]] = append(pools[v.Args[0]], v)
		case ir.OpMaxPool2dGrad:
			if ir.HasEpilogue(v) {
				continue
			}
			y := samePool(pools[v.Args[0]], v)
			if y == nil {
				continue
			}
			idx := argmax[y]
			if idx == nil {
				var err error
				if idx, err = in.add(f, in.after, y, ir.OpMaxPool2dArgmax, poolAttrs(v), y); err != nil {
					return err
				}
				argmax[y] = idx
			}
			target, dy := v, v.Args[1]
			if u := reluAfter(v, users, results); u != nil {
				m, err := maskPooled(f, in, u, y, dy)
				if err != nil {
					return err
				}
				target, dy = u, m
			}
			attrs := poolAttrs(v)
			attrs["shape"] = []int(v.Args[0].Type.Shape.Clone())
			w := &ir.Value{ID: target.ID, Op: ir.OpMaxPool2dGradIdx, Args: []*ir.Value{idx, dy},
				Attrs: attrs, Pos: target.Pos, Name: target.Name}
			t, err := ir.InferType(w)
			if err != nil || !t.Equal(target.Type) {
				return fmt.Errorf("v%d: maxpool2d_grad_idx: %v", v.ID, err)
			}
			w.Type = t
			*target = *w
		}
	}
	in.apply(f)
	eliminateDeadCode(f)
	return nil
}

func poolAttrs(v *ir.Value) ir.Attrs {
	a := ir.Attrs{}
	for _, k := range []string{"kernel", "stride", "pad"} {
		if s := v.Attrs.Ints(k); s != nil {
			a[k] = append([]int(nil), s...)
		}
	}
	return a
}

// samePool returns the pooling among ys with g's window.
func samePool(ys []*ir.Value, g *ir.Value) *ir.Value {
	for _, y := range ys {
		if poolAttrs(y).String() == poolAttrs(g).String() {
			return y
		}
	}
	return nil
}

// reluAfter returns g's only user when it is relu_grad(m, g) with the
// pooling's input x = m or x = relu(m).
func reluAfter(g *ir.Value, users map[*ir.Value][]*ir.Value, results map[*ir.Value]bool) *ir.Value {
	if len(users[g]) != 1 || results[g] {
		return nil
	}
	u, x := users[g][0], g.Args[0]
	if u.Op != ir.OpReluGrad || u.Args[1] != g || u.Args[0] == g {
		return nil
	}
	if m := u.Args[0]; m == x || x.Op == ir.OpRelu && x.Args[0] == m {
		return u
	}
	return nil
}

// maskPooled builds relu_grad(y, dy) before u, reading dy through a
// reshape when dy is a view of a differently shaped value, so that fusion
// can fold the mask into dy's producer.
func maskPooled(f *ir.Func, in *insertion, u, y, dy *ir.Value) (*ir.Value, error) {
	src := dy
	if dy.Op == ir.OpReshape && dy.Args[0].Type.Shape.Batched() == dy.Type.Shape.Batched() {
		src = dy.Args[0]
	}
	ys := y
	if src != dy {
		var err error
		if ys, err = in.add(f, in.before, u, ir.OpReshape, ir.Attrs{"shape": []int(src.Type.Shape.Clone())}, y); err != nil {
			return nil, err
		}
	}
	m, err := in.add(f, in.before, u, ir.OpReluGrad, nil, ys, src)
	if err != nil || src == dy {
		return m, err
	}
	return in.add(f, in.before, u, ir.OpReshape, ir.Attrs{"shape": []int(dy.Type.Shape.Clone())}, m)
}
