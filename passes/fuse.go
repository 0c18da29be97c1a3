package passes

import (
	"github.com/dlc-lang/dlc/ir"
)

// Fuse merges elementwise computations into single loops, forward and
// backward, keeping the result ordinary IR:
//
//   - a chain of elementwise ops and broadcasts becomes one `fused` value
//     whose {expr} is the scalar expression over its arguments (ir.Expr),
//     e.g. relu_grad(a0, mul(a1, a2)): one loop, one pass over memory;
//   - a matmul or conv2d whose only user is such a chain takes it as an
//     epilogue applied as the product is stored: bias add + activation;
//   - a slice read only by such loops is marked {view=true}: it is read in
//     place rather than copied (fuse_views.go).
//
// Cost rules: a producer is folded into its users only when it has the
// users' shape (no recomputation per broadcast element) and either it has
// one user or it is cheap (no transcendental op, a few nodes) and every
// user folds it, so that it disappears. Products are never recomputed.
func Fuse(p *ir.Program) error {
	for _, f := range p.Funcs {
		preferSavedOutputs(f)
		fuseElementwise(f)
		fuseEpilogues(f)
		eliminateDeadCode(f)
		markSliceViews(f)
	}
	return nil
}

// Limits that keep fused loops small enough to stay fast.
const (
	maxFusedArgs = 8
	maxFusedSize = 24
	maxCheapSize = 4 // nodes of a producer worth recomputing in several users
)

// expensiveOps are the elementwise ops worth computing once.
var expensiveOps = map[ir.Op]bool{
	ir.OpExp: true, ir.OpLog: true, ir.OpSqrt: true, ir.OpSigmoid: true, ir.OpTanh: true,
	ir.OpGelu: true, ir.OpPow: true, ir.OpGeluGrad: true, ir.OpBCE: true, ir.OpBCEGrad: true,
	ir.OpBCELogits: true, ir.OpBCELogitsGrad: true, ir.OpDiv: true,
}

// preferSavedOutputs rewrites relu_grad(x, dy) as relu_grad(relu(x), dy)
// when relu(x) exists: the mask is the same (relu(x) > 0 iff x > 0), and
// reading the saved output leaves x with the forward chain as only user,
// so the bias add and the activation fuse into the product.
func preferSavedOutputs(f *ir.Func) {
	relu := map[*ir.Value]*ir.Value{}
	for _, v := range f.Values {
		switch v.Op {
		case ir.OpRelu:
			if relu[v.Args[0]] == nil {
				relu[v.Args[0]] = v
			}
		case ir.OpReluGrad:
			if y := relu[v.Args[0]]; y != nil && y.Type.Equal(v.Args[0].Type) {
				v.Args[0] = y
			}
		}
	}
}

// fusible reports whether v's op can be part of a fused expression.
func fusible(v *ir.Value) bool {
	return v.Op.IsElementwise() || v.Op == ir.OpBroadcast
}

// group is the expression a value computes over its leaf arguments.
type group struct {
	expr *ir.Expr
	args []*ir.Value
}

// exprOf is the one-node expression of an elementwise value v.
func exprOf(v *ir.Value) group {
	if v.Op == ir.OpFused {
		e, _ := ir.ParseExpr(v.Attrs.Str("expr"))
		return group{e, append([]*ir.Value(nil), v.Args...)}
	}
	if v.Op == ir.OpBroadcast {
		return group{ir.ArgExpr(0), []*ir.Value{v.Args[0]}}
	}
	e := &ir.Expr{Op: v.Op, Arg: -1, Attrs: floatAttrs(v.Attrs)}
	for i := range v.Args {
		e.Args = append(e.Args, ir.ArgExpr(i))
	}
	return group{e, append([]*ir.Value(nil), v.Args...)}
}

func floatAttrs(a ir.Attrs) ir.Attrs {
	if len(a) == 0 {
		return nil
	}
	out := ir.Attrs{}
	for k := range a {
		out[k] = a.Float(k, 0)
	}
	return out
}

func cheap(e *ir.Expr) bool {
	if e.Size() > maxCheapSize || expensiveOps[e.Op] {
		return false
	}
	for _, a := range e.Args {
		if !cheap(a) {
			return false
		}
	}
	return true
}

