// Package deps pins modules that the project's next pieces (assembly
// generation, the MNIST example's plot and progress bar) will import, so
// that go mod tidy keeps them. It is deleted once they are imported.
package deps

import (
	_ "github.com/mmcloughlin/avo/build"
	_ "github.com/schollz/progressbar/v3"
	_ "gonum.org/v1/plot"
)
