package ir

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestParsePrintRoundTrip(t *testing.T) {
	src, err := os.ReadFile("testdata/mlp_small.ir")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(p); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Print(&out, p); err != nil {
		t.Fatal(err)
	}
	if out.String() != string(src) {
		t.Errorf("round trip differs:\n%s", out.String())
	}
}

func TestParseErrors(t *testing.T) {
	head := "program m batch=4\ninput x f32[B,3]\nparam w f32[2,3] init=zeros()\nfunc f {\n  %0 = input {name=\"x\"} : f32[B,3]\n  %1 = param {name=\"w\"} : f32[2,3]\n"
	for _, tc := range []struct{ body, want string }{
		{"  %2 = matmul %0, %1 : f32[B,2]\n}\n", "matmul: inner dimensions differ: [B,3] x [2,3]"},
		{"  %2 = matmul %0, %1 {tb=true} : f32[B,3]\n}\n", "has type f32[B,3], the op's rule gives f32[B,2]"},
		{"  %2 = relu %7 : f32[B,3]\n}\n", "%7 is not defined before use"},
		{"  %2 = frob %0 : f32[B,3]\n}\n", `unknown op "frob"`},
		{"  %2 = add %0, %1 : f32[B,3]\n}\n", "add: shapes [B,3] and [2,3] do not broadcast"},
		{"  %2 = reshape %0 {shape=[3,-1]} : f32[3,B]\n}\n", "the batch dimension must be axis 0"},
		{"  %2 = relu %0 : f32[B,3]\n", "func f is not closed"},
	} {
		_, err := Parse(head + tc.body)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got error %v, want %q", tc.body, err, tc.want)
		}
	}
}

func TestVerifyCatchesBadSources(t *testing.T) {
	p, err := Parse("program m batch=4\ninput x f32[B,3]\nfunc f {\n  %0 = input {name=\"x\"} : f32[B,3]\n  result out = %0\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(p); err != nil {
		t.Fatal(err)
	}
	p.Inputs[0].Type = T(F32, B, 4)
	if err := Verify(p); err == nil || !strings.Contains(err.Error(), "input x is f32[B,4], not f32[B,3]") {
		t.Errorf("got %v", err)
	}
	p.Funcs[0].Values[0].Attrs["name"] = "z"
	if err := Verify(p); err == nil || !strings.Contains(err.Error(), `no input or target named "z"`) {
		t.Errorf("got %v", err)
	}
}

func TestEveryOpHasARow(t *testing.T) {
	for _, op := range Ops() {
		if back, ok := OpByName(op.String()); !ok || back != op {
			t.Errorf("op %v does not round-trip through its name", op)
		}
		if op.IsElementwise() && opTable[op].scalar == nil {
			t.Errorf("elementwise op %v has no scalar definition", op)
		}
	}
}

func TestBroadcastShapes(t *testing.T) {
	for _, tc := range []struct {
		a, b, want Shape
		err        bool
	}{
		{Shape{B, 10}, Shape{10}, Shape{B, 10}, false},
		{Shape{B, 6, 28, 28}, Shape{6, 1, 1}, Shape{B, 6, 28, 28}, false},
		{Shape{B, 1}, Shape{B, 5}, Shape{B, 5}, false},
		{Shape{B, 3}, Shape{32, 3}, nil, true},
		{Shape{}, Shape{2, 3}, Shape{2, 3}, false},
	} {
		got, err := BroadcastShapes(tc.a, tc.b)
		if (err != nil) != tc.err || (!tc.err && !got.Equal(tc.want)) {
			t.Errorf("%v,%v: got %v, %v", tc.a, tc.b, got, err)
		}
	}
}

func TestFLOPs(t *testing.T) {
	f := &Func{Name: "train"}
	b := NewBuilder(f)
	x := b.Input(&Decl{Name: "x", Role: "input", Type: T(F32, B, 4)})
	w := b.Input(&Decl{Name: "w", Role: "input", Type: T(F32, 3, 4)})
	b.Must(OpMatMul, Attrs{"tb": true}, x, w)
	img := b.Input(&Decl{Name: "img", Role: "input", Type: T(F32, B, 2, 5, 5)})
	k := b.Input(&Decl{Name: "k", Role: "input", Type: T(F32, 6, 2, 3, 3)})
	b.Must(OpConv2d, nil, img, k) // [n,6,3,3], K = 2·3·3
	if got, want := FLOPs(f, 10), 2*10*3*4+2*10*6*3*3*18; got != want {
		t.Errorf("FLOPs = %d, want %d", got, want)
	}
}

// TestU8 round-trips the window offsets of a max pooling through the text
// form and checks that u8 is rejected wherever else it appears.
func TestU8(t *testing.T) {
	src := `program m batch=4
input x f32[B,2,5,5]

func f {
  %0 = input {name="x"} : f32[B,2,5,5]
  %1 = maxpool2d %0 {kernel=[3,3], pad=[1,1], stride=[2,2]} : f32[B,2,3,3]
  %2 = maxpool2d_argmax %1 {kernel=[3,3], pad=[1,1], stride=[2,2]} : u8[B,2,3,3]
  %3 = maxpool2d_grad_idx %2, %1 {kernel=[3,3], pad=[1,1], shape=[-1,2,5,5], stride=[2,2]} : f32[B,2,5,5]
  result idx = %2
  result dx = %3
}
`
	p, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(p); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Print(&out, p); err != nil {
		t.Fatal(err)
	}
	if out.String() != src {
		t.Errorf("round trip differs:\n%s", out.String())
	}
	if U8.Size() != 1 || U8.String() != "u8" || U8.IsFloat() {
		t.Errorf("u8: size %d, name %v, float %v", U8.Size(), U8, U8.IsFloat())
	}
	for _, tc := range []struct{ from, to, want string }{
		{"u8[B,2,3,3]", "i32[B,2,3,3]", "the op's rule gives u8[B,2,3,3]"},
		{"input x f32[B,2,5,5]", "input x u8[B,2,5,5]", "input x is u8"},
		{`%0 = input {name="x"} : f32[B,2,5,5]`, `%0 = input {name="x"} : u8[B,2,5,5]`, "only maxpool2d_argmax computes it"},
	} {
		q, err := Parse(strings.Replace(src, tc.from, tc.to, 1))
		if err == nil {
			err = Verify(q)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s: got %v, want %q", tc.from, tc.to, err, tc.want)
		}
	}
}
