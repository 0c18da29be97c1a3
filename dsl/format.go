package dsl

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// maxWidth is the column past which Format breaks a pipe before its next stage.
const maxWidth = 100

// Format returns f in canonical form:
//   - one statement per line, model bodies indented by four spaces, one
//     blank line between models;
//   - single spaces around binary operators and statement "=", none around
//     "=" in keyword arguments; arguments separated by ", ";
//   - a pipe stage that began a new line in the source begins one here,
//     indented one level further and led by "|>"; other stages stay on their
//     line unless it would pass 100 columns;
//   - calls without arguments in pipe stages, initializers and optimizers
//     written as a bare name;
//   - every comment kept: trailing comments stay at the end of their line and
//     consecutive ones are aligned; a comment inside a statement that cannot
//     stay where it is moves above the statement;
//   - runs of blank lines collapsed to one, none at the start or end of a
//     model body.
//
// Format(Parse(Format(f))) equals Format(f).
func Format(f *File) []byte {
	p := &printer{comments: f.Comments}
	for _, m := range f.Models {
		p.model(m)
	}
	p.standalone(-1, 0)
	return p.render()
}

// line is one output line: code and an optional trailing comment. A line
// with neither is blank.
type line struct {
	indent  int
	code    string
	comment string
}

type printer struct {
	lines    []line
	comments []*Comment
	next     int  // index of the first comment not yet printed
	last     int  // source line of the last printed item, 0 at the top
	tight    bool // no blank line before the next item
	loose    bool // a blank line before the next item
}

// peekComment returns the next unprinted comment if it starts before
// offset (any, if offset < 0).
func (p *printer) peekComment(offset int) *Comment {
	if p.next == len(p.comments) {
		return nil
	}
	c := p.comments[p.next]
	if offset >= 0 && c.Pos.Offset >= offset {
		return nil
	}
	return c
}

// emit appends the lines of an item spanning source lines first..last,
// after a blank line if the source had one before it.
func (p *printer) emit(first, last int, ls ...line) {
	if p.last > 0 && !p.tight && (p.loose || first > p.last+1) {
		p.lines = append(p.lines, line{})
	}
	p.lines = append(p.lines, ls...)
	p.tight, p.loose = false, false
	if last > p.last {
		p.last = last
	}
}

// standalone prints the comments before offset on lines of their own.
func (p *printer) standalone(offset, indent int) {
	for c := p.peekComment(offset); c != nil; c = p.peekComment(offset) {
		p.next++
		p.emit(c.Pos.Line, c.Pos.Line, line{indent: indent, comment: c.Text})
	}
}

// trailing returns the next comment if it is on line n, or "".
func (p *printer) trailing(n int) string {
	if c := p.peekComment(-1); c != nil && c.Pos.Line == n {
		p.next++
		return c.Text
	}
	return ""
}

func (p *printer) model(m *Model) {
	p.standalone(m.Lbrace.Offset, 0)
	header := line{code: "model " + m.Name.Name + " {"}
	if len(m.Stmts) == 0 || m.Stmts[0].Start().Line > m.Lbrace.Line {
		header.comment = p.trailing(m.Lbrace.Line)
	}
	p.emit(m.Pos.Line, m.Lbrace.Line, header)
	p.tight = true
	for _, s := range m.Stmts {
		p.standalone(s.Start().Offset, 1)
		p.stmt(s)
	}
	p.standalone(m.EndPos.Offset, 1)
	p.tight = true
	p.emit(m.EndPos.Line, m.EndPos.Line, line{code: "}", comment: p.trailing(m.EndPos.Line)})
	p.loose = true
}

// stmt prints s with the comments inside it and the one trailing it.
func (p *printer) stmt(s Stmt) {
	var inner []*Comment
	for c := p.peekComment(s.End().Offset); c != nil; c = p.peekComment(s.End().Offset) {
		p.next++
		inner = append(inner, c)
	}
	prefix, value := stmtHead(s)
	var ls []line
	if pipe, ok := value.(*Pipe); ok {
		ls, inner = pipeLines(prefix, pipe, inner)
	} else {
		ls = []line{{indent: 1, code: prefix + formatValue(s, value)}}
	}
	for _, c := range inner { // comments that cannot stay inside: above
		ls = append([]line{{indent: 1, comment: c.Text}}, ls...)
	}
	ls[len(ls)-1].comment = p.trailing(s.End().Line)
	p.emit(s.Start().Line, s.End().Line, ls...)
}

// stmtHead splits s into the text before its value expression and the
// value; value is nil if s has none.
func stmtHead(s Stmt) (string, Expr) {
	switch s := s.(type) {
	case *BatchStmt:
		return "batch " + s.Name.Name + " = ", s.Size
	case *ConstStmt:
		return "const " + s.Name.Name + " = ", s.Value
	case *InputStmt:
		kw := "input "
		if s.Target {
			kw = "target "
		}
		return kw + s.Name.Name + ": " + formatType(s.Type), nil
	case *ParamStmt:
		return "param " + s.Name.Name + ": " + formatType(s.Type) + " = ", nil
	case *AssignStmt:
		return s.Name.Name + " = ", s.Value
	case *OutputStmt:
		if s.Value == nil {
			return "output " + s.Name.Name, nil
		}
		return "output " + s.Name.Name + " = ", s.Value
	case *LossStmt:
		return "loss ", nil
	case *OptimizerStmt:
		return "optimizer ", nil
	case *FreezeStmt:
		names := make([]string, len(s.Names))
		for i, n := range s.Names {
			names[i] = n.Name
		}
		return "freeze " + strings.Join(names, ", "), nil
	}
	return "", nil
}

