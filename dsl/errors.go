package dsl

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/alecthomas/participle/v2/lexer"
)

// DefaultErrorLimit is how many errors ErrorList.Error prints when its
// Limit is zero.
const DefaultErrorLimit = 10

// Source is a named source text. Stages after parsing use it to report
// errors at AST positions in the parser's format. Text must not change once
// errors have been made from it.
type Source struct {
	Filename string
	Text     []byte

	once  sync.Once
	lines []int // offset of the start of each line
}

// NewSource returns a Source for text read from filename.
func NewSource(filename string, text []byte) *Source {
	return &Source{Filename: filename, Text: text}
}

// Errorf returns an error at pos that quotes pos's source line.
func (s *Source) Errorf(pos lexer.Position, format string, args ...any) *Error {
	if pos.Filename == "" && s != nil {
		pos.Filename = s.Filename
	}
	e := &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
	e.Line, e.Caret = s.quote(pos)
	return e
}

// quote returns the source line holding pos and the caret line under it.
// It goes by pos.Line and pos.Column, so positions made by hand work too.
func (s *Source) quote(pos lexer.Position) (line, caret string) {
	if s == nil || pos.Line < 1 || pos.Column < 1 {
		return "", ""
	}
	text, ok := s.line(pos.Line)
	if !ok {
		return "", ""
	}
	line = strings.ToValidUTF8(strings.TrimRight(text, " \t\r"), "\uFFFD")
	if strings.TrimSpace(line) == "" {
		return "", ""
	}
	line, column := window(line, pos.Column)
	var b strings.Builder
	col := 1
	for _, r := range line {
		if col == column {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		col++
	}
	for ; col < column; col++ {
		b.WriteByte(' ')
	}
	b.WriteByte('^')
	return line, b.String()
}

// line returns the text of line n (1-based) without its newline.
func (s *Source) line(n int) (string, bool) {
	s.once.Do(func() {
		s.lines = append(s.lines, 0)
		for i, c := range s.Text {
			if c == '\n' {
				s.lines = append(s.lines, i+1)
			}
		}
	})
	if n > len(s.lines) {
		return "", false
	}
	start, end := s.lines[n-1], len(s.Text)
	if n < len(s.lines) {
		end = s.lines[n] - 1
	}
	return string(s.Text[start:end]), true
}

// maxQuote is the longest source line an error quotes whole.
const maxQuote = 160

// window cuts a long line to maxQuote runes around column col, marking
// cuts with "...", and returns the column within the result.
func window(line string, col int) (string, int) {
	rs := []rune(line)
	if len(rs) <= maxQuote {
		return line, col
	}
	start := max(0, min(col-1-maxQuote/2, len(rs)-maxQuote))
	end := start + maxQuote
	out := string(rs[start:end])
	if start > 0 {
		out = "..." + out
		col += 3
	}
	if end < len(rs) {
		out += "..."
	}
	return out, col - start
}

// Error is one error at a source position. It satisfies participle.Error.
type Error struct {
	Pos   lexer.Position
	Msg   string // lower case, no trailing period
	Line  string // the source line holding Pos, or "" if unknown
	Caret string // spaces (tabs where Line has them) and a ^ under Pos
}

// Message returns the message without position or source.
func (e *Error) Message() string { return e.Msg }

// Position returns where the error is.
func (e *Error) Position() lexer.Position { return e.Pos }

// Error formats e as file:line:col: message, then the source line and a caret
// under the column.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.header())
	if e.Line != "" {
		b.WriteString("\n" + e.Line + "\n" + e.Caret)
	}
	return b.String()
}

// header returns file:line:col: message.
func (e *Error) header() string {
	prefix := e.Pos.Filename
	if e.Pos.Line > 0 {
		if prefix != "" {
			prefix += ":"
		}
		prefix += fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Column)
	}
	if prefix == "" {
		return e.Msg
	}
	return prefix + ": " + e.Msg
}

// ErrorList collects the errors found in one Source.
type ErrorList struct {
	Src *Source
	// Limit caps how many errors Error prints: 0 means DefaultErrorLimit,
	// a negative value means no cap.
	Limit int
	errs  []*Error
}

// NewErrorList returns an empty list for errors in src.
func NewErrorList(src *Source) *ErrorList {
	return &ErrorList{Src: src}
}

// Add appends e.
func (l *ErrorList) Add(e *Error) { l.errs = append(l.errs, e) }

// Addf appends an error at pos.
func (l *ErrorList) Addf(pos lexer.Position, format string, args ...any) {
	l.Add(l.Src.Errorf(pos, format, args...))
}

// Len returns the number of errors.
func (l *ErrorList) Len() int { return len(l.errs) }

// Errors returns the errors in the list.
func (l *ErrorList) Errors() []*Error { return l.errs }

// Sort orders the errors by position; errors at one position keep their order.
func (l *ErrorList) Sort() {
	sort.SliceStable(l.errs, func(i, j int) bool {
		a, b := l.errs[i].Pos, l.errs[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// Err returns l as an error, or nil if l is empty.
func (l *ErrorList) Err() error {
	if l == nil || len(l.errs) == 0 {
		return nil
	}
	return l
}

// Error prints each error on its own lines, up to the limit, then
// "(and N more errors)".
func (l *ErrorList) Error() string {
	limit := l.Limit
	if limit == 0 {
		limit = DefaultErrorLimit
	}
	var parts []string
	for i, e := range l.errs {
		if limit > 0 && i == limit {
			parts = append(parts, moreErrors(len(l.errs)-limit))
			break
		}
		parts = append(parts, e.Error())
	}
	if len(parts) == 0 {
		return "no errors"
	}
	return strings.Join(parts, "\n")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (l *ErrorList) Unwrap() []error {
	out := make([]error, len(l.errs))
	for i, e := range l.errs {
		out[i] = e
	}
	return out
}

// moreErrors returns "(and N more errors)".
func moreErrors(n int) string {
	if n == 1 {
		return "(and 1 more error)"
	}
	return fmt.Sprintf("(and %d more errors)", n)
}
