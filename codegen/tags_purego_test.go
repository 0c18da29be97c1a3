//go:build purego

package codegen

// harnessTags are the build tags of the generated packages the exec tests
// build: the test binary's own, so that `go test -tags purego` runs the
// pure-Go twins of the GEMM kernels and a plain `go test` their assembly.
const harnessTags = "purego"
