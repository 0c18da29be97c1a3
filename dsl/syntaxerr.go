package dsl

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2"
)

// unexpectedRE matches participle's unexpected-token message.
var unexpectedRE = regexp.MustCompile(`(?s)^unexpected token ("(?:[^"\\]|\\.)*")(?: \(expected (.*)\))?$`)

// syntaxError turns a participle error for the statement in tokens
// [first, end) into an Error in dsl's words.
func (p *parser) syntaxError(err error, first, end int) *Error {
	t0 := p.tok(first)
	if isStmtKeyword(t0) && end-first > 1 && isPunct(p.tok(first+1), "=") {
		return p.src.Errorf(t0.Pos, "cannot use keyword %q as a name", t0.Value)
	}
	perr, ok := err.(participle.Error)
	if !ok {
		return p.src.Errorf(t0.Pos, "%s", err)
	}
	pos, msg := perr.Position(), perr.Message()
	m := unexpectedRE.FindStringSubmatch(msg)
	if m == nil {
		return p.src.Errorf(pos, "%s", msg)
	}
	what, _ := strconv.Unquote(m[1])
	if what == "<EOF>" {
		last, term := p.tok(end-1), p.tok(end)
		switch {
		case term.Pos.Line > last.Pos.Line:
			what = "newline"
		case term.EOF():
			what = "end of file"
		default:
			what, pos = strconv.Quote(term.Value), term.Pos
		}
	} else {
		what = strconv.Quote(what)
	}
	msg = "unexpected " + what
	switch want := expected(m[2]); {
	case want != "":
		msg += " (expected " + want + ")"
	case pos.Offset == t0.Pos.Offset:
		msg += " (expected statement)"
	default: // participle parsed a whole statement and found more
		msg += " at end of statement"
	}
	return p.src.Errorf(pos, "%s", msg)
}

// productions names grammar productions for "expected" messages.
var productions = map[string]string{
	"StmtG": "statement", "IdentG": "name", "CalleeG": "name", "StageG": "name",
	"TypeG": "tensor type", "ArgsG": `"("`, "ArgG": "argument", "AsG": `"as"`,
	"ExprG": "expression", "SumG": "expression", "TermG": "expression",
	"UnaryG": "expression", "PowerG": "expression", "ExpG": `"**"`,
	"PostfixG": "expression", "PrimaryG": "expression", "ListG": `"["`,
	"IndexG": `"["`, "SubscriptG": "index", "SliceG": `":"`, "StepG": `":"`,
	"<ident>": "name", "<int>": "integer", "<float>": "number", "<string>": "string",
}

// expected returns the first thing participle's EBNF expectation s asks
// for, in words, or "" if it cannot tell.
func expected(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, "(") {
		s = strings.TrimSpace(s[1:])
	}
	if s == "" {
		return ""
	}
	if s[0] == '"' {
		if q, err := strconv.QuotedPrefix(s); err == nil {
			return q
		}
		return ""
	}
	word := s
	if i := strings.IndexAny(s, " ()|*?+"); i >= 0 {
		word = s[:i]
	}
	return productions[word]
}