// formatValue returns the part of s after its head.
func formatValue(s Stmt, value Expr) string {
	var b strings.Builder
	switch s := s.(type) {
	case *ParamStmt:
		writeCall(&b, s.Init, true)
	case *LossStmt:
		writeCall(&b, s.Call, false)
	case *OptimizerStmt:
		writeCall(&b, s.Call, true)
	default:
		if value != nil {
			writeExpr(&b, value)
		}
	}
	return b.String()
}

func formatType(t *TensorType) string {
	var b strings.Builder
	b.WriteString(string(t.DType) + "[")
	writeList(&b, t.Dims)
	b.WriteByte(']')
	return b.String()
}

// segment is the head or one stage of a pipe being laid out.
type segment struct {
	node     Node
	text     string
	leading  []string // comments on lines of their own before the segment
	trailing string   // comment at the end of the segment's line
}

// pipeLines lays out a statement whose value is a pipe, keeping the comments
// in inner that sit between stages; it returns the others.
func pipeLines(prefix string, pipe *Pipe, inner []*Comment) ([]line, []*Comment) {
	segs := []*segment{{node: pipe.X, text: prefix + formatOperand(pipe.X, precSum)}}
	for _, s := range pipe.Stages {
		var b strings.Builder
		writeCall(&b, s, true)
		segs = append(segs, &segment{node: s, text: "|> " + b.String()})
	}
	var rest []*Comment
	for _, c := range inner {
		if !placeComment(segs, c) {
			rest = append(rest, c)
		}
	}
	cur := line{indent: 1, code: segs[0].text}
	var ls []line
	for k := 1; k < len(segs); k++ {
		prev, s := segs[k-1], segs[k]
		brk := s.node.Start().Line > prev.node.End().Line || prev.trailing != "" ||
			len(s.leading) > 0 || width(cur)+1+utf8.RuneCountInString(s.text) > maxWidth
		if !brk {
			cur.code += " " + s.text
			continue
		}
		cur.comment = prev.trailing
		ls = append(ls, cur)
		for _, c := range s.leading {
			ls = append(ls, line{indent: 2, comment: c})
		}
		cur = line{indent: 2, code: s.text}
	}
	return append(ls, cur), rest
}

// placeComment attaches c to the end of the last segment on its line, or
// above the next segment if c is on a line of its own between segments. It
// reports false if c is inside a segment.
func placeComment(segs []*segment, c *Comment) bool {
	k := -1 // the last segment starting before c
	for k+1 < len(segs) && segs[k+1].node.Start().Offset < c.Pos.Offset {
		k++
	}
	if k < 0 || c.Pos.Offset < segs[k].node.End().Offset {
		return false
	}
	s := segs[k]
	if c.Pos.Line == s.node.End().Line && s.trailing == "" {
		s.trailing = c.Text
		return true
	}
	if k+1 < len(segs) && s.node.End().Line < c.Pos.Line && c.Pos.Line < segs[k+1].node.Start().Line {
		segs[k+1].leading = append(segs[k+1].leading, c.Text)
		return true
	}
	return false
}

// formatOperand formats e as an operand that must bind at least as tightly
// as precedence level min.
func formatOperand(e Expr, min int) string {
	var b strings.Builder
	writeOperand(&b, e, min)
	return b.String()
}

func width(l line) int { return 4*l.indent + utf8.RuneCountInString(l.code) }

// render writes the lines, aligning the comments of consecutive lines that
// all have code and a trailing comment.
func (p *printer) render() []byte {
	var buf bytes.Buffer
	ls := p.lines
	for i := 0; i < len(ls); {
		j, col := i, 0
		for ; j < len(ls) && ls[j].code != "" && ls[j].comment != ""; j++ {
			col = max(col, width(ls[j]))
		}
		if j == i {
			writeLine(&buf, ls[i], 0)
			i++
			continue
		}
		for ; i < j; i++ {
			writeLine(&buf, ls[i], col)
		}
	}
	return buf.Bytes()
}

// writeLine writes l, starting its comment at column col+1 or later.
func writeLine(buf *bytes.Buffer, l line, col int) {
	if l.code == "" && l.comment == "" {
		buf.WriteByte('\n')
		return
	}
	buf.WriteString(strings.Repeat("    ", l.indent))
	buf.WriteString(l.code)
	if l.comment != "" {
		if l.code != "" {
			buf.WriteString(strings.Repeat(" ", max(col-width(l), 0)+1))
		}
		buf.WriteString(strings.TrimRight(l.comment, " \t\r"))
	}
	buf.WriteByte('\n')
}
