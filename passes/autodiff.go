package passes

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dlc-lang/dlc/ir"
)

// AutodiffOptions adjusts Autodiff.
type AutodiffOptions struct {
	// Inputs names model inputs whose gradients are wanted as well
	// (dlc build -grad-input); each becomes a result "grad.<input>".
	Inputs []string
}

// GradResult is the name of the result that holds the gradient of the
// loss with respect to the parameter or input name.
func GradResult(name string) string { return "grad." + name }

// Autodiff appends the backward graph of f's scalar "loss" result to f
// (the train func), by reverse-mode differentiation: it seeds d(loss) = 1,
// walks the values in reverse schedule order applying one rule per op from
// gradRules, and sums the contributions of a value's several uses. It adds
// a result "grad.<param>" for every trainable parameter, in p.Params order,
// then "grad.<input>" for each of opts.Inputs; buffers and frozen
// parameters get none, so nothing is computed for them alone.
//
// Only values on a path from a parameter (or requested input) to the loss
// are differentiated; a parameter or input with no such path gets a zero
// gradient, a const 0 of its type, so that every parameter has one. Values
// a rule builds that no gradient needs are removed again; the forward
// values are left as they were.
func Autodiff(p *ir.Program, f *ir.Func, opts AutodiffOptions) error {
	loss := f.Result("loss")
	if loss == nil {
		return fmt.Errorf("autodiff: func %s has no loss result", f.Name)
	}
	if loss.Type.Shape.Rank() != 0 || !loss.Type.DType.IsFloat() {
		return fmt.Errorf("%s: autodiff: the loss must be a float scalar, got %v", loss.Pos, loss.Type)
	}
	for _, r := range f.Results {
		if strings.HasPrefix(r.Name, "grad.") {
			return fmt.Errorf("autodiff: func %s already has gradient result %s", f.Name, r.Name)
		}
	}
	leaves, err := gradLeaves(p, opts)
	if err != nil {
		return err
	}
	forward := slices.Clone(f.Values)
	active := activeValues(forward, loss, leaves)
	g := &gradCtx{b: ir.NewBuilder(f)}
	g.b.Pos = loss.Pos
	adj := map[*ir.Value]*ir.Value{loss: g.b.Const(loss.Type, 1)}
	contribs := map[*ir.Value][]*ir.Value{}
	for i := len(forward) - 1; i >= 0; i-- {
		v := forward[i]
		if !active[v] {
			continue
		}
		if cs := contribs[v]; len(cs) > 0 {
			g.b.Pos, g.b.Name = v.Pos, v.Name
			adj[v] = g.accumulate(v, cs)
		}
		dy := adj[v]
		if dy == nil || v.Op.Kind() == ir.KindSource {
			continue
		}
		rule := gradRules[v.Op]
		if rule == nil {
			return fmt.Errorf("%s: autodiff: %s has no gradient rule", v.Pos, v.Op)
		}
		g.b.Pos, g.b.Name = v.Pos, v.Name
		for j, d := range rule(g, v, dy) {
			a := v.Args[j]
			if d == nil || !active[a] {
				continue
			}
			if !d.Type.Equal(a.Type) {
				panic(fmt.Sprintf("passes: autodiff: the %s rule gave %v for argument %d of type %v", v.Op, d.Type, j, a.Type))
			}
			contribs[a] = append(contribs[a], d)
		}
	}
	n := len(forward)
	g.addGradResults(f, leaves, adj, forward)
	pruneBackward(f, n)
	return nil
}

// gradLeaf is a source whose gradient Autodiff reports.
type gradLeaf struct {
	op   ir.Op // OpParam or OpInput
	name string
	typ  ir.Type
}

// gradLeaves lists the trainable (not frozen) parameters, then the
// requested inputs, checking that each input exists and is a float tensor.
func gradLeaves(p *ir.Program, opts AutodiffOptions) ([]gradLeaf, error) {
	var leaves []gradLeaf
	for _, q := range p.Params {
		if q.Frozen {
			continue
		}
		leaves = append(leaves, gradLeaf{ir.OpParam, q.Name, q.Type})
	}
	for _, name := range opts.Inputs {
		d := p.Decl(name)
		switch {
		case d == nil:
			return nil, fmt.Errorf("autodiff: no input named %q", name)
		case !d.Type.DType.IsFloat():
			return nil, fmt.Errorf("autodiff: input %s is %v: only float inputs have gradients", name, d.Type)
		case p.Param(name) != nil:
			return nil, fmt.Errorf("autodiff: input %s has the name of a parameter", name)
		}
		if slices.ContainsFunc(leaves, func(l gradLeaf) bool { return l.op == ir.OpInput && l.name == name }) {
			continue
		}
		leaves = append(leaves, gradLeaf{ir.OpInput, name, d.Type})
	}
	return leaves, nil
}

// isLeaf reports whether v reads one of the leaves.
func isLeaf(v *ir.Value, leaves []gradLeaf) bool {
	return (v.Op == ir.OpParam || v.Op == ir.OpInput) &&
		slices.ContainsFunc(leaves, func(l gradLeaf) bool { return l.op == v.Op && l.name == v.Attrs.Str("name") })
}

// activeValues is the reachability analysis: the float values that depend
// on a leaf and that the loss depends on. Only they are differentiated.
func activeValues(values []*ir.Value, loss *ir.Value, leaves []gradLeaf) map[*ir.Value]bool {
	varies := map[*ir.Value]bool{}
	for _, v := range values {
		if !v.Type.DType.IsFloat() {
			continue
		}
		varies[v] = isLeaf(v, leaves) || slices.ContainsFunc(v.Args, func(a *ir.Value) bool { return varies[a] })
	}
	needed := map[*ir.Value]bool{loss: true}
	for i := len(values) - 1; i >= 0; i-- {
		if v := values[i]; needed[v] {
			for _, a := range v.Args {
				needed[a] = true
			}
		}
	}
	active := map[*ir.Value]bool{}
	for v := range varies {
		if varies[v] && needed[v] {
			active[v] = true
		}
	}
	return active
}

// addGradResults appends a result per leaf: the sum of the adjoints of
// every value that reads it, or a const 0 when no gradient reaches it.
func (g *gradCtx) addGradResults(f *ir.Func, leaves []gradLeaf, adj map[*ir.Value]*ir.Value, forward []*ir.Value) {
	for _, l := range leaves {
		var sum *ir.Value
		g.b.Pos, g.b.Name = ir.Pos{}, ""
		for _, v := range forward {
			d := adj[v]
			if d == nil || !isLeaf(v, []gradLeaf{l}) {
				continue
			}
			g.b.Pos = v.Pos
			if sum == nil {
				sum = d
			} else {
				sum = g.op(ir.OpAdd, nil, sum, d)
			}
		}
		if sum == nil {
			sum = g.b.Const(l.typ, 0)
		}
		f.Results = append(f.Results, ir.Result{Name: GradResult(l.name), Value: sum})
	}
}

// pruneBackward removes the values from index n on (those Autodiff
// appended) that no result needs.
func pruneBackward(f *ir.Func, n int) {
	live := map[*ir.Value]bool{}
	for _, r := range f.Results {
		live[r.Value] = true
	}
	for i := len(f.Values) - 1; i >= n; i-- {
		if v := f.Values[i]; live[v] {
			for _, a := range v.Args {
				live[a] = true
			}
		}
	}
	kept := f.Values[:n]
	for _, v := range f.Values[n:] {
		if live[v] {
			kept = append(kept, v)
		}
	}
	f.Values = kept
	f.Renumber()
}
