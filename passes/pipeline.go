package passes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dlc-lang/dlc/ir"
)

// Config controls a run of the pipeline.
type Config struct {
	GradInputs []string        // inputs that also get gradients (dlc build -grad-input)
	Disabled   map[string]bool // optional passes turned off (-d=off=NAME)
	O0         bool            // run only the required passes
	Check      bool            // verify the IR after every pass (-d=check)
	// Dump, when set, is called with the program after each pass named in DumpPasses.
	Dump       func(pass string, p *ir.Program)
	DumpPasses map[string]bool
}

// pass is one row of the pipeline table.
type pass struct {
	name     string
	fn       func(p *ir.Program, cfg *Config) error
	required bool
	doc      string
}

// pipeline lists the passes in the order they run (the Go compiler's
// ssa/compile.go style): lowering happens before, codegen after.
var pipeline = [...]pass{
	{name: "simplify", fn: func(p *ir.Program, _ *Config) error { return Simplify(p) }, required: true,
		doc: "algebraic identities and stable loss fusion (sigmoid+bce, log_softmax+nll)"},
	{name: "cse", fn: func(p *ir.Program, _ *Config) error { return EliminateCommonSubexpressions(p) },
		doc: "merge identical computations"},
	{name: "autodiff", fn: runAutodiff, required: true,
		doc: "append the backward graph to the train func"},
	{name: "simplify-backward", fn: func(p *ir.Program, _ *Config) error { return Simplify(p) },
		doc: "simplify the gradient graph"},
	{name: "fold-constants", fn: func(p *ir.Program, _ *Config) error { return FoldConstants(p) },
		doc: "computations on constants become constants"},
	{name: "cse-backward", fn: func(p *ir.Program, _ *Config) error { return EliminateCommonSubexpressions(p) },
		doc: "merge identical gradient computations"},
	{name: "save-argmax", fn: func(p *ir.Program, _ *Config) error { return SaveArgmax(p) },
		doc: "max pooling's backward reads saved argmax indices, not the full-size input"},
	{name: "fuse", fn: func(p *ir.Program, _ *Config) error { return Fuse(p) },
		doc: "elementwise chains into one loop, bias and activation into products' epilogues"},
	{name: "attach-reductions", fn: func(p *ir.Program, _ *Config) error { return AttachReductions(p) },
		doc: "sums (bias gradients) computed in their producer's kernel"},
	{name: "shard", fn: func(p *ir.Program, _ *Config) error { return Shard(p) },
		doc: "split a train step's batch into parts that run apart on the threads (data parallelism)"},
	{name: "schedule", fn: func(p *ir.Program, _ *Config) error { return Schedule(p) },
		doc: "reorder values to lower peak live memory, when that helps"},
	{name: "memplan", fn: planMemoryAll, required: true,
		doc: "place every value in the arena by liveness"},
}

// passOrder lists constraints "a runs before b", checked at init.
var passOrder = [...][2]string{
	{"simplify", "autodiff"},
	{"autodiff", "simplify-backward"},
	{"autodiff", "memplan"},
	{"simplify-backward", "memplan"},
	{"fold-constants", "fuse"},
	{"attach-reductions", "schedule"},
	{"schedule", "memplan"},
	{"fuse", "shard"},
	{"attach-reductions", "shard"},
	{"save-argmax", "shard"},
	{"shard", "schedule"},
	{"shard", "memplan"},
	{"cse-backward", "fuse"},
	{"cse-backward", "save-argmax"},
	{"save-argmax", "fuse"},
	{"fuse", "memplan"},
	{"fuse", "attach-reductions"},
	{"attach-reductions", "memplan"},
}

func init() {
	index := map[string]int{}
	for i, p := range pipeline {
		index[p.name] = i
	}
	for _, c := range passOrder {
		a, okA := index[c[0]]
		b, okB := index[c[1]]
		if !okA || !okB || a >= b {
			panic(fmt.Sprintf("passes: pipeline violates order constraint %s before %s", c[0], c[1]))
		}
	}
}

// PassNames lists the pipeline's passes with whether each is required.
func PassNames() []string {
	names := make([]string, len(pipeline))
	for i, p := range pipeline {
		names[i] = p.name
		if p.required {
			names[i] += " (required)"
		}
	}
	return names
}

// Run runs the pipeline on p. A pass's failure is returned with the pass
// named; a panic in a pass is a compiler bug and is reported as such.
func Run(p *ir.Program, cfg Config) (err error) {
	if err := checkDisabled(cfg.Disabled); err != nil {
		return err
	}
	for _, ps := range pipeline {
		if !ps.required && (cfg.O0 || cfg.Disabled[ps.name]) {
			continue
		}
		if err := runPass(ps, p, &cfg); err != nil {
			return err
		}
		if cfg.Check {
			if err := ir.Verify(p); err != nil {
				return fmt.Errorf("internal error: IR invalid after pass %s: %w", ps.name, err)
			}
		}
		if cfg.Dump != nil && cfg.DumpPasses[ps.name] {
			cfg.Dump(ps.name, p)
		}
	}
	return nil
}

func runPass(ps pass, p *ir.Program, cfg *Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in pass %s while compiling %s: %v", ps.name, p.Name, r)
		}
	}()
	return ps.fn(p, cfg)
}

func checkDisabled(disabled map[string]bool) error {
	var bad []string
	for name := range disabled {
		found := false
		for _, p := range pipeline {
			if p.name == name {
				found = true
				if p.required {
					return fmt.Errorf("pass %s is required and cannot be disabled", name)
				}
			}
		}
		if !found {
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("unknown pass %s (passes: %s)", strings.Join(bad, ", "), strings.Join(PassNames(), ", "))
	}
	return nil
}

func runAutodiff(p *ir.Program, cfg *Config) error {
	f := p.Lookup("train")
	if f == nil {
		return nil // an inference-only model
	}
	return Autodiff(p, f, AutodiffOptions{Inputs: cfg.GradInputs})
}

func planMemoryAll(p *ir.Program, _ *Config) error {
	for _, f := range p.Funcs {
		if err := PlanMemory(p, f); err != nil {
			return fmt.Errorf("func %s: %w", f.Name, err)
		}
	}
	return nil
}
