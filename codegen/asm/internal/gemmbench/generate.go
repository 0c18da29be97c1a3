//go:build generate

package gemmbench

//go:generate go run gen.go
