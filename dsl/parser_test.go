package dsl

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseModels parses the shared model corpus, which must be error free.
func TestParseModels(t *testing.T) {
	for _, name := range corpus(t, modelsDir) {
		f := mustParse(t, filepath.Base(name), readFile(t, name))
		if len(f.Models) != 1 {
			t.Errorf("%s: %d models", name, len(f.Models))
		}
	}
}

// sexpr renders e fully parenthesized, to test the parse tree's shape.
func sexpr(e Node) string {
	switch e := e.(type) {
	case *Ident:
		return e.Name
	case *Number:
		if e.IsInt {
			return fmt.Sprintf("%d", e.Int)
		}
		return fmt.Sprintf("%gf", e.Float)
	case *String:
		return fmt.Sprintf("%q", e.Value)
	case *Bool:
		return fmt.Sprint(e.Value)
	case *List:
		return "[" + sexprs(e.Elems) + "]"
	case *Paren:
		return "(paren " + sexpr(e.X) + ")"
	case *Unary:
		return "(neg " + sexpr(e.X) + ")"
	case *Binary:
		return "(" + string(e.Op) + " " + sexpr(e.X) + " " + sexpr(e.Y) + ")"
	case *Call:
		var args []string
		for _, a := range e.Args {
			if a.Name != nil {
				args = append(args, a.Name.Name+"="+sexpr(a.Value))
			} else {
				args = append(args, sexpr(a.Value))
			}
		}
		s := e.Func.Name + "(" + strings.Join(args, " ") + ")"
		if e.As != nil {
			s += "@" + e.As.Name
		}
		if e.Stage >= 0 {
			s = fmt.Sprintf("%d:%s", e.Stage, s)
		}
		return s
	case *Index:
		return "(index " + sexpr(e.X) + " " + sexprs(e.Indices) + ")"
	case *Slice:
		part := func(x Expr) string {
			if x == nil {
				return "_"
			}
			return sexpr(x)
		}
		return part(e.Lo) + ":" + part(e.Hi) + ":" + part(e.Step)
	case *Ellipsis:
		return "..."
	case *Pipe:
		var stages []string
		for _, s := range e.Stages {
			stages = append(stages, sexpr(s))
		}
		return "(|> " + sexpr(e.X) + " " + strings.Join(stages, " ") + ")"
	}
	return fmt.Sprintf("?%T", e)
}

func sexprs(es []Expr) string {
	var out []string
	for _, e := range es {
		out = append(out, sexpr(e))
	}
	return strings.Join(out, " ")
}

// parseExpr parses src as the value of an assignment.
func parseExpr(t *testing.T, src string) Expr {
	t.Helper()
	f := mustParse(t, "e.dl", []byte("model m {\n    batch B = 1\n    v = "+src+"\n}\n"))
	return f.Models[0].Stmts[1].(*AssignStmt).Value
}

