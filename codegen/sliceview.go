package codegen

import (
	"strconv"

	"github.com/dlc-lang/dlc/ir"
)

// Slice views. A `slice` with step 1 whose users are all elementwise or
// fused kernels (or matmul epilogues adding a whole-shape operand) gets no
// kernel of its own: each user reads the slice's argument in place, with
// the source's strides and the slice's start as offset, instead of a copy
// (an unrolled LSTM slices the four gates out of every step's product).
//
// This is sound when the memory the source lives in is not written between
// the slice and its last user: the memory plan made the source's slot
// live until the slice ran, not until its users run, so sliceViews checks
// every kernel scheduled in between (and each user's own outputs) against
// the source's slot, and keeps the copy otherwise.

// sliceView is how a kernel reads a slice argument in place.
type sliceView struct {
	src     *ir.Value // the slice's argument
	strides []int     // per axis of the slice's shape, in src's elements
	offset  int       // of the slice's first element in src
}

// sliceViewsOf is the result of the analysis of one func.
type sliceViewsOf struct {
	elided map[*ir.Value]bool              // slices that get no kernel
	args   map[*ir.Value]map[int]sliceView // user -> argument index -> view
}

// useSliceViews turns slice views on; tests may clear it.
var useSliceViews = true

// viewUser reports whether u's kernel reads argument i through a view.
func viewUser(u *ir.Value, i int, companions map[*ir.Value][]*ir.Value) bool {
	if len(companions[u]) > 0 {
		return false
	}
	switch {
	case u.Op == ir.OpFused || u.Op.IsElementwise():
		return true
	case u.Op == ir.OpMatMul:
		// An epilogue operand of the product's shape (not a bias row: the
		// GEMM kernels read those themselves).
		a := u.Args[i]
		return i >= u.Op.Arity() && ir.HasEpilogue(u) && a.Type.Shape.Batched() && a.Type.Shape.Equal(u.Type.Shape)
	}
	return false
}

// sliceViews finds the slices of f whose users can read their argument in
// place.
func (g *gen) sliceViews(f *ir.Func) sliceViewsOf {
	out := sliceViewsOf{elided: map[*ir.Value]bool{}, args: map[*ir.Value]map[int]sliceView{}}
	if !useSliceViews || f.Plan == nil {
		return out
	}
	pos := map[*ir.Value]int{}
	for i, v := range f.Values {
		pos[v] = i
	}
	users := map[*ir.Value][]*ir.Value{}
	for _, v := range f.Values {
		for _, a := range v.Args {
			if len(users[a]) == 0 || users[a][len(users[a])-1] != v {
				users[a] = append(users[a], v)
			}
		}
	}
	results := map[*ir.Value]bool{}
	for _, r := range f.Results {
		results[r.Value] = true
	}
	companions := companionsOf(f)
	for _, s := range f.Values {
		if s.Op != ir.OpSlice || results[s] || len(users[s]) == 0 || s.Type.DType != g.float {
			continue
		}
		view, ok := g.viewOf(s)
		if !ok {
			continue
		}
		var found []viewUse
		last := pos[s]
		if !g.collectViews(s, view, users, companions, &found) {
			continue
		}
		for _, use := range found {
			last = max(last, pos[use.user])
		}
		if !g.unwritten(f, view.src, pos[s]+1, last) {
			continue
		}
		out.elided[s] = true
		for _, use := range found {
			if out.args[use.user] == nil {
				out.args[use.user] = map[int]sliceView{}
			}
			out.args[use.user][use.arg] = use.view
		}
	}
	return out
}

// viewUse is a kernel reading argument arg through view.
type viewUse struct {
	user *ir.Value
	arg  int
	view sliceView
}

// collectViews appends the uses of v (read as view) to uses, following
// reshapes that only add or drop axes of size 1, and reports whether every
// user can read it so.
func (g *gen) collectViews(v *ir.Value, view sliceView, users map[*ir.Value][]*ir.Value, companions map[*ir.Value][]*ir.Value, uses *[]viewUse) bool {
	for _, u := range users[v] {
		if u.Op == ir.OpReshape {
			rv, ok := reshapeView(view, v.Type.Shape, u.Type.Shape)
			if !ok || !g.collectViews(u, rv, users, companions, uses) {
				return false
			}
			continue
		}
		for i, a := range u.Args {
			if a != v {
				continue
			}
			if !viewUser(u, i, companions) {
				return false
			}
			*uses = append(*uses, viewUse{user: u, arg: i, view: view})
		}
	}
	return true
}

