package driver

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dlc-lang/dlc/ir"
	"github.com/dlc-lang/dlc/passes"
)

// compileFlags are the flags shared by every command that compiles.
type compileFlags struct {
	model     string
	batch     int
	dtype     string
	gradInput listFlag
	debug     string
	o0        bool
}

func (c *compileFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.model, "model", "", "the model to compile, when the file has several")
	fs.IntVar(&c.batch, "batch", 0, "maximum batch size (default: the file's batch declaration)")
	fs.StringVar(&c.dtype, "dtype", "f32", "floating-point type of the generated code: f32 or f64")
	fs.Var(&c.gradInput, "grad-input", "also compute the gradient of this input (repeatable)")
	fs.StringVar(&c.debug, "d", "", "debug settings, comma-separated: check (verify IR after every pass), dump=PASS (write MODEL.PASS.ir), off=PASS (disable a pass), poison (fill memory with NaN before each value is written)")
	fs.BoolVar(&c.o0, "O0", false, "run only the required passes")
}

// options turns the flags into compile options; dlFile places dumps.
func (c *compileFlags) options(dlFile string) (Options, error) {
	opts := Options{Model: c.model, Batch: c.batch, GradInputs: c.gradInput}
	switch c.dtype {
	case "f32":
	case "f64":
		opts.DType = ir.F64
	default:
		return opts, usagef("-dtype must be f32 or f64, got %q", c.dtype)
	}
	if c.batch < 0 {
		return opts, usagef("-batch must be positive, got %d", c.batch)
	}
	cfg := passes.Config{O0: c.o0, Disabled: map[string]bool{}, DumpPasses: map[string]bool{}}
	for _, item := range strings.Split(c.debug, ",") {
		key, val, _ := strings.Cut(strings.TrimSpace(item), "=")
		switch key {
		case "":
		case "check":
			cfg.Check = true
		case "poison":
			opts.Poison = true
		case "dump":
			cfg.DumpPasses[val] = true
		case "off":
			cfg.Disabled[val] = true
		default:
			return opts, usagef("unknown -d setting %q (want check, dump=PASS, off=PASS or poison)", key)
		}
	}
	if len(cfg.DumpPasses) > 0 {
		base := strings.TrimSuffix(dlFile, filepath.Ext(dlFile))
		var dumpErr error
		cfg.Dump = func(pass string, p *ir.Program) {
			name := fmt.Sprintf("%s.%s.ir", base, pass)
			if err := os.WriteFile(name, []byte(p.String()), 0o644); err != nil && dumpErr == nil {
				dumpErr = err
			}
		}
	}
	opts.Passes = cfg
	return opts, nil
}

// load reads the model file named by the single argument and turns the
// flags into compile options for it.
func (c *compileFlags) load(fs *flag.FlagSet) (name string, src []byte, opts Options, err error) {
	if name, src, err = readModel(fs); err != nil {
		return "", nil, Options{}, err
	}
	opts, err = c.options(name)
	return name, src, opts, err
}
