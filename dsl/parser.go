package dsl

import (
	"fmt"

	"github.com/alecthomas/participle/v2/lexer"
)

// Parse parses and checks the model file src read from filename. It returns
// the File even when there are errors, holding the statements that parsed,
// and an *ErrorList holding every syntax error (at most one per statement)
// and every failed check, sorted by position.
func Parse(filename string, src []byte) (*File, error) {
	p := newParser(filename, src)
	p.parseFile()
	check(p.file, p.bad, p.errs)
	p.errs.Sort()
	return p.file, p.errs.Err()
}

// parser walks the token stream model by model and statement by statement,
// handing each statement to participle. A newline ends a statement unless a
// bracket is open, the line ends with an operator, "|>", "," or the like, or
// the next line starts with "|>" or "as". So a statement that fails to
// parse costs only itself, and the rest of the file is still checked.
type parser struct {
	src  *Source
	errs *ErrorList
	raw  []lexer.Token // every token, elided ones too, ending with EOF
	toks []int         // indexes into raw of the tokens the grammar sees
	next int           // index into toks of the next token
	file *File
	b    builder
	bad  map[*Model]bool // models with syntax errors
}

func newParser(filename string, src []byte) *parser {
	s := NewSource(filename, src)
	p := &parser{src: s, errs: NewErrorList(s), bad: map[*Model]bool{}}
	p.b.errs = p.errs
	p.raw = lexAll(filename, src)
	p.file = &File{Src: s}
	for i := range p.raw {
		t := &p.raw[i]
		switch t.Type {
		case tokComment:
			p.file.Comments = append(p.file.Comments, &Comment{Span: Span{t.Pos, endOf(t)}, Text: t.Value})
		case tokInvalid:
			p.errs.Addf(t.Pos, "invalid character %q", t.Value)
		case tokBadString:
			p.errs.Addf(t.Pos, "string literal not terminated")
		case tokWhitespace:
		default:
			p.toks = append(p.toks, i)
		}
	}
	eof := p.raw[len(p.raw)-1].Pos
	p.file.Span = Span{lexer.Position{Filename: filename, Line: 1, Column: 1}, eof}
	return p
}

// tok returns the j'th grammar token; past the end it returns EOF.
func (p *parser) tok(j int) *lexer.Token {
	if j >= len(p.toks) {
		j = len(p.toks) - 1
	}
	return &p.raw[p.toks[j]]
}

func (p *parser) peek() *lexer.Token { return p.tok(p.next) }

func (p *parser) advance() *lexer.Token {
	t := p.peek()
	if !t.EOF() {
		p.next++
	}
	return t
}

func (p *parser) parseFile() {
	for !p.peek().EOF() {
		t := p.peek()
		if isKeyword(t, "model") {
			p.parseModel()
			continue
		}
		p.errs.Addf(t.Pos, "unexpected %s (expected \"model\")", describe(t))
		p.skipToModel()
	}
}

// skipToModel skips to the next "model" keyword or EOF.
func (p *parser) skipToModel() {
	p.advance()
	for t := p.peek(); !t.EOF() && !isKeyword(t, "model"); t = p.peek() {
		p.advance()
	}
}

func (p *parser) parseModel() {
	kw := p.advance()
	t := p.peek()
	if t.Type != tokIdent {
		p.errs.Addf(t.Pos, "unexpected %s (expected model name)", describe(t))
		p.skipToModel()
		return
	}
	m := &Model{Span: Span{Pos: kw.Pos}, Name: p.b.identTok(p.advance())}
	t = p.peek()
	if !isPunct(t, "{") {
		p.errs.Addf(t.Pos, "unexpected %s (expected \"{\")", describe(t))
		p.skipToModel()
		return
	}
	m.Lbrace = p.advance().Pos
	p.file.Models = append(p.file.Models, m)
	for {
		t := p.peek()
		switch {
		case isPunct(t, "}"):
			m.EndPos = endOf(p.advance())
			return
		case t.EOF() || isKeyword(t, "model"):
			p.errs.Addf(m.Lbrace, "missing \"}\" to close model %q", m.Name.Name)
			p.bad[m] = true
			m.EndPos = endOf(p.tok(p.next - 1))
			return
		}
		if s := p.parseStmt(); s != nil {
			m.Stmts = append(m.Stmts, s)
		} else {
			p.bad[m] = true
		}
	}
}

