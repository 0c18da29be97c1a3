package passes

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// checkPlan verifies f.Plan from first principles, without the pass's own
// helpers: every value has a location; reshapes share their argument's;
// sources sit where the model keeps them; arena values are aligned, inside
// the arena, and never share memory with an arena value live at the same
// time; the reported numbers match a direct count.
func checkPlan(t *testing.T, p *ir.Program, f *ir.Func) {
	t.Helper()
	pl := f.Plan
	if pl == nil {
		t.Fatal("no plan")
	}
	pOff, _ := ir.Layout(p.Params)
	bOff, _ := ir.Layout(p.Buffers)
	index := map[*ir.Value]int{}
	for i, v := range f.Values {
		index[v] = i
	}
	// Storage owner and live interval of every value, reshapes folded into
	// their argument's owner.
	owner := func(v *ir.Value) *ir.Value {
		for v.Op == ir.OpReshape {
			v = v.Args[0]
		}
		return v
	}
	last := map[*ir.Value]int{}
	for i, v := range f.Values {
		last[owner(v)] = max(last[owner(v)], i)
		for _, a := range v.Args {
			last[owner(a)] = max(last[owner(a)], i)
			// A slice read in place keeps its argument alive (fuse_views.go).
			for s := owner(a); s.Op == ir.OpSlice && s.Attrs.Bool("view"); s = owner(s.Args[0]) {
				last[owner(s.Args[0])] = max(last[owner(s.Args[0])], i)
			}
		}
	}
	for _, r := range f.Results {
		last[owner(r.Value)] = len(f.Values)
	}
	type span struct {
		v                     *ir.Value
		start, end, off, size int
		space                 ir.Space
	}
	var spans []span
	// The arenas, the dtype each holds, and their alignment in elements
	// (a cache line at least).
	arenas := map[ir.Space]ir.ArenaSize{
		ir.SpaceArena:    {Elems: pl.ArenaElems, Naive: pl.NaiveElems, LowerBound: pl.LowerBound},
		ir.SpaceIntArena: pl.IntArena,
		ir.SpaceU8Arena:  pl.U8Arena,
	}
	spaceOf := map[ir.DType]ir.Space{ir.F32: ir.SpaceArena, ir.F64: ir.SpaceArena, ir.I32: ir.SpaceIntArena, ir.U8: ir.SpaceU8Arena}
	alignOf := map[ir.Space]int{ir.SpaceArena: ArenaAlign, ir.SpaceIntArena: ArenaAlign, ir.SpaceU8Arena: 64}
	naive := map[ir.Space]int{}
	for i, v := range f.Values {
		loc, ok := pl.Loc[v]
		if !ok {
			t.Fatalf("v%d (%s) has no location", v.ID, v.Op)
		}
		switch {
		case v.Op == ir.OpReshape:
			if loc != pl.Loc[v.Args[0]] {
				t.Errorf("reshape v%d at %v, its argument at %v", v.ID, loc, pl.Loc[v.Args[0]])
			}
			continue
		case v.Op == ir.OpInput:
			if loc != (ir.Loc{Space: ir.SpaceInput, Name: v.Attrs.Str("name")}) {
				t.Errorf("input v%d at %v", v.ID, loc)
			}
			continue
		case v.Op == ir.OpParam:
			want := ir.Loc{}
			for j, q := range p.Params {
				if q.Name == v.Attrs.Str("name") {
					want = ir.Loc{Space: ir.SpaceParam, Offset: pOff[j]}
				}
			}
			for j, q := range p.Buffers {
				if q.Name == v.Attrs.Str("name") {
					want = ir.Loc{Space: ir.SpaceBuffer, Offset: bOff[j]}
				}
			}
			if loc != want {
				t.Errorf("param v%d at %v, want %v", v.ID, loc, want)
			}
			continue
		}
		size := v.Type.Shape.Elems(f.ShardRows(p.Batch))
		switch loc.Space {
		case ir.SpaceArena, ir.SpaceIntArena, ir.SpaceU8Arena:
			if want := spaceOf[v.Type.DType]; loc.Space != want {
				t.Errorf("v%d of type %v in %v, want %v", v.ID, v.Type, loc.Space, want)
			}
			if loc.Offset%alignOf[loc.Space] != 0 {
				t.Errorf("v%d at unaligned offset %d", v.ID, loc.Offset)
			}
			if loc.Offset < 0 || loc.Offset+size > arenas[loc.Space].Elems {
				t.Errorf("v%d at %v+%d overruns the arena of %d", v.ID, loc, size, arenas[loc.Space].Elems)
			}
			naive[loc.Space] += size
			start := i
			if ir.IsCompanion(v) { // written by its producer's kernel
				start = index[v.Args[0]]
			}
			spans = append(spans, span{v, start, last[v], loc.Offset, size, loc.Space})
		case ir.SpaceGrad:
			found := false
			for _, r := range f.Results {
				if owner(r.Value) == v {
					for j, q := range p.Params {
						found = found || (r.Name == "grad."+q.Name && loc.Offset == pOff[j] && q.Type.Shape.Elems(1) == size)
					}
				}
			}
			if !found {
				t.Errorf("v%d at %v is no gradient result at its parameter's offset", v.ID, loc)
			}
		case ir.SpaceOutput:
			if f.Name != "infer" || f.Result(loc.Name) == nil || owner(f.Result(loc.Name)) != v {
				t.Errorf("v%d at %v is not that output", v.ID, loc)
			}
		default:
			t.Errorf("v%d (%s) at %v", v.ID, v.Op, loc)
		}
	}
	for i, a := range spans {
		for _, b := range spans[i+1:] {
			if a.space != b.space || a.start > b.end || b.start > a.end {
				continue
			}
			if a.off < b.off+b.size && b.off < a.off+a.size {
				t.Errorf("v%d [%d,%d] at %d+%d and v%d [%d,%d] at %d+%d overlap in time and memory",
					a.v.ID, a.start, a.end, a.off, a.size, b.v.ID, b.start, b.end, b.off, b.size)
			}
		}
	}
	for space, a := range arenas {
		lower := 0
		n := 0
		for step := 0; step <= len(f.Values); step++ {
			live := 0
			for _, s := range spans {
				if s.space == space && s.start <= step && step <= s.end {
					live += s.size
				}
			}
			lower = max(lower, live)
		}
		for _, s := range spans {
			if s.space == space {
				n++
			}
		}
		if a.Naive != naive[space] || a.LowerBound != lower {
			t.Errorf("%v: naive %d, lower bound %d; counted %d, %d", space, a.Naive, a.LowerBound, naive[space], lower)
		}
		if a.Elems < a.LowerBound || a.Elems > a.Naive+alignOf[space]*n {
			t.Errorf("%v: arena %d outside [lower bound %d, naive %d + alignment]", space, a.Elems, a.LowerBound, a.Naive)
		}
	}
}

