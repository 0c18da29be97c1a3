package codegen

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/codegen/asm"
	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/passes"
)

// Options configure Generate.
type Options struct {
	// Package is the name of the generated Go package.
	Package string
	// Source is the DSL file name ("mlp.dl"), for the header and comments.
	Source string
	// SourceLines is the DSL source, one string per line, so that each
	// kernel can quote the line it comes from.
	SourceLines []string
	// Poison fills each arena value's memory with NaN (floats), -1 (i32)
	// or 255 (u8) right before its kernel writes it (dlc build -d=poison). A
	// plan that hands live memory to another value then corrupts the live
	// value visibly, and a kernel that reads its output before writing it
	// reads NaN: either fails the parity tests.
	Poison bool
}

const runtimePath = "github.com/dlc-lang/dlc/runtime"

// The files of a generated package.
const (
	fileModel   = "zmodel.go"
	fileAPI     = "zapi.go"
	fileKernels = "zkernels.go"
	fileOptim   = "zoptim.go"
)

// entryFuncs are the funcs codegen turns into methods, in emission order.
var entryFuncs = []string{"infer", "eval", "train"}

// Generate returns the Go package for p, file name -> gofmt'd source. It
// plans the memory of funcs that have no plan yet. The output depends only
// on p and opts, byte for byte.
func Generate(p *ir.Program, opts Options) (map[string][]byte, error) {
	if opts.Package == "" || !isIdent(opts.Package) {
		return nil, fmt.Errorf("codegen: invalid package name %q", opts.Package)
	}
	if err := ir.Verify(p); err != nil {
		return nil, fmt.Errorf("codegen: %v", err)
	}
	g, err := newGen(p, opts)
	if err != nil {
		return nil, fmt.Errorf("codegen: %v", err)
	}
	if err := g.build(); err != nil {
		return nil, fmt.Errorf("codegen: %v", err)
	}
	out := make(map[string][]byte, len(g.files))
	for _, name := range sortedKeys((g.files)) {
		var b bytes.Buffer
		if err := g.files[name].Render(&b); err != nil {
			return nil, fmt.Errorf("codegen: render %s: %v", name, err)
		}
		out[name] = b.Bytes()
	}
	for name, b := range g.raw {
		out[name] = b
	}
	return out, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// gen holds the state of one Generate call.
type gen struct {
	p     *ir.Program
	opts  Options
	float ir.DType // the program's float type
	funcs []*ir.Func
	files map[string]*jen.File
	names *names

	pOff, bOff   []int // ir.Layout of params and buffers
	pSize, bSize int
	counters     []int             // indices in p.Buffers of integer counters
	kernelByBody map[string]string // rendered kernel -> its function name, to share identical kernels
	kernelDecls  []jen.Code        // kernel functions in order of first use
	helpers      map[string]bool   // kernel helpers used (helpers.go)
	apiUsed      map[string]bool   // entry-point helpers used (api.go)
	calls        map[*ir.Value]*call

	gemms    []asm.GEMMSpec    // GEMM kernels used, in order of first use (gemm.go)
	gemmSeen map[string]bool   // names of gemms
	raw      map[string][]byte // files rendered elsewhere (the GEMM kernels)
	drops    []dropLayer       // dropout layers whose masks SetDropoutMask fixes (dropout.go)

	elems       []asm.ElemSpec    // vector elementwise kernels, in order of first use (vector.go)
	elemSeen    map[string]string // kernel names by expression
	elemHelpers map[string]bool   // float32 math helpers of the elementwise files used
	multis      []asm.MultiSpec   // multi-output vector kernels: the optimizer update (optim.go)
	convs       []asm.ConvSpec    // direct convolution kernels (conv_direct.go)
	convSeen    map[string]string // their names by shape
	pools       []asm.PoolSpec    // max pooling kernels (pool_asm.go)
	poolSeen    map[string]string // their names by shape
	packs       []packedW         // weights packed once per update (packed.go)
	packSeen    map[string]int    // index in packs by routine and parameter offset

	u8 bool // some value is u8 (max pooling's window offsets): jobs carry uint8 slices

	// recv is the receiver whose memory (arenas, gradients, scratch, job)
	// the run method being emitted uses: "m", or "s" in a part of a split
	// train step (shard.go).
	recv    string
	partAdd string // the vector add of the parts' gradients, or ""
}

// call is how a run method invokes the kernel of one value.
type call struct {
	name string
	k    *kernel
}

func newGen(p *ir.Program, opts Options) (*gen, error) {
	g := &gen{p: p, opts: opts, recv: "m", files: map[string]*jen.File{}, kernelByBody: map[string]string{},
		helpers: map[string]bool{}, apiUsed: map[string]bool{}, calls: map[*ir.Value]*call{},
		gemmSeen: map[string]bool{}, raw: map[string][]byte{}}
	var err error
	if g.float, err = floatType(p); err != nil {
		return nil, err
	}
	if p.Batch <= 0 {
		return nil, fmt.Errorf("batch size %d is not positive", p.Batch)
	}
	for _, name := range entryFuncs {
		if f := p.Lookup(name); f != nil {
			g.funcs = append(g.funcs, f)
		}
	}
	for _, f := range p.Funcs {
		if !slices.Contains(entryFuncs, f.Name) {
			return nil, fmt.Errorf("func %s: only infer, eval and train can be generated", f.Name)
		}
	}
	g.pOff, g.pSize = ir.Layout(p.Params)
	g.bOff, g.bSize = ir.Layout(p.Buffers)
	for i, q := range p.Buffers {
		if q.Type.DType == ir.I32 {
			if q.Init.Kind != "counter" || q.Type.Shape.Elems(1) != 1 {
				return nil, fmt.Errorf("buffer %s: integer buffers must be scalar counters, got %v init=%s", q.Name, q.Type, q.Init.Kind)
			}
			g.counters = append(g.counters, i)
		}
	}
	if err := g.checkInits(); err != nil {
		return nil, err
	}
	g.drops = dropLayers(g)
	if g.names, err = newNames(g); err != nil {
		return nil, err
	}
	for _, f := range g.funcs {
		for _, v := range f.Values {
			g.u8 = g.u8 || v.Type.DType == ir.U8
		}
		if f.Plan == nil {
			if err := passes.PlanMemory(p, f); err != nil {
				return nil, err
			}
		}
	}
	return g, nil
}

// floatType is the one float type of p's inputs, parameters and values.
func floatType(p *ir.Program) (ir.DType, error) {
	var ft ir.DType
	check := func(what string, d ir.DType) error {
		if !d.IsFloat() {
			return nil
		}
		if ft == 0 {
			ft = d
		}
		if d != ft {
			return fmt.Errorf("%s is %v but the program computes in %v: mixed float types are not supported", what, d, ft)
		}
		return nil
	}
	for _, d := range p.Inputs {
		if err := check("input "+d.Name, d.Type.DType); err != nil {
			return 0, err
		}
	}
	for _, q := range append(slices.Clone(p.Params), p.Buffers...) {
		if err := check("parameter "+q.Name, q.Type.DType); err != nil {
			return 0, err
		}
	}
	for _, q := range p.Params {
		if !q.Type.DType.IsFloat() {
			return 0, fmt.Errorf("parameter %s is %v: trainable parameters must be float", q.Name, q.Type)
		}
	}
	for _, f := range p.Funcs {
		for _, v := range f.Values {
			if err := check(fmt.Sprintf("func %s: v%d (%s)", f.Name, v.ID, v.Op), v.Type.DType); err != nil {
				return 0, err
			}
		}
	}
	if ft == 0 {
		ft = ir.F32
	}
	return ft, nil
}

// build emits every file.
func (g *gen) build() error {
	for _, f := range g.funcs {
		if err := g.buildKernels(f); err != nil {
			return fmt.Errorf("func %s: %v", f.Name, err)
		}
	}
	g.registerPartAdd()
	model := g.newFile(fileModel)
	model.PackageComment(fmt.Sprintf("Package %s is a dlc-compiled model: %s, model %s.", g.opts.Package, g.sourceName(), g.p.Name))
	g.emitModel(model)
	g.emitSaveLoad(model)
	api := g.newFile(fileAPI)
	if err := g.emitAPI(api); err != nil {
		return err
	}
	kern := g.newFile(fileKernels)
	for _, d := range g.kernelDecls {
		kern.Add(d)
		kern.Line()
	}
	g.emitHelpers(kern)
	if g.p.Lookup("train") != nil {
		optim := g.newFile(fileOptim)
		if err := g.emitOptimizer(optim); err != nil {
			return err
		}
	}
	return g.emitGEMMFiles()
}

func (g *gen) sourceName() string {
	if g.opts.Source != "" {
		return g.opts.Source
	}
	if g.p.File != "" {
		return g.p.File
	}
	return g.p.Name + ".dl"
}

func (g *gen) newFile(name string) *jen.File {
	f := jen.NewFilePathName(g.opts.Package, g.opts.Package)
	f.ImportName(runtimePath, "runtime")
	f.HeaderComment(fmt.Sprintf("Code generated by dlc build %s. DO NOT EDIT.", g.sourceName()))
	g.files[name] = f
	return f
}
