//go:build !purego

package codegen

// harnessTags: see tags_purego_test.go.
const harnessTags = ""
