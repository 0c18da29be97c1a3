package codegen

import (
	"strings"
	"testing"
)

// gatesIR is passes/testdata/fuse/lstm_gates.txtar after fusion: two gate
// slices of a product, read in place ({view=true}) by sigmoid and tanh.
const gatesIR = `program gates batch=4
input x f32[B,6]
param w f32[6,6] init=zeros()

func train {
  %0 = input {name="x"} : f32[B,6]
  %1 = param {name="w"} : f32[6,6]
  %2 = matmul %0, %1 {tb=true} : f32[B,6]
  %3 = slice %2 {axis=1, end=2, start=0, step=1, view=true} : f32[B,2]
  %4 = slice %2 {axis=1, end=6, start=4, step=1, view=true} : f32[B,2]
  %5 = sigmoid %3 : f32[B,2]
  %6 = tanh %4 : f32[B,2]
  %7 = mul %5, %6 : f32[B,2]
  %8 = sum %7 {axes=[0,1]} : f32[]
  %9 = const {value=1.0} : f32[]
  %10 = reshape %9 {shape=[1,1]} : f32[1,1]
  %11 = fused %6, %10, %5 {expr="tanh_grad(a0,mul(a1,a2))"} : f32[B,2]
  %12 = fused %5, %10, %6 {expr="sigmoid_grad(a0,mul(a1,a2))"} : f32[B,2]
  %13 = const {value=0.0} : f32[B,2]
  %14 = concat %12, %13, %11 {axis=1} : f32[B,6]
  %15 = matmul %14, %0 {ta=true} : f32[6,6]
  result loss = %8
  result grad.w = %15
}
`

// TestVectorKernels checks the float32 elementwise kernels of a program
// with gate slices: every elementwise value calls a vector kernel, the
// slices get no kernel (their users read the product in place, row by
// row at the gate's offset), and the twins' file has the math helpers.
func TestVectorKernels(t *testing.T) {
	files, err := Generate(parseProgram(t, gatesIR), Options{Package: "gates"})
	if err != nil {
		t.Fatal(err)
	}
	kern := string(files[fileKernels])
	if strings.Contains(kern, "= slice") {
		t.Errorf("a slice read in place still has a kernel:\n%s", kern)
	}
	for _, want := range []string{"= sigmoid(a0)", "= tanh(a0)", "= tanh_grad(a0,mul(1,a1))"} {
		if !strings.Contains(kern, want) {
			t.Errorf("no vector kernel computing %s", want)
		}
	}
	// tanh reads gate 2 (columns 4..5) of the product at row stride 6, in
	// one call of a row kernel.
	if !strings.Contains(kern, "(n, 2, dst[:n*2], 2, x0[4:][:n*6-4], 6)") {
		t.Errorf("tanh does not read the product in place:\n%s", kern)
	}
	for _, f := range []string{"zelem_amd64.s", "zelem_amd64.go", "zelem_dispatch_amd64.go", "zelem_purego.go", "zelem_generic.go"} {
		if files[f] == nil {
			t.Errorf("no %s", f)
		}
	}
	gen := string(files["zelem_generic.go"])
	for _, h := range []string{"func exp32(", "func sigmoid32(", "func tanh32("} {
		if !strings.Contains(gen, h) {
			t.Errorf("zelem_generic.go lacks %s", h)
		}
	}
}

// TestVectorKernelsOff checks that without the vector kernels and slice
// views the same program keeps its Go loops and slice copies.
func TestVectorKernelsOff(t *testing.T) {
	useElemAsm, useSliceViews = false, false
	defer func() { useElemAsm, useSliceViews = true, true }()
	files, err := Generate(parseProgram(t, gatesIR), Options{Package: "gates"})
	if err != nil {
		t.Fatal(err)
	}
	kern := string(files[fileKernels])
	if strings.Contains(kern, "elem0(") || !strings.Contains(kern, "= slice") {
		t.Errorf("vector kernels or views used while off:\n%s", kern)
	}
	if !strings.Contains(kern, "sigmoid32(") {
		t.Error("float32 Go loops do not use sigmoid32")
	}
}
