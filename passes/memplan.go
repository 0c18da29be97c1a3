package passes

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dlc-lang/dlc/ir"
)

// ArenaAlign is the alignment of arena offsets, in elements: 64 bytes for
// f32, a cache line and an AVX-512 vector. The u8 arena aligns to a cache
// line, 64 elements (arenaAlign).
const ArenaAlign = 16

// PlanMemory fills f.Plan: it gives every value of f a location and packs
// the scratch values into as small an arena as it can.
//
// Inputs are read in place from the caller's slices and parameters and
// buffers from their blocks (laid out by ir.Layout). A reshape is a view of
// its argument. A "grad.<param>" result is computed straight into the
// gradient block at the parameter's offset, and an output of the infer func
// straight into the caller's output slice, when its value is computed by a
// kernel of its own and claimed by no earlier result; otherwise codegen
// copies it. Every other value lives in the float, the i32 or the u8 arena
// (each packed apart, offsets counting elements of its dtype) for the
// interval of the schedule from its definition to its last use (results to
// the end); values whose intervals overlap get disjoint memory.
func PlanMemory(p *ir.Program, f *ir.Func) error {
	pl := &planner{p: p, f: f, plan: &ir.Plan{Shards: max(f.Shards, 1), Loc: make(map[*ir.Value]ir.Loc, len(f.Values))}}
	if err := pl.placeFixed(); err != nil {
		return fmt.Errorf("memplan: func %s: %v", f.Name, err)
	}
	pl.claimResults()
	pl.placeScratch()
	pl.placeViews()
	f.Plan = pl.plan
	return nil
}

type planner struct {
	p    *ir.Program
	f    *ir.Func
	plan *ir.Plan
}

// root follows reshapes to the value that owns the storage.
func root(v *ir.Value) *ir.Value {
	for v.Op == ir.OpReshape {
		v = v.Args[0]
	}
	return v
}

// placeFixed locates sources that live outside the arena: inputs, parameters
// and buffers.
func (pl *planner) placeFixed() error {
	pOff, _ := ir.Layout(pl.p.Params)
	bOff, _ := ir.Layout(pl.p.Buffers)
	for _, v := range pl.f.Values {
		switch v.Op {
		case ir.OpInput:
			name := v.Attrs.Str("name")
			if pl.p.Decl(name) == nil {
				return fmt.Errorf("no input named %q", name)
			}
			pl.plan.Loc[v] = ir.Loc{Space: ir.SpaceInput, Name: name}
		case ir.OpParam:
			name := v.Attrs.Str("name")
			if i := paramIndex(pl.p.Params, name); i >= 0 {
				pl.plan.Loc[v] = ir.Loc{Space: ir.SpaceParam, Offset: pOff[i]}
			} else if i := paramIndex(pl.p.Buffers, name); i >= 0 && bOff[i] >= 0 {
				pl.plan.Loc[v] = ir.Loc{Space: ir.SpaceBuffer, Offset: bOff[i]}
			} else if i >= 0 {
				return fmt.Errorf("buffer %s of type %v cannot be read: integer buffers are counters kept outside the buffer block", name, v.Type)
			} else {
				return fmt.Errorf("no parameter or buffer named %q", name)
			}
		}
	}
	return nil
}

func paramIndex(ps []*ir.Param, name string) int {
	return slices.IndexFunc(ps, func(q *ir.Param) bool { return q.Name == name })
}

// claimResults places the storage of gradient results in the gradient
// block and of infer outputs in the caller's slices, when it can.
func (pl *planner) claimResults() {
	pOff, _ := ir.Layout(pl.p.Params)
	for _, r := range pl.f.Results {
		v := root(r.Value)
		if _, placed := pl.plan.Loc[v]; placed || v.Op.Kind() == ir.KindSource {
			continue
		}
		if name, ok := strings.CutPrefix(r.Name, "grad."); ok {
			i := paramIndex(pl.p.Params, name)
			if i >= 0 && v.Type.DType == pl.p.Params[i].Type.DType && !v.Type.Shape.Batched() &&
				v.Type.Shape.Elems(1) == pl.p.Params[i].Type.Shape.Elems(1) {
				pl.plan.Loc[v] = ir.Loc{Space: ir.SpaceGrad, Offset: pOff[i]}
			}
			continue
		}
		if pl.f.Name == "infer" && pl.p.Decl(r.Name) == nil {
			pl.plan.Loc[v] = ir.Loc{Space: ir.SpaceOutput, Name: r.Name}
		}
	}
}

// interval is the part of the schedule during which a value's storage is live.
type interval struct {
	v          *ir.Value
	start, end int // schedule indices, inclusive
	size       int
	off        int
}

// intervals computes the live interval of every unplaced storage root.
func (pl *planner) intervals() []*interval {
	index := make(map[*ir.Value]*interval)
	def := make(map[*ir.Value]int)
	var ivs []*interval
	for i, v := range pl.f.Values {
		def[v] = i
		for _, a := range v.Args {
			if iv := index[root(a)]; iv != nil {
				iv.end = i
			}
			// A slice read in place ({view=true}, see fuse_views.go)
			// keeps its argument alive for its users.
			for r := root(a); r.Op == ir.OpSlice && r.Attrs.Bool("view"); r = root(r.Args[0]) {
				if iv := index[root(r.Args[0])]; iv != nil {
					iv.end = i
				}
			}
		}
		if v.Op == ir.OpReshape {
			continue
		}
		if _, placed := pl.plan.Loc[v]; placed {
			continue
		}
		start := i
		if ir.IsCompanion(v) { // written while its producer is computed
			start = def[v.Args[0]]
		}
		def[v] = i
		iv := &interval{v: v, start: start, end: i, size: v.Type.Shape.Elems(pl.f.ShardRows(pl.p.Batch))}
		index[v] = iv
		ivs = append(ivs, iv)
	}
	for _, r := range pl.f.Results {
		if iv := index[root(r.Value)]; iv != nil {
			iv.end = len(pl.f.Values)
		}
	}
	return ivs
}

