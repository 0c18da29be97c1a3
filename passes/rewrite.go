package passes

import "github.com/dlc-lang/dlc/ir"

// rewriter rebuilds a func in one forward walk, letting a rule replace a
// value by new values emitted at the same point of the schedule.
type rewriter struct {
	f       *ir.Func
	scratch *ir.Func
	out     []*ir.Value
	repl    map[*ir.Value]*ir.Value
	pos     ir.Pos
	name    string
	changed bool
}

// rewriteRule returns a replacement for v, or nil to keep it.
type rewriteRule func(r *rewriter, v *ir.Value) *ir.Value

// rewrite applies rules (keyed by op) to every value of f, walk after walk
// until none fires, removing dead values after each walk. newRules makes
// the table afresh for each walk, for rules that keep state.
func rewrite(f *ir.Func, newRules func() map[ir.Op]rewriteRule) bool {
	any := false
	for {
		rules := newRules()
		r := &rewriter{f: f, scratch: &ir.Func{}, repl: map[*ir.Value]*ir.Value{}}
		for _, v := range f.Values {
			for i, a := range v.Args {
				if w, ok := r.repl[a]; ok {
					v.Args[i] = w
				}
			}
			if rule := rules[v.Op]; rule != nil {
				r.pos, r.name = v.Pos, v.Name
				if w := rule(r, v); w != nil && w != v {
					r.repl[v] = w
					r.changed = true
					continue
				}
			}
			r.out = append(r.out, v)
		}
		for i, res := range f.Results {
			if w, ok := r.repl[res.Value]; ok {
				f.Results[i].Value = w
			}
		}
		f.Values = r.out
		eliminateDeadCode(f)
		if !r.changed {
			return any
		}
		any = true
	}
}

// emit appends a new value at the current point of the walk.
func (r *rewriter) emit(op ir.Op, attrs ir.Attrs, args ...*ir.Value) *ir.Value {
	b := &ir.Builder{F: r.scratch, Pos: r.pos, Name: r.name}
	v := b.Must(op, attrs, args...)
	r.scratch.Values = r.scratch.Values[:0]
	r.out = append(r.out, v)
	return v
}
