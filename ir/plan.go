package ir

import "fmt"

// Plan says where each value of a Func lives at run time. The memory
// planning pass fills it and codegen reads it; see passes/memplan.go.
//
// Sizes and offsets count elements, not bytes, and are computed for the
// maximum batch size: a batched value at offset o occupies the first
// n*RowElems elements of its slot when a call passes n rows.
type Plan struct {
	// ArenaElems is the size of the float scratch arena, in elements of the
	// program's float type.
	ArenaElems int

	// NaiveElems is the float arena size without reuse: the sum of the
	// sizes of all float arena values.
	NaiveElems int
	// LowerBound is the largest number of float arena elements live at one
	// point of the schedule; no packing can use less.
	LowerBound int

	// IntArena and U8Arena are the arenas of i32 and u8 values (u8: the
	// window offsets of max pooling), packed like the float arena but apart.
	IntArena, U8Arena ArenaSize

	// Shards is the number of copies of the arenas: a func split into
	// parts (Func.Shards) runs each part on arenas of its own, planned for
	// the rows of one part. The figures above are one copy's.
	Shards int

	// Loc maps every value to its location. Reshapes share their
	// argument's location (a view, no copy).
	Loc map[*Value]Loc
}

// ArenaSize gives the figures of one arena, in elements of its dtype.
type ArenaSize struct {
	Elems      int // the arena's size
	Naive      int // the sum of its values' sizes: the arena without reuse
	LowerBound int // the most elements live at one point of the schedule
}

// Bytes returns the plan's figures in bytes over all its arenas and their
// copies (Shards), float
// elements being float.Size() bytes: the arenas' total size, their total
// without reuse, and the sum of their lower bounds (the arenas are apart,
// so no plan uses less).
func (pl *Plan) Bytes(float DType) (arena, naive, lower int) {
	f := float.Size()
	i, b := I32.Size(), U8.Size()
	c := max(pl.Shards, 1)
	arena = c * (pl.ArenaElems*f + pl.IntArena.Elems*i + pl.U8Arena.Elems*b)
	naive = c * (pl.NaiveElems*f + pl.IntArena.Naive*i + pl.U8Arena.Naive*b)
	lower = c * (pl.LowerBound*f + pl.IntArena.LowerBound*i + pl.U8Arena.LowerBound*b)
	return arena, naive, lower
}

// Space is a memory region of a generated model.
type Space uint8

const (
	SpaceArena    Space = iota + 1 // float scratch, reused between values whose lifetimes do not overlap
	SpaceParam                     // the parameter block (one contiguous slice, p.Params order)
	SpaceGrad                      // the gradient block, laid out like the parameter block
	SpaceBuffer                    // the buffer block (running statistics), p.Buffers order
	SpaceInput                     // a caller's input slice, read in place
	SpaceOutput                    // a caller's output slice, written in place
	SpaceIntArena                  // scratch for i32 values
	SpaceU8Arena                   // scratch for u8 values (pooling window offsets)
)

var spaceNames = [...]string{
	SpaceArena: "arena", SpaceParam: "param", SpaceGrad: "grad", SpaceBuffer: "buffer",
	SpaceInput: "input", SpaceOutput: "output", SpaceIntArena: "intarena",
	SpaceU8Arena: "u8arena",
}

func (s Space) String() string {
	if int(s) < len(spaceNames) && spaceNames[s] != "" {
		return spaceNames[s]
	}
	return fmt.Sprintf("space(%d)", uint8(s))
}

// Loc is a location: a region, an element offset in it, and for inputs and
// outputs the name of the caller's slice.
type Loc struct {
	Space  Space
	Offset int
	Name   string
}

func (l Loc) String() string {
	if l.Space == SpaceInput || l.Space == SpaceOutput {
		return l.Space.String() + " " + l.Name
	}
	return fmt.Sprintf("%v+%d", l.Space, l.Offset)
}

// Layout returns the offset of each of ps in a block that holds the float
// ones contiguously in order, and the block's size: the layout of the
// parameter, gradient and buffer blocks. Integer entries (counters such as
// a batch norm's num_batches_tracked) take no room in the block; their
// offset is -1.
//
// Frozen parameters come after all the others, so that the trainable ones
// are the block's first TrainableElems elements: the optimizer's one flat
// loop covers them and nothing else.
func Layout(ps []*Param) (offsets []int, total int) {
	offsets = make([]int, len(ps))
	for _, frozen := range []bool{false, true} {
		for i, q := range ps {
			if q.Frozen != frozen {
				continue
			}
			if !q.Type.DType.IsFloat() {
				offsets[i] = -1
				continue
			}
			offsets[i] = total
			total += q.Type.Shape.Elems(1)
		}
	}
	return offsets, total
}

// TrainableElems is the number of leading elements of Layout's block
// that hold parameters that are not frozen.
func TrainableElems(ps []*Param) int {
	n := 0
	for _, q := range ps {
		if !q.Frozen && q.Type.DType.IsFloat() {
			n += q.Type.Shape.Elems(1)
		}
	}
	return n
}

// ModelArenas are the arenas a generated model of p allocates, in
// elements of their dtypes: one float, i32 and u8 arena, each the largest
// of its kind over p's funcs, a split func's parts counted side by side
// (part c uses the c-th slice of each arena).
func ModelArenas(p *Program) (floats, ints, bytes int) {
	for _, f := range p.Funcs {
		if pl := f.Plan; pl != nil {
			c := max(pl.Shards, 1)
			floats = max(floats, c*pl.ArenaElems)
			ints = max(ints, c*pl.IntArena.Elems)
			bytes = max(bytes, c*pl.U8Arena.Elems)
		}
	}
	return floats, ints, bytes
}

// ModelArenaBytes is ModelArenas in bytes, float elements being
// float.Size() bytes.
func ModelArenaBytes(p *Program, float DType) int {
	floats, ints, bytes := ModelArenas(p)
	return floats*float.Size() + ints*I32.Size() + bytes*U8.Size()
}
