package passes

import (
	"github.com/dlc-lang/dlc/ir"
)

// Schedule reorders each func's values to lower the peak of live memory.
// It tries two orders against the current one and keeps the one whose
// memory plan has the smallest lower bound (peak live bytes), then arena:
//
//   - a list schedule that, among the values whose arguments are
//     computed, runs first the one that frees the most bytes net of what
//     it allocates (sources first), ties going to the earlier value;
//   - the current order with every value sunk to just before its first
//     user when that extends no argument's life (it shortens its own).
//
// A companion stays right after its producer. The pass never makes a
// plan worse: when neither order helps, the func is left alone.
func Schedule(p *ir.Program) error {
	for _, f := range p.Funcs {
		if err := scheduleFunc(p, f); err != nil {
			return err
		}
	}
	return nil
}

func scheduleFunc(p *ir.Program, f *ir.Func) error {
	if err := PlanMemory(p, f); err != nil {
		return err
	}
	best, bestPlan := append([]*ir.Value(nil), f.Values...), *f.Plan
	for _, order := range [][]*ir.Value{listSchedule(f), sinkSchedule(f)} {
		f.Values = order
		f.Renumber()
		if err := PlanMemory(p, f); err != nil {
			return err
		}
		if pl := *f.Plan; pl.LowerBound < bestPlan.LowerBound || pl.LowerBound == bestPlan.LowerBound && pl.ArenaElems < bestPlan.ArenaElems {
			best, bestPlan = order, pl
		}
		f.Values = best
		f.Renumber()
	}
	f.Plan = nil // memplan plans the final order
	return nil
}

// sinkSchedule moves each value, last first, to just before its first
// user, unless that would keep one of its arguments alive longer: an
// argument whose last use is this value would then die later.
func sinkSchedule(f *ir.Func) []*ir.Value {
	order := append([]*ir.Value(nil), f.Values...)
	isResult := map[*ir.Value]bool{}
	for _, r := range f.Results {
		isResult[r.Value] = true
	}
	pos := func(v *ir.Value) int {
		for i, w := range order {
			if w == v {
				return i
			}
		}
		return -1
	}
	for i := len(f.Values) - 1; i >= 0; i-- {
		v := f.Values[i]
		if isResult[v] || ir.IsCompanion(v) || hasCompanion(f, v) {
			continue
		}
		at := pos(v)
		first := len(order)
		for j := at + 1; j < len(order); j++ {
			if usesValue(order[j], v) {
				first = j
				break
			}
		}
		if first == len(order) || first == at+1 || !argsOutlive(order, at, first, v) {
			continue
		}
		order = append(order[:at], order[at+1:]...)
		order = append(order[:first-1], append([]*ir.Value{v}, order[first-1:]...)...)
	}
	return order
}

func usesValue(u, v *ir.Value) bool {
	for _, a := range u.Args {
		if a == v {
			return true
		}
	}
	return false
}

func hasCompanion(f *ir.Func, v *ir.Value) bool {
	for _, w := range f.Values {
		if ir.IsCompanion(w) && w.Args[0] == v {
			return true
		}
	}
	return false
}

// argsOutlive reports whether every argument of v (at order[at]) is used
// again after order[first-1] or is a source, so moving v there extends no
// argument's life.
func argsOutlive(order []*ir.Value, at, first int, v *ir.Value) bool {
	for _, a := range v.Args {
		if a.Op.Kind() == ir.KindSource {
			continue
		}
		later := false
		for j := first; j < len(order) && !later; j++ {
			later = order[j] != v && usesValue(order[j], a)
		}
		if !later {
			return false
		}
	}
	return true
}

// listSchedule returns a topological order of f's values chosen greedily
// for low live memory.
func listSchedule(f *ir.Func) []*ir.Value {
	index := make(map[*ir.Value]int, len(f.Values))
	users := make(map[*ir.Value][]*ir.Value, len(f.Values))
	companions := map[*ir.Value][]*ir.Value{}
	waiting := make(map[*ir.Value]int, len(f.Values)) // arguments not yet scheduled
	remaining := make(map[*ir.Value]int, len(f.Values))
	isResult := map[*ir.Value]bool{}
	for _, r := range f.Results {
		isResult[r.Value] = true
	}
	for i, v := range f.Values {
		index[v] = i
		if ir.IsCompanion(v) {
			companions[v.Args[0]] = append(companions[v.Args[0]], v)
		}
		seen := map[*ir.Value]bool{}
		for _, a := range v.Args {
			if !seen[a] {
				seen[a] = true
				users[a] = append(users[a], v)
				waiting[v]++
				remaining[a]++
			}
		}
	}
	size := func(v *ir.Value) int {
		if v.Op.Kind() == ir.KindSource && v.Op != ir.OpDropoutMask || v.Op == ir.OpReshape {
			return 0
		}
		return v.Type.Shape.Elems(1) * v.Type.DType.Size()
	}
	score := func(v *ir.Value) int {
		if size(v) == 0 && v.Op != ir.OpReshape {
			return 1 << 30 // sources cost nothing: run them as soon as they can
		}
		freed := 0
		for _, a := range v.Args {
			if remaining[a] == 1 && !isResult[a] {
				freed += size(root(a))
			}
		}
		return freed - size(v)
	}
	var ready []*ir.Value
	for _, v := range f.Values {
		if waiting[v] == 0 && !ir.IsCompanion(v) {
			ready = append(ready, v)
		}
	}
	out := make([]*ir.Value, 0, len(f.Values))
	done := map[*ir.Value]bool{}
	var emit func(v *ir.Value)
	emit = func(v *ir.Value) {
		out = append(out, v)
		done[v] = true
		seen := map[*ir.Value]bool{}
		for _, a := range v.Args {
			if !seen[a] {
				seen[a] = true
				remaining[a]--
			}
		}
		for _, u := range users[v] {
			waiting[u]--
			if waiting[u] == 0 && !ir.IsCompanion(u) {
				ready = append(ready, u)
			}
		}
		for _, c := range companions[v] {
			if waiting[c] == 0 && !done[c] {
				emit(c)
			}
		}
	}
	for len(ready) > 0 {
		best := 0
		for i, v := range ready {
			sb, sv := score(ready[best]), score(v)
			if sv > sb || sv == sb && index[v] < index[ready[best]] {
				best = i
			}
		}
		v := ready[best]
		ready = append(ready[:best], ready[best+1:]...)
		emit(v)
	}
	return out
}
