//go:build ignore

// gen writes the kernels of asmtest.BenchCases with their tests into the
// current directory, replacing its z* files.
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/dlc-lang/dlc/codegen/asm/internal/asmtest"
)

func main() {
	files, err := asmtest.Package("gemmbench", asmtest.BenchCases())
	if err != nil {
		log.Fatal(err)
	}
	old, err := filepath.Glob("z*")
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			log.Fatal(err)
		}
	}
	if err := asmtest.Write(".", files); err != nil {
		log.Fatal(err)
	}
}
