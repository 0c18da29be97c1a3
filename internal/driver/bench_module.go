package driver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// dlcModule is the module whose runtime package generated code imports.
const dlcModule = "github.com/dlc-lang/dlc"

// moduleSource is a directory holding the dlc module's source.
type moduleSource struct {
	Dir       string
	GoVersion string
}

// findDLC locates the source of the dlc module: the one the current
// directory's module uses (the dlc repository itself, or a user module that
// requires dlc), else the version this binary was built from, fetched into
// the module cache.
func findDLC(goCmd string) (moduleSource, error) {
	var src moduleSource
	out, err := goOutput(goCmd, "", "list", "-m", "-json", dlcModule)
	if err == nil && json.Unmarshal(out, &src) == nil && src.Dir != "" {
		return src, nil
	}
	listErr := err
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == dlcModule && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		var dl moduleSource
		out, err := goOutput(goCmd, os.TempDir(), "mod", "download", "-json", dlcModule+"@"+bi.Main.Version)
		if err == nil && json.Unmarshal(out, &dl) == nil && dl.Dir != "" {
			if gv, err := goVersionOf(filepath.Join(dl.Dir, "go.mod")); err == nil {
				dl.GoVersion = gv
			}
			return dl, nil
		}
	}
	if listErr == nil {
		listErr = fmt.Errorf("no source directory")
	}
	return src, fmt.Errorf("cannot find the source of %s (run dlc bench in a module that requires it): %v", dlcModule, listErr)
}

// goOutput runs the go command in dir and returns its standard output; the
// error carries its standard error.
func goOutput(goCmd, dir string, args ...string) ([]byte, error) {
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// goVersionOf reads the go directive of a go.mod file.
func goVersionOf(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("%s has no go directive", gomod)
}

// writeBenchModule writes a module into dir that holds the generated
// package (as dlcbench/model) and the benchmark's main.go, and that
// resolves the dlc module to src with a replace directive.
func writeBenchModule(dir string, src moduleSource, files map[string][]byte, mainGo []byte) error {
	gv := src.GoVersion
	if gv == "" {
		gv = "1.22"
	}
	gomod := fmt.Sprintf("module dlcbench\n\ngo %s\n\nrequire %s v0.0.0\n\nreplace %s => %s\n",
		gv, dlcModule, dlcModule, filepath.ToSlash(src.Dir))
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	if sum, err := os.ReadFile(filepath.Join(src.Dir, "go.sum")); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), mainGo, 0o644); err != nil {
		return err
	}
	return writePackage(filepath.Join(dir, "model"), files)
}
