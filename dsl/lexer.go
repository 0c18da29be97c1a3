package dsl

import (
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// keywords are reserved: they cannot name models, values or arguments.
var keywords = []string{
	"model", "batch", "const", "input", "target", "param", "output",
	"loss", "optimizer", "freeze", "as", "true", "false",
}

// dlLexer splits model source into tokens. Comment, Whitespace, Invalid and
// BadString are elided before parsing: the parser collects comments for the
// formatter and reports Invalid and BadString tokens itself, so lexing never
// fails.
var dlLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `//[^\n]*`},
	{Name: "Whitespace", Pattern: `\s+`},
	{Name: "Keyword", Pattern: `(?:` + strings.Join(keywords, "|") + `)\b`},
	{Name: "Float", Pattern: `(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)`},
	{Name: "Int", Pattern: `\d+`},
	{Name: "String", Pattern: `"(?:\\.|[^"\\\n])*"`},
	{Name: "BadString", Pattern: `"(?:\\.|[^"\\\n])*`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
	{Name: "Punct", Pattern: `\|>|\*\*|\.\.\.|[-+*/@=:,.()\[\]{}]`},
	{Name: "Invalid", Pattern: `.`},
})

// elided lists the token types the grammar never sees.
var elided = []string{"Comment", "Whitespace", "Invalid", "BadString"}

// Token types of dlLexer.
var (
	tokComment    = dlLexer.Symbols()["Comment"]
	tokWhitespace = dlLexer.Symbols()["Whitespace"]
	tokKeyword    = dlLexer.Symbols()["Keyword"]
	tokIdent      = dlLexer.Symbols()["Ident"]
	tokPunct      = dlLexer.Symbols()["Punct"]
	tokInvalid    = dlLexer.Symbols()["Invalid"]
	tokBadString  = dlLexer.Symbols()["BadString"]
)

// elidedTypes are the token types of elided.
var elidedTypes = func() []lexer.TokenType {
	var ts []lexer.TokenType
	for _, name := range elided {
		ts = append(ts, dlLexer.Symbols()[name])
	}
	return ts
}()

// lexAll splits src into tokens, ending with an EOF token.
func lexAll(filename string, src []byte) []lexer.Token {
	lex, err := dlLexer.LexString(filename, string(src))
	if err != nil {
		// The Invalid rule matches any character, so this cannot happen.
		panic("dsl: lexer failed: " + err.Error())
	}
	var toks []lexer.Token
	for {
		t, err := lex.Next()
		if err != nil {
			panic("dsl: lexer failed: " + err.Error())
		}
		toks = append(toks, t)
		if t.EOF() {
			return toks
		}
	}
}

// tokenSlice replays lexed tokens to participle.
type tokenSlice struct{ toks []lexer.Token }

func (s *tokenSlice) Next() (lexer.Token, error) {
	t := s.toks[0]
	if !t.EOF() {
		s.toks = s.toks[1:]
	}
	return t, nil
}

// isKeyword reports whether t is the keyword kw.
func isKeyword(t *lexer.Token, kw string) bool {
	return t.Type == tokKeyword && t.Value == kw
}

// isPunct reports whether t is the punctuation p.
func isPunct(t *lexer.Token, p string) bool {
	return t.Type == tokPunct && t.Value == p
}

// isStmtKeyword reports whether t is a keyword that starts a statement or
// a model.
func isStmtKeyword(t *lexer.Token) bool {
	if t.Type != tokKeyword {
		return false
	}
	switch t.Value {
	case "as", "true", "false":
		return false
	}
	return true
}

// joinsNext reports whether a line ending in t continues on the next line.
func joinsNext(t *lexer.Token) bool {
	switch {
	case isKeyword(t, "as"):
		return true
	case t.Type != tokPunct:
		return false
	}
	switch t.Value {
	case ")", "]", "...", "{", "}":
		return false
	}
	return true
}

// joinsPrev reports whether a line starting with t continues the line
// before: only pipe stages and "as" may start a continuation line.
func joinsPrev(t *lexer.Token) bool {
	return isKeyword(t, "as") || isPunct(t, "|>")
}

// describe names t for an "unexpected" message.
func describe(t *lexer.Token) string {
	if t.EOF() {
		return "end of file"
	}
	return strconv.Quote(t.Value)
}
