package main

import (
	"fmt"
	"os"

	"github.com/dlc-lang/dlc/codegen/asm/internal/asmtest"
)

func main() {
	cs := asmtest.OddCases()
	if len(os.Args) > 2 && os.Args[2] == "model" {
		cs = append(asmtest.ModelCases(), asmtest.SquareCases()...)
	}
	files, err := asmtest.Package("kern", cs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := asmtest.Write(os.Args[1], files); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
