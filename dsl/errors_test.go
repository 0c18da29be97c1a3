package dsl

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// TestErrorGolden parses each malformed program in testdata/dsl/errors and
// compares the full report with its .golden file.
func TestErrorGolden(t *testing.T) {
	for _, name := range corpus(t, errorsDir) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			_, err := Parse(filepath.Base(name), readFile(t, name))
			if err == nil {
				t.Fatal("no error")
			}
			golden(t, strings.TrimSuffix(name, ".dl")+".golden", []byte(err.Error()+"\n"))
		})
	}
}

func TestSourceErrorf(t *testing.T) {
	src := NewSource("a.dl", []byte("model m {\n\tx = déjà + y\n}\n"))
	tests := []struct {
		pos  lexer.Position
		want string
	}{
		{lexer.Position{Line: 2, Column: 6}, "a.dl:2:6: bad\n\tx = déjà + y\n\t    ^"},
		{lexer.Position{Line: 2, Column: 13}, "a.dl:2:13: bad\n\tx = déjà + y\n\t           ^"},
		{lexer.Position{Line: 1, Column: 1}, "a.dl:1:1: bad\nmodel m {\n^"},
		{lexer.Position{Line: 4, Column: 1}, "a.dl:4:1: bad"}, // empty last line
		{lexer.Position{Line: 9, Column: 1}, "a.dl:9:1: bad"}, // past the end
		{lexer.Position{Line: 1, Column: 20}, "a.dl:1:20: bad\nmodel m {\n                   ^"},
		{lexer.Position{Filename: "b.dl", Line: 3, Column: 1}, "b.dl:3:1: bad\n}\n^"},
	}
	for _, tt := range tests {
		if got := src.Errorf(tt.pos, "%s", "bad").Error(); got != tt.want {
			t.Errorf("Errorf(%v):\ngot  %q\nwant %q", tt.pos, got, tt.want)
		}
	}
	var nilSrc *Source
	if got := nilSrc.Errorf(lexer.Position{Line: 1, Column: 2}, "bad").Error(); got != "1:2: bad" {
		t.Errorf("nil Source: got %q", got)
	}
}

func TestErrorSatisfiesParticiple(t *testing.T) {
	var e participle.Error = NewSource("a.dl", nil).Errorf(lexer.Position{Line: 1, Column: 1}, "m")
	if e.Message() != "m" || e.Position().Filename != "a.dl" {
		t.Errorf("got %q at %v", e.Message(), e.Position())
	}
}

func TestErrorList(t *testing.T) {
	src := NewSource("a.dl", []byte("a\nb\nc\n"))
	l := NewErrorList(src)
	if l.Err() != nil {
		t.Fatal("empty list is an error")
	}
	l.Addf(lexer.Position{Line: 3, Column: 1}, "third")
	l.Addf(lexer.Position{Line: 1, Column: 1}, "first")
	l.Addf(lexer.Position{Line: 3, Column: 1}, "third again")
	l.Sort()
	if l.Len() != 3 {
		t.Fatalf("Len = %d", l.Len())
	}
	want := "a.dl:1:1: first\na\n^\na.dl:3:1: third\nc\n^\na.dl:3:1: third again\nc\n^"
	if got := l.Err().Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	l.Limit = 1
	if got := l.Error(); got != "a.dl:1:1: first\na\n^\n(and 2 more errors)" {
		t.Errorf("Limit 1: got %q", got)
	}
	l.Limit = 2
	if got := l.Error(); !strings.HasSuffix(got, "\n(and 1 more error)") {
		t.Errorf("Limit 2: got %q", got)
	}
	l.Limit = -1
	if got := l.Error(); got != want {
		t.Errorf("no limit: got %q", got)
	}
	var one *Error
	if !errors.As(l.Err(), &one) || one.Msg != "first" {
		t.Errorf("errors.As found %v", one)
	}
}

func TestErrorLimitDefault(t *testing.T) {
	l := NewErrorList(NewSource("a.dl", nil))
	for i := 0; i < DefaultErrorLimit+3; i++ {
		l.Addf(lexer.Position{Line: i + 1, Column: 1}, "e%d", i)
	}
	got := l.Error()
	if n := strings.Count(got, "\n") + 1; n != DefaultErrorLimit+1 {
		t.Errorf("%d lines, want %d:\n%s", n, DefaultErrorLimit+1, got)
	}
	if !strings.HasSuffix(got, "(and 3 more errors)") {
		t.Errorf("got %q", got)
	}
}

// TestParseCollectsErrors checks that errors in several statements and
// models are all reported, in source order.
func TestParseCollectsErrors(t *testing.T) {
	src := `model a {
    batch B = 1
    x = (
    y = f(k=1, 2)
}
model a {
    batch B = 1
    z = ]
}
`
	f, err := Parse("c.dl", []byte(src))
	var l *ErrorList
	if !errors.As(err, &l) {
		t.Fatalf("got %T, want *ErrorList", err)
	}
	var got []string
	for _, e := range l.Errors() {
		got = append(got, e.header())
	}
	want := []string{
		`c.dl:3:10: unexpected newline (expected expression)`,
		`c.dl:4:16: positional argument after keyword argument in call to f`,
		`c.dl:6:7: duplicate model "a" (first declared at line 1)`,
		`c.dl:8:9: unexpected "]" (expected expression)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(f.Models) != 2 || len(f.Models[0].Stmts) != 2 {
		t.Errorf("partial AST: %d models", len(f.Models))
	}
}

func TestSourceErrorfLongLine(t *testing.T) {
	long := strings.Repeat("a", 500)
	src := NewSource("l.dl", []byte(long+"\n"))
	for _, col := range []int{1, 250, 500} {
		e := src.Errorf(lexer.Position{Line: 1, Column: col}, "bad")
		if n := len([]rune(e.Line)); n > maxQuote+6 {
			t.Errorf("column %d: quoted %d runes", col, n)
		}
		if len(e.Caret) > len(e.Line) || e.Line[len(e.Caret)-1] != 'a' {
			t.Errorf("column %d: caret %d past line %q", col, len(e.Caret), e.Line)
		}
	}
	e := src.Errorf(lexer.Position{Line: 1, Column: 250}, "bad")
	if !strings.HasPrefix(e.Line, "...") || !strings.HasSuffix(e.Line, "...") {
		t.Errorf("middle of a long line not marked: %q", e.Line)
	}
}