// reshapeView maps a view of shape from onto shape to when they differ
// only by axes of size 1.
func reshapeView(v sliceView, from, to ir.Shape) (sliceView, bool) {
	if !squeezeOnly(from, to) {
		return sliceView{}, false
	}
	var st []int
	for i, d := range from {
		if d != 1 {
			st = append(st, v.strides[i])
		}
	}
	out := sliceView{src: v.src, offset: v.offset, strides: make([]int, len(to))}
	j := 0
	for i, d := range to {
		if d != 1 {
			out.strides[i] = st[j]
			j++
		}
	}
	return out, true
}

// viewOf returns the view of slice s: step 1, along an axis other than
// the batch axis.
func (g *gen) viewOf(s *ir.Value) (sliceView, bool) {
	src := s.Args[0]
	sh := src.Type.Shape
	axis := s.Attrs.Int("axis", 0)
	start, step := s.Attrs.Int("start", 0), s.Attrs.Int("step", 1)
	if step != 1 || start < 0 || axis < 0 || axis >= len(sh) || sh[axis] == ir.B || len(s.Type.Shape) != len(sh) ||
		src.Type.DType != s.Type.DType || inlinable(src) {
		return sliceView{}, false
	}
	st := contiguous(dims(sh))
	return sliceView{src: src, strides: st, offset: start * st[axis]}, true
}

// region is the memory a value occupies: space, name (inputs and outputs)
// and element range at the maximum batch.
type region struct {
	space  ir.Space
	name   string
	lo, hi int
}

func (g *gen) regionOf(f *ir.Func, v *ir.Value) (region, bool) {
	loc, ok := f.Plan.Loc[v]
	if !ok {
		return region{}, false
	}
	n := v.Type.Shape.Elems(g.p.Batch)
	return region{space: loc.Space, name: loc.Name, lo: loc.Offset, hi: loc.Offset + n}, true
}

func (r region) overlaps(o region) bool {
	return r.space == o.space && r.name == o.name && r.lo < o.hi && o.lo < r.hi
}

// unwritten reports whether no kernel of f.Values[from:to+1] writes the
// memory of src, counting the users' own outputs (a user reads the source
// while it writes).
func (g *gen) unwritten(f *ir.Func, src *ir.Value, from, to int) bool {
	r, ok := g.regionOf(f, src)
	if !ok || r.space == ir.SpaceOutput {
		return false
	}
	for _, v := range f.Values[from : to+1] {
		if viewOps[v.Op] {
			continue
		}
		if w, ok := g.regionOf(f, v); ok && w.overlaps(r) {
			return false
		}
	}
	return true
}

// argView returns the view through which the kernel reads argument i, if
// any.
func (k *kernel) argView(i int) (sliceView, bool) {
	v, ok := k.views[i]
	return v, ok
}

// hasViews reports whether the kernel reads some argument through a view.
func (k *kernel) hasViews() bool { return len(k.views) > 0 }

// argValue registers value a as a parameter and returns its name.
func (k *kernel) argValue(a *ir.Value) string {
	for j, b := range k.args {
		if b == a {
			return "x" + strconv.Itoa(j)
		}
	}
	k.args = append(k.args, a)
	return "x" + strconv.Itoa(len(k.args)-1)
}

// argOperand returns argument i as an operand of a loop over a result of
// shape out (NumPy broadcasting), through its view when it has one.
func (k *kernel) argOperand(i int, out ir.Shape) operand {
	a := k.v.Args[i]
	if inlinable(a) {
		return operand{literal: k.g.operandLit(root(a))}
	}
	view, ok := k.argView(i)
	if !ok {
		return operand{name: k.arg(i), strides: broadcastStrides(a.Type.Shape, out)}
	}
	from := a.Type.Shape
	st := make([]int, len(out))
	shift := len(out) - len(from)
	for j, d := range from {
		if d != 1 || out[j+shift] == 1 {
			st[j+shift] = view.strides[j]
		}
	}
	return operand{name: k.argValue(view.src), strides: st, offset: view.offset}
}

// squeezeOnly reports whether shapes a and b differ only by axes of size 1
// (passes.SqueezeOnly).
func squeezeOnly(a, b ir.Shape) bool {
	strip := func(s ir.Shape) []int {
		var out []int
		for _, d := range s {
			if d != 1 {
				out = append(out, d)
			}
		}
		return out
	}
	x, y := strip(a), strip(b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}
