package driver

import (
	"fmt"

	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/passes"
)

func runIR(e *env, args []string) error {
	fs := newFlagSet(e, "ir")
	var cf compileFlags
	cf.register(fs)
	dot := fs.Bool("dot", false, "print a Graphviz digraph of one func instead of the text form")
	fn := fs.String("func", "train", "the func -dot draws (infer, eval or train)")
	after := fs.String("pass", "", "print the IR after this pass (default: right after lowering)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	name, src, opts, err := cf.load(fs)
	if err != nil {
		return err
	}
	prog, err := Front(name, src, opts)
	if err != nil {
		return err
	}
	if *after != "" {
		cfg := opts.Passes
		cfg.GradInputs = opts.GradInputs
		var snapshot string
		cfg.DumpPasses = map[string]bool{*after: true}
		cfg.Dump = func(_ string, p *ir.Program) { snapshot = p.String() }
		if err := passes.Run(prog, cfg); err != nil {
			return err
		}
		if snapshot == "" {
			return usagef("pass %s did not run (passes: %v)", *after, passes.PassNames())
		}
		if !*dot {
			_, err := fmt.Fprint(e.stdout, snapshot)
			return err
		}
	}
	if *dot {
		f := prog.Lookup(*fn)
		if f == nil {
			return usagef("model %s has no func %s", prog.Name, *fn)
		}
		return ir.WriteDot(e.stdout, f)
	}
	return ir.Print(e.stdout, prog)
}
