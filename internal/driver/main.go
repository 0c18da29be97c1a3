package driver

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitModel = 1 // errors in the model, or a failed compile
	ExitUsage = 2 // bad command line
)

// command is one dlc subcommand.
type command struct {
	name, usage, summary string
	run                  func(env *env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"build", "dlc build [flags] model.dl", "compile a model to a Go package", runBuild},
		{"check", "dlc check [flags] model.dl", "parse and type-check a model", runCheck},
		{"ir", "dlc ir [-dot] [-pass NAME] [flags] model.dl", "print a model's IR (after lowering, or after a pass)", runIR},
		{"fmt", "dlc fmt [-w] model.dl...", "print models in canonical form", runFmt},
		{"bench", "dlc bench [-batch N] [-threads N] [-mode train|infer] [-count N] [-time D] [flags] model.dl", "build a model in a temporary module and time its steps", runBench},
	}
}

// env is what a command may touch.
type env struct {
	stdout, stderr io.Writer
}

// usageError is a command-line mistake (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// Main runs dlc with args (without the program name) and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			for _, c := range commands {
				if c.name == args[1] {
					fmt.Fprintf(stdout, "usage: %s\n", c.usage)
					return ExitOK
				}
			}
		}
		printUsage(stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(e, args[1:])
		var ue *usageError
		switch {
		case err == nil:
			return ExitOK
		case errors.Is(err, flag.ErrHelp):
			return ExitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "dlc %s: %v\nusage: %s\n", c.name, err, c.usage)
			return ExitUsage
		default:
			fmt.Fprintf(stderr, "%v\n", err)
			return ExitModel
		}
	}
	fmt.Fprintf(stderr, "dlc: unknown command %q\n", args[0])
	printUsage(stderr)
	return ExitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "dlc compiles neural-network models written in the dlc language to Go packages.")
	fmt.Fprintln(w, "\nusage: dlc <command> [flags] [arguments]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-6s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'dlc <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that reports usage errors instead of exiting.
func newFlagSet(e *env, c string) *flag.FlagSet {
	fs := flag.NewFlagSet("dlc "+c, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses and wraps flag errors as usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	return nil
}

// readModel reads the single .dl argument.
func readModel(fs *flag.FlagSet) (string, []byte, error) {
	if fs.NArg() != 1 {
		return "", nil, usagef("expected one model file, got %d arguments", fs.NArg())
	}
	name := fs.Arg(0)
	src, err := os.ReadFile(name)
	if err != nil {
		return "", nil, err
	}
	return name, src, nil
}

// listFlag collects a repeatable or comma-separated string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
