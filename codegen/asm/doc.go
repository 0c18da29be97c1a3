// Package asm generates amd64 assembly kernels specialized to constant
// shapes, each with a Go stub, a pure-Go twin and a CPU-feature dispatch.
//
// It is ordinary Go that builds on every GOARCH: it only writes assembly
// text, through avo's build.Context (virtual registers, register
// allocation, frame and stub checks). Generate takes a package name and a
// list of kernel specs and returns a Unit, the files to drop into that
// package:
//
//	zgemm_amd64.s       the kernels: an AVX-512 and an AVX2+FMA variant each
//	zgemm_amd64.go      their body-less stubs (amd64 && gc && !purego)
//	zgemm_dispatch.go   the exported wrappers, which pick a variant once at
//	                    init via golang.org/x/sys/cpu (same tag)
//	zgemm_purego.go     the wrappers calling the Go twins (!amd64 || !gc || purego)
//	zgemm_generic.go    the Go twins, used by the purego build and as the
//	                    fallback on amd64 CPUs without AVX2 and FMA
//
// The twin of each kernel is its specification: its doc comment is the
// reference loop, and tests compare the assembly against it.
//
// Package asm must not import the rest of dlc; codegen calls it.
package asm
