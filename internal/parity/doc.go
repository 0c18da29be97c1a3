// Package parity checks dlc against PyTorch: it reads the fixtures under
// testdata/torchref (written by gen.py with python3-torch) and compares
// the reference interpreter and the generated packages with them.
package parity