// placeScratch packs the arena values, float, i32 and u8 apart.
func (pl *planner) placeScratch() {
	var floats, ints, bytes []*interval
	for _, iv := range pl.intervals() {
		switch iv.v.Type.DType {
		case ir.I32:
			ints = append(ints, iv)
		case ir.U8:
			bytes = append(bytes, iv)
		default:
			floats = append(floats, iv)
		}
	}
	steps := len(pl.f.Values) + 1
	fl := packArena(floats, ArenaAlign, steps, ir.SpaceArena, pl.plan.Loc)
	pl.plan.ArenaElems, pl.plan.NaiveElems, pl.plan.LowerBound = fl.Elems, fl.Naive, fl.LowerBound
	pl.plan.IntArena = packArena(ints, arenaAlign(ir.I32), steps, ir.SpaceIntArena, pl.plan.Loc)
	pl.plan.U8Arena = packArena(bytes, arenaAlign(ir.U8), steps, ir.SpaceU8Arena, pl.plan.Loc)
}

// arenaAlign is the alignment of offsets in the arena of d, in elements:
// ArenaAlign, and at least a cache line.
func arenaAlign(d ir.DType) int { return max(ArenaAlign, 64/d.Size()) }

// packArena packs ivs into one arena of space, records their locations
// in loc and returns the arena's figures.
func packArena(ivs []*interval, align, steps int, space ir.Space, loc map[*ir.Value]ir.Loc) ir.ArenaSize {
	a := ir.ArenaSize{Elems: pack(ivs, align), LowerBound: lowerBound(ivs, steps)}
	for _, iv := range ivs {
		loc[iv.v] = ir.Loc{Space: space, Offset: iv.off}
		a.Naive += iv.size
	}
	return a
}

// placeViews gives each reshape its root's location.
func (pl *planner) placeViews() {
	for _, v := range pl.f.Values {
		if v.Op == ir.OpReshape {
			pl.plan.Loc[v] = pl.plan.Loc[root(v)]
		}
	}
}

// packOrders are the heuristics pack tries, XLA heap-simulator style: each
// orders the values, which are then placed one by one at the lowest
// aligned offset that fits (best fit among the gaps would change little);
// the smallest arena wins, ties going to the earlier heuristic.
var packOrders = []struct {
	name string
	less func(a, b *interval) int
}{
	{"size", func(a, b *interval) int { return cmp.Or(cmp.Compare(b.size, a.size), cmp.Compare(a.start, b.start)) }},
	{"area", func(a, b *interval) int {
		return cmp.Or(cmp.Compare(b.size*(b.end-b.start+1), a.size*(a.end-a.start+1)), cmp.Compare(a.start, b.start))
	}},
	{"lifetime", func(a, b *interval) int {
		return cmp.Or(cmp.Compare(b.end-b.start, a.end-a.start), cmp.Compare(b.size, a.size), cmp.Compare(a.start, b.start))
	}},
	{"start", func(a, b *interval) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.size, a.size)) }},
}

// pack assigns offsets, multiples of align, with each of packOrders and
// keeps the smallest arena, returning its size.
func pack(ivs []*interval, align int) int {
	best, bestOffs := -1, make([]int, len(ivs))
	for _, o := range packOrders {
		total := packOrdered(ivs, align, o.less)
		if best < 0 || total < best {
			best = total
			for i, iv := range ivs {
				bestOffs[i] = iv.off
			}
		}
	}
	for i, iv := range ivs {
		iv.off = bestOffs[i]
	}
	return max(best, 0)
}

// packOrdered places the values in the order less gives, each at the
// lowest aligned offset where it overlaps no placed value live at the same
// time, and returns the arena size.
func packOrdered(ivs []*interval, align int, less func(a, b *interval) int) int {
	order := slices.Clone(ivs)
	slices.SortStableFunc(order, less)
	var placed, conflicts []*interval
	total := 0
	for _, iv := range order {
		conflicts = conflicts[:0]
		for _, q := range placed {
			if q.start <= iv.end && iv.start <= q.end {
				conflicts = append(conflicts, q)
			}
		}
		slices.SortFunc(conflicts, func(a, b *interval) int { return cmp.Compare(a.off, b.off) })
		off := 0
		for _, q := range conflicts {
			if off+iv.size <= q.off {
				break
			}
			off = max(off, alignUp(q.off+q.size, align))
		}
		iv.off = off
		placed = append(placed, iv)
		total = max(total, off+iv.size)
	}
	return total
}

func alignUp(x, align int) int { return (x + align - 1) / align * align }

// lowerBound is the largest total size of the intervals live at one time.
func lowerBound(ivs []*interval, steps int) int {
	delta := make([]int, steps+1)
	for _, iv := range ivs {
		delta[iv.start] += iv.size
		delta[iv.end+1] -= iv.size
	}
	best, live := 0, 0
	for _, d := range delta {
		live += d
		best = max(best, live)
	}
	return best
}

// PlanStats summarizes a plan for dumps and reports.
func PlanStats(pl *ir.Plan) string {
	return fmt.Sprintf("arena %d elems (naive %d, lower bound %d), int arena %d elems (naive %d), u8 arena %d elems (naive %d)",
		pl.ArenaElems, pl.NaiveElems, pl.LowerBound, pl.IntArena.Elems, pl.IntArena.Naive, pl.U8Arena.Elems, pl.U8Arena.Naive)
}