// parseStmt parses the statement starting at the next token and returns it,
// or nil after reporting a syntax error.
func (p *parser) parseStmt() Stmt {
	first := p.next
	end, alt := p.stmtEnd(first)
	if msg := p.tooBig(first, end); msg != "" {
		p.next = end
		p.errs.Addf(p.tok(first).Pos, "%s", msg)
		return nil
	}
	s, err := p.parseRange(first, end)
	if err != nil && alt > 0 {
		// The statement ran into the next line, which looks like a
		// statement of its own: report the error on this one and go on
		// from there.
		end = alt
		s, err = p.parseRange(first, end)
	}
	p.next = end
	if err != nil && !hasBadToken(p.raw[p.toks[first]:p.toks[end]]) {
		// (A bad token has been reported and is the better error.)
		p.errs.Add(p.syntaxError(err, first, end))
	}
	return s
}

// Limits that keep participle's recursion, and the AST's depth, far from
// the goroutine stack limit: each nesting level costs participle some 10KB.
const (
	maxNesting    = 1000  // "(", "[", "-" and "**" tokens in a statement
	maxStmtTokens = 50000 // tokens in a statement
)

// tooBig returns an error message if the statement in tokens [first, end)
// is too deeply nested or too long to parse safely, or "".
func (p *parser) tooBig(first, end int) string {
	if end-first > maxStmtTokens {
		return fmt.Sprintf("statement too long (over %d tokens)", maxStmtTokens)
	}
	n := 0
	for j := first; j < end; j++ {
		t := p.tok(j)
		if isPunct(t, "(") || isPunct(t, "[") || isPunct(t, "-") || isPunct(t, "**") {
			n++
		}
	}
	if n > maxNesting {
		return fmt.Sprintf("statement too deeply nested (over %d brackets, \"-\" and \"**\")", maxNesting)
	}
	return ""
}

// parseRange parses tokens [first, end) as one statement.
func (p *parser) parseRange(first, end int) (Stmt, error) {
	stop := lexer.Token{Type: lexer.EOF, Pos: endOf(p.tok(end - 1))}
	raw := p.raw[p.toks[first] : p.toks[end-1]+1]
	toks := append(append([]lexer.Token(nil), raw...), stop)
	pl, err := lexer.Upgrade(&tokenSlice{toks}, elidedTypes...)
	if err != nil {
		return nil, err
	}
	root, err := stmtParser.ParseFromLexer(pl)
	if err != nil {
		return nil, err
	}
	return p.b.stmt(root.Stmt), nil
}

// stmtEnd returns the index of the first token after the statement that
// starts at token first. If the statement spans lines and one of them
// starts, no further right than the statement, with "name =", alt is the
// index of that name, for error recovery; otherwise alt is -1.
func (p *parser) stmtEnd(first int) (end, alt int) {
	depth, alt := 0, -1
	col := p.tok(first).Pos.Column
	for j := first; ; j++ {
		t := p.tok(j)
		if t.EOF() {
			return j, alt
		}
		if j > first {
			if isPunct(t, "}") || isKeyword(t, "model") {
				return j, alt
			}
			prev := p.tok(j - 1)
			if t.Pos.Line > prev.Pos.Line {
				if isStmtKeyword(t) {
					return j, alt
				}
				if depth == 0 && !joinsNext(prev) && !joinsPrev(t) {
					return j, alt
				}
				if alt < 0 && t.Type == tokIdent && t.Pos.Column <= col && isPunct(p.tok(j+1), "=") {
					alt = j
				}
			}
		}
		switch {
		case isPunct(t, "(") || isPunct(t, "["):
			depth++
		case (isPunct(t, ")") || isPunct(t, "]")) && depth > 0:
			depth--
		}
	}
}

// endOf returns the position just past t.
func endOf(t *lexer.Token) lexer.Position {
	pos := t.Pos
	pos.Advance(t.Value)
	return pos
}

// hasBadToken reports whether toks holds an invalid character or an
// unterminated string, which newParser has reported.
func hasBadToken(toks []lexer.Token) bool {
	for _, t := range toks {
		if t.Type == tokInvalid || t.Type == tokBadString {
			return true
		}
	}
	return false
}
