package dsl

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestModelsCanonical checks that every shared model is already in
// canonical form: Format maps it to itself.
func TestModelsCanonical(t *testing.T) {
	for _, name := range corpus(t, modelsDir) {
		src := readFile(t, name)
		got := Format(mustParse(t, name, src))
		if string(got) != string(src) {
			t.Errorf("%s is not canonical; dlc fmt gives:\n%s", name, got)
		}
	}
}

// TestFormatGolden formats the messy inputs in testdata/dsl/format, compares
// with the .golden files and checks that the output is a fixed point.
func TestFormatGolden(t *testing.T) {
	for _, name := range corpus(t, formatDir) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			got := Format(mustParse(t, name, readFile(t, name)))
			golden(t, strings.TrimSuffix(name, ".dl")+".golden", got)
			checkIdempotent(t, name, got)
		})
	}
}

// checkIdempotent fails unless formatted text formats to itself.
func checkIdempotent(t testing.TB, name string, formatted []byte) {
	t.Helper()
	f, err := Parse(name, formatted)
	if err != nil {
		t.Fatalf("formatted %s does not parse: %v\n%s", name, err, formatted)
	}
	if again := Format(f); string(again) != string(formatted) {
		t.Fatalf("Format is not idempotent on %s:\nfirst\n%s\nsecond\n%s", name, formatted, again)
	}
}

// TestFormatKeepsComments checks that no comment is lost or duplicated.
func TestFormatKeepsComments(t *testing.T) {
	for _, name := range append(corpus(t, formatDir), corpus(t, modelsDir)...) {
		f := mustParse(t, name, readFile(t, name))
		out := mustParse(t, name, Format(f))
		if len(out.Comments) != len(f.Comments) {
			t.Errorf("%s: %d comments in, %d out", name, len(f.Comments), len(out.Comments))
			continue
		}
		want := map[string]int{}
		for _, c := range f.Comments {
			want[strings.TrimRight(c.Text, " \t\r")]++
		}
		for _, c := range out.Comments {
			want[c.Text]--
		}
		for text, n := range want {
			if n != 0 {
				t.Errorf("%s: comment %q count off by %d", name, text, n)
			}
		}
	}
}

// TestFormatPipeWidth checks that a long one-line pipe is broken before
// the stage that would pass maxWidth.
func TestFormatPipeWidth(t *testing.T) {
	var b strings.Builder
	b.WriteString("model m {\n    batch B = 1\n    y = x")
	for i := 0; i < 20; i++ {
		b.WriteString(" |> relu")
	}
	b.WriteString("\n}\n")
	out := Format(mustParse(t, "w.dl", []byte(b.String())))
	for _, l := range strings.Split(string(out), "\n") {
		if len(l) > maxWidth {
			t.Errorf("line longer than %d: %q", maxWidth, l)
		}
	}
	if n := strings.Count(string(out), "|> relu"); n != 20 {
		t.Errorf("%d stages after formatting", n)
	}
	checkIdempotent(t, "w.dl", out)
}

// TestFormatExprParens checks that FormatExpr parenthesizes hand-built
// trees so that they read back the same.
func TestFormatExprParens(t *testing.T) {
	id := func(s string) *Ident { return &Ident{Name: s} }
	num := func(s string) *Number { return &Number{Text: s, IsInt: true} }
	bin := func(op Operator, x, y Expr) *Binary { return &Binary{Op: op, X: x, Y: y} }
	tests := []struct {
		e    Expr
		want string
	}{
		{bin(Mul, bin(Add, id("a"), id("b")), id("c")), "(a + b) * c"},
		{bin(Sub, id("a"), bin(Sub, id("b"), id("c"))), "a - (b - c)"},
		{bin(Sub, bin(Sub, id("a"), id("b")), id("c")), "a - b - c"},
		{bin(Pow, bin(Pow, id("a"), id("b")), id("c")), "(a ** b) ** c"},
		{bin(Pow, id("a"), bin(Pow, id("b"), id("c"))), "a ** b ** c"},
		{bin(Pow, id("a"), &Unary{Op: Sub, X: id("b")}), "a ** -b"},
		{bin(Pow, &Unary{Op: Sub, X: id("a")}, num("2")), "(-a) ** 2"},
		{&Unary{Op: Sub, X: bin(Add, id("a"), id("b"))}, "-(a + b)"},
		{&Index{X: bin(Add, id("a"), id("b")), Indices: []Expr{num("0"), &Slice{Hi: num("2")}, &Ellipsis{}}}, "(a + b)[0, :2, ...]"},
		{&Index{X: &Call{Func: id("f"), As: id("g")}, Indices: []Expr{num("0")}}, "(f() as g)[0]"},
		{&Pipe{X: bin(Add, id("a"), id("b")), Stages: []*Call{{Func: id("relu")}, {Func: id("f"), Args: []*Arg{{Value: num("1")}, {Name: id("k"), Value: &String{Value: "s\"q"}}}}}}, `a + b |> relu |> f(1, k="s\"q")`},
		{bin(Mul, &Pipe{X: id("a"), Stages: []*Call{{Func: id("relu")}}}, id("b")), "(a |> relu) * b"},
		{&List{Elems: []Expr{&Bool{Value: true}, &Number{Text: "1e-3"}}}, "[true, 1e-3]"},
	}
	for _, tt := range tests {
		got := FormatExpr(tt.e)
		if got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
			continue
		}
		// Reading it back must give the same tree, up to parentheses.
		back := FormatExpr(stripParens(parseExpr(t, got)))
		if back != got {
			t.Errorf("%s reads back as %s", got, back)
		}
	}
}

// stripParens removes Paren nodes so FormatExpr must put back the needed ones.
func stripParens(e Expr) Expr {
	Inspect(e, func(n Node) bool {
		switch n := n.(type) {
		case *Binary:
			n.X, n.Y = Unparen(n.X), Unparen(n.Y)
		case *Unary:
			n.X = Unparen(n.X)
		case *Index:
			n.X = Unparen(n.X)
		case *Pipe:
			n.X = Unparen(n.X)
		}
		return true
	})
	return Unparen(e)
}

// TestFormatHandBuilt checks that Format works on a File built without a
// parser, so without positions.
func TestFormatHandBuilt(t *testing.T) {
	id := func(s string) *Ident { return &Ident{Name: s} }
	f := &File{Models: []*Model{{
		Name: id("m"),
		Stmts: []Stmt{
			&BatchStmt{Name: id("B"), Size: &Number{Text: "4", IsInt: true, Int: 4}},
			&InputStmt{Name: id("x"), Type: &TensorType{DType: F32, Dims: []Expr{id("B")}}},
			&AssignStmt{Name: id("y"), Value: &Pipe{X: id("x"), Stages: []*Call{{Func: id("relu")}}}},
			&OutputStmt{Name: id("y")},
		},
	}}}
	want := "model m {\n    batch B = 4\n    input x: f32[B]\n    y = x |> relu\n    output y\n}\n"
	if got := string(Format(f)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
