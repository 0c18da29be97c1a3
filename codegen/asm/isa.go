package asm

// Names of the implementations of each kernel; see GEMMSpec.variant.
const (
	variantAVX512  = "AVX512"
	variantAVX2    = "AVX2"
	variantGeneric = "Generic"
)

// An isa describes one vector instruction set the kernels are emitted for.
type isa struct {
	name  string // variant suffix
	bytes int    // vector width in bytes
	regs  int    // addressable vector registers
	// flag is the dispatch variable that selects this variant.
	flag string
}

var (
	isaAVX512 = &isa{name: variantAVX512, bytes: 64, regs: 32, flag: "useAVX512"}
	isaAVX2   = &isa{name: variantAVX2, bytes: 32, regs: 16, flag: "useAVX2"}
)

// isas lists the assembly variants in order of preference.
var isas = []*isa{isaAVX512, isaAVX2}

// lanes returns the elements per vector for elements of size bytes.
func (x *isa) lanes(size int) int { return x.bytes / size }

// reserved holds the package-level names the generated files declare
// besides the kernels.
var reserved = map[string]struct{}{
	isaAVX512.flag: {},
	isaAVX2.flag:   {},
}