func TestParseExpr(t *testing.T) {
	tests := []struct{ src, want string }{
		{"a + b * c", "(+ a (* b c))"},
		{"a * b + c", "(+ (* a b) c)"},
		{"a - b - c", "(- (- a b) c)"},
		{"a / b * c @ d", "(@ (* (/ a b) c) d)"},
		{"a ** b ** c", "(** a (** b c))"},
		{"-a ** 2", "(neg (** a 2))"},
		{"2 ** -a", "(** 2 (neg a))"},
		{"-a @ w", "(@ (neg a) w)"},
		{"- -a", "(neg (neg a))"},
		{"(a + b) * c", "(* (paren (+ a b)) c)"},
		{"x @ w + b |> relu", "(|> (+ (@ x w) b) 0:relu())"},
		{"a |> f(1, k=2) as g |> h", "(|> a 0:f(1 k=2)@g 1:h())"},
		{"a |> f() |> g as n", "(|> a 0:f() 1:g()@n)"},
		{"f(x |> relu, y)", "f((|> x 0:relu()) y)"},
		{"dense(x, 3) as d + 1", "(+ dense(x 3)@d 1)"},
		{"x[:, -1, :]", "(index x _:_:_ (neg 1) _:_:_)"},
		{"x[0:10:2, 3]", "(index x 0:10:2 3)"},
		{"x[..., 0]", "(index x ... 0)"},
		{"x[::2, 1:, :n]", "(index x _:_:2 1:_:_ _:n:_)"},
		{"x[0][1]", "(index (index x 0) 1)"},
		{"f(x)[0] ** 2", "(** (index f(x) 0) 2)"},
		{"[1, 2.5, .5, 1e-3, 3.]", "[1 2.5f 0.5f 0.001f 3f]"},
		{`concat([a, b], axis=1, mode="x\ty", flag=true)`, `concat([a b] axis=1 mode="x\ty" flag=true)`},
		{"mean(h, axes=[1], keepdims=false)", "mean(h axes=[1] keepdims=false)"},
		{"f()", "f()"},
		{"sum(x,\n        axes=[0])", "sum(x axes=[0])"},
		{"x +\n        y", "(+ x y)"},
		{"x\n        |> relu\n        |> softmax(axis=1)", "(|> x 0:relu() 1:softmax(axis=1))"},
	}
	for _, tt := range tests {
		if got := sexpr(parseExpr(t, tt.src)); got != tt.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

func TestParseStatements(t *testing.T) {
	src := `model m {
    batch N = 8
    const K = 2 * 3
    input x: f32[N, K]
    target y: i32[N]
    param w: f64[K, 1] = normal(0, 0.01)
    param b: f32[] = zeros
    h = x @ w
    output h
    output p = softmax(h)
    loss cross_entropy(h, y, reduction="sum")
    optimizer adam
}
`
	m := mustParse(t, "s.dl", []byte(src)).Models[0]
	var got []string
	for _, s := range m.Stmts {
		switch s := s.(type) {
		case *BatchStmt:
			got = append(got, "batch "+s.Name.Name+" "+sexpr(s.Size))
		case *ConstStmt:
			got = append(got, "const "+s.Name.Name+" "+sexpr(s.Value))
		case *InputStmt:
			got = append(got, fmt.Sprintf("input target=%v %s %s[%s]", s.Target, s.Name.Name, s.Type.DType, sexprs(s.Type.Dims)))
		case *ParamStmt:
			got = append(got, fmt.Sprintf("param %s %s[%s] %s", s.Name.Name, s.Type.DType, sexprs(s.Type.Dims), sexpr(s.Init)))
		case *AssignStmt:
			got = append(got, "assign "+s.Name.Name+" "+sexpr(s.Value))
		case *OutputStmt:
			v := "-"
			if s.Value != nil {
				v = sexpr(s.Value)
			}
			got = append(got, "output "+s.Name.Name+" "+v)
		case *LossStmt:
			got = append(got, "loss "+sexpr(s.Call))
		case *OptimizerStmt:
			got = append(got, "optimizer "+sexpr(s.Call))
		}
	}
	want := []string{
		"batch N 8",
		"const K (* 2 3)",
		"input target=false x f32[N K]",
		"input target=true y i32[N]",
		"param w f64[K 1] normal(0 0.01f)",
		"param b f32[] zeros()",
		"assign h (@ x w)",
		"output h -",
		"output p softmax(h)",
		`loss cross_entropy(h y reduction="sum")`,
		"optimizer adam()",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m.Batch() != m.Stmts[0] || m.Loss() != m.Stmts[9] || m.Optimizer() != m.Stmts[10] || len(m.Outputs()) != 2 {
		t.Error("Model accessors disagree with Stmts")
	}
}

// TestLenetPipe checks the stage indices lowering uses for nn.Sequential names.
func TestLenetPipe(t *testing.T) {
	f := mustParse(t, "lenet.dl", readFile(t, filepath.Join(modelsDir, "lenet.dl")))
	var pipe *Pipe
	for _, s := range f.Models[0].Stmts {
		if a, ok := s.(*AssignStmt); ok && a.Name.Name == "logits" {
			pipe = a.Value.(*Pipe)
		}
	}
	if pipe == nil {
		t.Fatal("no logits pipe")
	}
	var got []string
	for i, s := range pipe.Stages {
		if s.Stage != i {
			t.Errorf("stage %d has Stage %d", i, s.Stage)
		}
		name := "-"
		if s.As != nil {
			name = s.As.Name
		}
		got = append(got, s.Func.Name+":"+name)
	}
	want := "conv2d:conv1 relu:- maxpool2d:- conv2d:conv2 relu:- maxpool2d:- flatten:- " +
		"linear:fc1 relu:- linear:fc2 relu:- linear:fc3"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestPositions checks Pos and EndPos of some nodes, as line:col-line:col.
func TestPositions(t *testing.T) {
	src := "model m {\n    batch B = 1\n    h = x\n        |> conv2d(1, 2, 3) as c1 |> relu\n}\n"
	f := mustParse(t, "p.dl", []byte(src))
	span := func(n Node) string {
		return fmt.Sprintf("%d:%d-%d:%d", n.Start().Line, n.Start().Column, n.End().Line, n.End().Column)
	}
	m := f.Models[0]
	a := m.Stmts[1].(*AssignStmt)
	p := a.Value.(*Pipe)
	tests := []struct {
		node Node
		want string
	}{
		{m, "1:1-5:2"},
		{m.Name, "1:7-1:8"},
		{m.Stmts[0], "2:5-2:16"},
		{a, "3:5-4:41"},
		{p, "3:9-4:41"},
		{p.X, "3:9-3:10"},
		{p.Stages[0], "4:12-4:33"},
		{p.Stages[0].Args[2], "4:25-4:26"},
		{p.Stages[0].As, "4:31-4:33"},
		{p.Stages[1], "4:37-4:41"},
	}
	for _, tt := range tests {
		if got := span(tt.node); got != tt.want {
			t.Errorf("%T: got %s, want %s", tt.node, got, tt.want)
		}
	}
	if m.Lbrace.Line != 1 || m.Lbrace.Column != 9 {
		t.Errorf("Lbrace at %v", m.Lbrace)
	}
	if p.X.Start().Filename != "p.dl" || f.Src.Filename != "p.dl" {
		t.Error("filename not recorded")
	}
}

func TestParseComments(t *testing.T) {
	src := "// head\nmodel m { // open\n    batch B = 1 // size\n}\n// tail\n"
	f := mustParse(t, "c.dl", []byte(src))
	var got []string
	for _, c := range f.Comments {
		got = append(got, fmt.Sprintf("%d:%s", c.Pos.Line, c.Text))
	}
	if want := "1:// head 2:// open 3:// size 5:// tail"; strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, " "), want)
	}
}

func TestParseOneLineModel(t *testing.T) {
	f := mustParse(t, "o.dl", []byte("model a { batch B = 1 }\nmodel b { batch B = 2\n}"))
	if len(f.Models) != 2 || len(f.Models[0].Stmts) != 1 || len(f.Models[1].Stmts) != 1 {
		t.Errorf("got %d models", len(f.Models))
	}
}

func TestKeywordsReserved(t *testing.T) {
	for _, kw := range keywords {
		_, err := Parse("k.dl", []byte("model m {\n    batch B = 1\n    x = f("+kw+")\n}\n"))
		if kw == "true" || kw == "false" {
			if err != nil {
				t.Errorf("%s: %v", kw, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("keyword %s accepted as a name", kw)
		}
	}
}

// TestParseLimits checks that nesting that would exhaust the stack is an
// error, while large but shallow statements parse.
func TestParseLimits(t *testing.T) {
	wrap := func(expr string) []byte {
		return []byte("model m {\n    batch B = 1\n    x = " + expr + "\n}\n")
	}
	deep := func(n int) string { return strings.Repeat("(", n) + "1" + strings.Repeat(")", n) }
	if _, err := Parse("l.dl", wrap(deep(maxNesting))); err != nil {
		t.Errorf("%d parens: %v", maxNesting, err)
	}
	for _, expr := range []string{
		deep(maxNesting + 1),
		strings.Repeat("-", maxNesting+1) + "1",
		"1" + strings.Repeat(" ** 1", maxNesting+1),
		strings.Repeat("[", 10000),
	} {
		_, err := Parse("l.dl", wrap(expr))
		if err == nil || !strings.Contains(err.Error(), "l.dl:3:5: statement too deeply nested") {
			t.Errorf("%.20s...: got %.300v", expr, err)
		}
	}
	if _, err := Parse("l.dl", wrap("1"+strings.Repeat(" + 1", maxStmtTokens/2-2))); err != nil {
		t.Errorf("long sum: %.200v", err)
	}
	if _, err := Parse("l.dl", wrap("1"+strings.Repeat(" + 1", maxStmtTokens/2))); err == nil || !strings.Contains(err.Error(), "statement too long") {
		t.Errorf("over-long sum: got %.200v", err)
	}
}
