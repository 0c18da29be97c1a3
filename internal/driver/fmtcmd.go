package driver

import (
	"bytes"
	"os"

	"github.com/dlc-lang/dlc/dsl"
)

func runFmt(e *env, args []string) error {
	fs := newFlagSet(e, "fmt")
	write := fs.Bool("w", false, "write the result back to the file instead of printing it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("expected model files")
	}
	for _, name := range fs.Args() {
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		f, err := dsl.Parse(name, src)
		if err != nil {
			return err
		}
		out := dsl.Format(f)
		if !*write {
			if _, err := e.stdout.Write(out); err != nil {
				return err
			}
			continue
		}
		if !bytes.Equal(out, src) {
			if err := os.WriteFile(name, out, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
