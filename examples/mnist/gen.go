package main

//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o model -pkg model lenet.dl