// fuseElementwise replaces each elementwise value by a fused value over
// the leaves of the chain that ends in it, walking in schedule order.
func fuseElementwise(f *ir.Func) {
	users := distinctUsers(f)
	results := resultSet(f)
	groups := map[*ir.Value]group{}
	absorb := func(a *ir.Value, v *ir.Value) bool {
		g, ok := groups[a]
		if !ok || results[a] || !a.Type.Equal(v.Type) {
			return false
		}
		if len(users[a]) == 1 {
			return true
		}
		if !cheap(g.expr) {
			return false
		}
		for _, u := range users[a] {
			if !fusible(u) || !u.Type.Equal(a.Type) {
				return false
			}
		}
		return true
	}
	var out []*ir.Value
	for _, v := range f.Values {
		if !fusible(v) || v.Type.DType != ir.F32 && v.Type.DType != ir.F64 {
			out = append(out, v)
			continue
		}
		g := exprOf(v)
		g = inline(g, func(a *ir.Value) (group, bool) {
			if !absorb(a, v) {
				return group{}, false
			}
			return groups[a], true
		})
		groups[v] = g
		if g.expr.IsArg() || (len(g.args) == len(v.Args) && v.Op != ir.OpBroadcast && g.expr.Size() == len(v.Args)+1) {
			out = append(out, v) // nothing folded in: keep the plain op
			continue
		}
		w := &ir.Value{ID: v.ID, Op: ir.OpFused, Args: g.args, Attrs: ir.Attrs{"expr": g.expr.String()}, Pos: v.Pos, Name: v.Name}
		if t, err := ir.InferType(w); err != nil || !t.Equal(v.Type) {
			groups[v] = exprOf(v)
			out = append(out, v)
			continue
		}
		w.Type = v.Type
		*v = *w // v keeps its identity: users and results need no update
		out = append(out, v)
	}
	f.Values = out
}

// inline substitutes into g the groups of the arguments sub accepts,
// within the size limits, merging equal arguments. Scalar consts become
// literals.
func inline(g group, sub func(a *ir.Value) (group, bool)) group {
	var args []*ir.Value
	index := map[*ir.Value]int{}
	leaf := func(a *ir.Value) *ir.Expr {
		if c, ok := scalarConst(a); ok {
			return ir.LitExpr(c)
		}
		if i, ok := index[a]; ok {
			return ir.ArgExpr(i)
		}
		index[a] = len(args)
		args = append(args, a)
		return ir.ArgExpr(index[a])
	}
	size := g.expr.Size()
	e := g.expr.Map(func(i int) *ir.Expr {
		a := g.args[i]
		if sg, ok := sub(a); ok && size+sg.expr.Size() <= maxFusedSize && len(args)+len(sg.args) <= maxFusedArgs {
			size += sg.expr.Size()
			return sg.expr.Map(func(j int) *ir.Expr { return leaf(sg.args[j]) })
		}
		return leaf(a)
	})
	return group{e, args}
}

// fuseEpilogues gives a matmul or conv2d whose only user is an
// elementwise value of its shape that user's expression as epilogue: the
// user becomes the product, computed straight into the user's storage.
func fuseEpilogues(f *ir.Func) {
	eliminateDeadCode(f)
	users := distinctUsers(f)
	results := resultSet(f)
	for _, v := range f.Values {
		if !fusible(v) || v.Op == ir.OpBroadcast {
			continue
		}
		g := exprOf(v)
		var prod *ir.Value
		for _, a := range g.args {
			if ir.CanHaveEpilogue(a.Op) && !ir.HasEpilogue(a) && len(users[a]) == 1 && !results[a] && a.Type.Equal(v.Type) {
				prod = a
				break
			}
		}
		if prod == nil {
			continue
		}
		extra := []*ir.Value{}
		pos := map[int]int{}
		for i, a := range g.args {
			if a == prod {
				pos[i] = 0
				continue
			}
			extra = append(extra, a)
			pos[i] = len(extra)
		}
		e := g.expr.Map(func(i int) *ir.Expr { return ir.ArgExpr(pos[i]) })
		attrs := prod.Attrs.Clone()
		if attrs == nil {
			attrs = ir.Attrs{}
		}
		attrs["epilogue"] = e.String()
		w := &ir.Value{ID: v.ID, Op: prod.Op, Args: append(append([]*ir.Value(nil), prod.Args...), extra...), Attrs: attrs, Pos: prod.Pos, Name: v.Name}
		if t, err := ir.InferType(w); err != nil || !t.Equal(v.Type) {
			continue
		}
		w.Type = v.Type
		*v = *w
	}
	eliminateDeadCode(f)
}

func distinctUsers(f *ir.Func) map[*ir.Value][]*ir.Value {
	users := map[*ir.Value][]*ir.Value{}
	for _, v := range f.Values {
		for i, a := range v.Args {
			dup := false
			for _, b := range v.Args[:i] {
				dup = dup || b == a
			}
			if !dup {
				users[a] = append(users[a], v)
			}
		}
	}
	return users
}

func resultSet(f *ir.Func) map[*ir.Value]bool {
	rs := map[*ir.Value]bool{}
	for _, r := range f.Results {
		rs[r.Value] = true
	}
	return rs
}
