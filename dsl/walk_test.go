package dsl

import (
	"fmt"
	"strings"
	"testing"
)

func TestInspectOrder(t *testing.T) {
	src := "model m {\n    batch B = 2\n    y = f(x, k=1)[0] |> g as h\n}\n"
	f := mustParse(t, "w.dl", []byte(src))
	var got []string
	depth := 0
	Inspect(f, func(n Node) bool {
		if n == nil {
			depth--
			return false
		}
		got = append(got, fmt.Sprintf("%s%T", strings.Repeat(".", depth), n))
		depth++
		return true
	})
	want := []string{
		"*dsl.File", ".*dsl.Model", "..*dsl.Ident", "..*dsl.BatchStmt", "...*dsl.Ident", "...*dsl.Number",
		"..*dsl.AssignStmt", "...*dsl.Ident", "...*dsl.Pipe", "....*dsl.Index", ".....*dsl.Call",
		"......*dsl.Ident", "......*dsl.Arg", ".......*dsl.Ident", "......*dsl.Arg", ".......*dsl.Ident",
		".......*dsl.Number", ".....*dsl.Number", "....*dsl.Call", ".....*dsl.Ident", ".....*dsl.Ident",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if depth != 0 {
		t.Errorf("unbalanced nil visits: depth %d", depth)
	}
}

// TestInspectPrune checks that returning false skips a node's children.
func TestInspectPrune(t *testing.T) {
	f := mustParse(t, "p.dl", []byte("model m {\n    batch B = 2\n    y = f(g(h(x)))\n}\n"))
	calls := 0
	Inspect(f, func(n Node) bool {
		if _, ok := n.(*Call); ok {
			calls++
			return false
		}
		return true
	})
	if calls != 1 {
		t.Errorf("visited %d calls, want 1", calls)
	}
}

// TestWalkCoversModels checks that every expression statement of every
// model is reached and that Slice and TensorType children are walked.
func TestWalkCoversModels(t *testing.T) {
	counts := map[string]int{}
	for _, name := range corpus(t, modelsDir) {
		Inspect(mustParse(t, name, readFile(t, name)), func(n Node) bool {
			if n != nil {
				counts[fmt.Sprintf("%T", n)]++
			}
			return true
		})
	}
	for _, typ := range []string{"*dsl.Slice", "*dsl.Ellipsis", "*dsl.TensorType", "*dsl.Pipe", "*dsl.ParamStmt", "*dsl.List", "*dsl.String", "*dsl.Bool", "*dsl.Unary"} {
		if counts[typ] == 0 {
			t.Errorf("no %s reached in testdata/models", typ)
		}
	}
}
