package ir

// Plan says where each value of a Func lives at run time. The memory
// planning pass fills it and codegen reads it; see passes/memplan.go.
type Plan struct {
	// ArenaElems is the size of the scratch arena, in elements of the
	// program's float type (for the maximum batch size).
	ArenaElems int
	// Loc maps every value that needs storage to its location.
	Loc map[*Value]Loc
}

// Space is a memory region of a generated model.
type Space uint8

const (
	SpaceArena  Space = iota + 1 // scratch, reused between values whose lifetimes do not overlap
	SpaceParam                   // the parameter block (one contiguous slice, p.Params order)
	SpaceGrad                    // the gradient block, laid out like the parameter block
	SpaceBuffer                  // the buffer block (running statistics)
	SpaceInput                   // a caller's input slice, read in place
	SpaceOutput                  // a caller's output slice, written in place
	SpaceIntArena                // scratch for i32 values
)

// Loc is a location: a region, an element offset in it, and for inputs and
// outputs the name of the caller's slice.
type Loc struct {
	Space  Space
	Offset int
	Name   string
}
