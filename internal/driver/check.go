package driver

import "fmt"

func runCheck(e *env, args []string) error {
	fs := newFlagSet(e, "check")
	var cf compileFlags
	cf.register(fs)
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
	n := 0
	for _, p := range prog.Params {
		n += p.Type.Shape.Elems(0)
	}
	mode := "inference only"
	if prog.Loss != nil {
		mode = fmt.Sprintf("trains with %s and %s", prog.Loss.Kind, prog.Optimizer.Kind)
	}
	fmt.Fprintf(e.stdout, "%s: model %s ok: %d parameters in %d tensors, batch %d, %s\n", name, prog.Name, n, len(prog.Params), prog.Batch, mode)
	return nil
}