func parse(t *testing.T, src string) *ir.Program {
	t.Helper()
	p, err := ir.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func planAll(t *testing.T, p *ir.Program) {
	t.Helper()
	for _, f := range p.Funcs {
		if err := PlanMemory(p, f); err != nil {
			t.Fatal(err)
		}
		checkPlan(t, p, f)
	}
}

func TestPlanMemoryMLP(t *testing.T) {
	src, err := os.ReadFile("../ir/testdata/mlp_small.ir")
	if err != nil {
		t.Fatal(err)
	}
	planAll(t, parse(t, string(src)))
}

// A chain a -> b -> c -> d of equal sizes needs two slots: each value dies
// as the next but one is born.
const chainIR = `program chain batch=4
input x f32[B,8]
param w f32[8] init=zeros()
param s f32[] init=zeros()
func train {
  %0 = input {name="x"} : f32[B,8]
  %1 = relu %0 : f32[B,8]
  %2 = exp %1 : f32[B,8]
  %3 = neg %2 : f32[B,8]
  %4 = tanh %3 : f32[B,8]
  %5 = reshape %4 {shape=[-1,2,4]} : f32[B,2,4]
  %6 = sum %5 {axes=[0,1]} : f32[4]
  %7 = reshape %6 {shape=[2,2]} : f32[2,2]
  %8 = reshape %7 {shape=[4]} : f32[4]
  %9 = param {name="w"} : f32[8]
  %10 = sum %4 {axes=[0]} : f32[8]
  %11 = mean %10 {axes=[0]} : f32[]
  result loss = %11
  result grad.w = %10
  result grad.s = %11
  result out = %8
}
func infer {
  %0 = input {name="x"} : f32[B,8]
  %1 = relu %0 : f32[B,8]
  %2 = reshape %1 {shape=[-1,4,2]} : f32[B,4,2]
  result out = %2
  result x = %0
}
`

func TestPlanMemoryChain(t *testing.T) {
	p := parse(t, chainIR)
	planAll(t, p)
	f := p.Lookup("train")
	v := f.Values
	pl := f.Plan
	if pl.ArenaElems != 64 || pl.NaiveElems != 4*32+4 || pl.LowerBound != 64 {
		t.Errorf("%s", PlanStats(pl))
	}
	if pl.Loc[v[1]] != pl.Loc[v[3]] || pl.Loc[v[2]].Offset != 32 {
		t.Errorf("chain not packed into two slots: %v %v %v", pl.Loc[v[1]], pl.Loc[v[2]], pl.Loc[v[3]])
	}
	if want := (ir.Loc{Space: ir.SpaceGrad, Offset: 0}); pl.Loc[v[10]] != want {
		t.Errorf("grad.w at %v, want %v", pl.Loc[v[10]], want)
	}
	// The loss is also grad.s: the scalar lives in the gradient block.
	if want := (ir.Loc{Space: ir.SpaceGrad, Offset: 8}); pl.Loc[v[11]] != want {
		t.Errorf("grad.s at %v, want %v", pl.Loc[v[11]], want)
	}
	if pl.Loc[v[8]] != pl.Loc[v[6]] || pl.Loc[v[6]].Space != ir.SpaceArena {
		t.Errorf("reshape chain %v, root %v", pl.Loc[v[8]], pl.Loc[v[6]])
	}
	g := p.Lookup("infer")
	if want := (ir.Loc{Space: ir.SpaceOutput, Name: "out"}); g.Plan.Loc[g.Values[1]] != want || g.Plan.Loc[g.Values[2]] != want {
		t.Errorf("infer output at %v", g.Plan.Loc[g.Values[1]])
	}
	if g.Plan.ArenaElems != 0 {
		t.Errorf("infer arena %d, want 0", g.Plan.ArenaElems)
	}
}

func TestPlanMemoryErrors(t *testing.T) {
	p := parse(t, chainIR)
	p.Params = p.Params[:1]
	if err := PlanMemory(p, p.Lookup("train")); err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	p.Params = nil
	err := PlanMemory(p, p.Lookup("train"))
	if err == nil || err.Error() != `memplan: func train: no parameter or buffer named "w"` {
		t.Errorf("got %v", err)
	}
}

func TestPlanMemoryDeterministic(t *testing.T) {
	for seed := range uint64(5) {
		p1, p2 := randomProgram(seed), randomProgram(seed)
		for i := range p1.Funcs {
			f1, f2 := p1.Funcs[i], p2.Funcs[i]
			if err := PlanMemory(p1, f1); err != nil {
				t.Fatal(err)
			}
			if err := PlanMemory(p2, f2); err != nil {
				t.Fatal(err)
			}
			for j, v := range f1.Values {
				if f1.Plan.Loc[v] != f2.Plan.Loc[f2.Values[j]] {
					t.Fatalf("seed %d: v%d planned at %v and %v", seed, v.ID, f1.Plan.Loc[v], f2.Plan.Loc[f2.Values[j]])
				}
			}
		}
	}
}

func TestPlanMemoryRandom(t *testing.T) {
	saved := 0
	for seed := range uint64(200) {
		p := randomProgram(seed)
		if err := ir.Verify(p); err != nil {
			t.Fatalf("seed %d: generator made a bad program: %v\n%s", seed, err, p)
		}
		for _, f := range p.Funcs {
			if err := PlanMemory(p, f); err != nil {
				t.Fatal(err)
			}
			checkPlan(t, p, f)
			saved += f.Plan.NaiveElems - f.Plan.ArenaElems
			if t.Failed() {
				t.Fatalf("seed %d:\n%s", seed, p)
			}
		}
	}
	if saved <= 0 {
		t.Errorf("reuse saved nothing over 200 random programs")
	}
}

// randomProgram builds a random DAG of elementwise ops, reductions,
// reshapes, casts and matmuls over a few shapes, with random results:
// outputs, gradients of the parameters and a loss.
func randomProgram(seed uint64) *ir.Program {
	r := rand.New(rand.NewPCG(seed, 7))
	p := &ir.Program{Name: "rnd", Batch: 1 + r.IntN(8)}
	dims := []int{1, 3, 8, 20}
	p.Inputs = []*ir.Decl{{Name: "x", Role: "input", Type: ir.T(ir.F32, ir.B, 20)}}
	for i := range 3 {
		p.Params = append(p.Params, &ir.Param{Name: fmt.Sprintf("w%d", i), Type: ir.T(ir.F32, dims[r.IntN(4)], 20)})
	}
	p.Buffers = []*ir.Param{{Name: "b0", Type: ir.T(ir.F32, 20)}}
	name := "train"
	if seed%3 == 0 {
		name = "infer"
	}
	f := &ir.Func{Name: name}
	b := ir.NewBuilder(f)
	pool := []*ir.Value{b.Input(p.Inputs[0])}
	for _, q := range append(append([]*ir.Param{}, p.Params...), p.Buffers...) {
		pool = append(pool, b.Param(q))
	}
	pick := func() *ir.Value { return pool[r.IntN(len(pool))] }
	for range 10 + r.IntN(40) {
		a := pick()
		var v *ir.Value
		var err error
		switch r.IntN(8) {
		case 0, 1:
			v, err = b.Op(ir.OpRelu, nil, a)
		case 2, 3:
			v, err = b.Op(ir.OpAdd, nil, a, pick())
		case 4:
			axis := r.IntN(a.Type.Shape.Rank()+1) - 1 // -1 is the last axis; fails on scalars
			v, err = b.Op(ir.OpSum, ir.Attrs{"axes": []int{axis}, "keepdims": r.IntN(2) == 0}, a)
		case 5:
			v, err = b.Op(ir.OpReshape, ir.Attrs{"shape": []int(a.Type.Shape)}, a)
		case 6:
			if a.Type.DType == ir.I32 {
				v, err = b.Op(ir.OpCast, ir.Attrs{"dtype": "f32"}, a)
			} else {
				v, err = b.Op(ir.OpCast, ir.Attrs{"dtype": "i32"}, a)
			}
		case 7:
			v, err = b.Op(ir.OpMatMul, ir.Attrs{"tb": true}, a, pick())
		}
		if err == nil {
			pool = append(pool, v)
		}
	}
	var floats []*ir.Value
	for _, v := range pool {
		if v.Type.DType == ir.F32 {
			floats = append(floats, v)
		}
	}
	for i := range 1 + r.IntN(4) {
		f.Results = append(f.Results, ir.Result{Name: fmt.Sprintf("out%d", i), Value: floats[r.IntN(len(floats))]})
	}
	if name == "train" {
		for _, q := range p.Params {
			for _, v := range floats {
				if v.Type.Equal(q.Type) && r.IntN(2) == 0 {
					f.Results = append(f.Results, ir.Result{Name: "grad." + q.Name, Value: v})
					break
				}
			}
		}
	}
	p.Funcs = []*ir.Func{f}
	return p
}
