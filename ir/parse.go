package ir

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Parse reads the text form written by Print. Types are checked with the
// op table's rules, so a hand-written test program is verified as it is read.
func Parse(src string) (*Program, error) {
	p := &parser{prog: &Program{}}
	for i, line := range strings.Split(src, "\n") {
		p.line = i + 1
		if err := p.parseLine(line); err != nil {
			return nil, fmt.Errorf("ir:%d: %v", p.line, err)
		}
	}
	if p.fn != nil {
		return nil, fmt.Errorf("ir:%d: func %s is not closed", p.line, p.fn.Name)
	}
	if p.prog.Name == "" {
		return nil, fmt.Errorf("ir: missing program line")
	}
	return p.prog, nil
}

type parser struct {
	prog *Program
	fn   *Func
	vals map[int]*Value
	line int
	toks []string
}

func (p *parser) parseLine(line string) error {
	if i := strings.Index(line, "//"); i >= 0 && !strings.Contains(line[:i], "\"") {
		line = line[:i]
	}
	toks, err := lex(line)
	if err != nil {
		return err
	}
	if len(toks) == 0 {
		return nil
	}
	p.toks = toks
	if p.fn != nil {
		return p.parseFuncLine()
	}
	switch kw := p.next(); kw {
	case "program":
		return p.parseProgram()
	case "input", "target":
		return p.parseDecl(kw)
	case "param", "buffer":
		return p.parseParam(kw)
	case "optimizer":
		return p.parseOptimizer()
	case "loss":
		return p.parseLoss()
	case "func":
		name := p.next()
		shards := 0
		if len(p.toks) > 0 && p.toks[0] == "shards" {
			p.next()
			if err := p.expect("="); err != nil {
				return err
			}
			n, err := strconv.Atoi(p.next())
			if err != nil || n < 2 {
				return fmt.Errorf("func %s: the shard count is not a number above 1", name)
			}
			shards = n
		}
		if err := p.expect("{"); err != nil {
			return err
		}
		p.fn = &Func{Name: name, Shards: shards}
		p.vals = map[int]*Value{}
		return p.end()
	default:
		return fmt.Errorf("unexpected %q", kw)
	}
}

func (p *parser) next() string {
	if len(p.toks) == 0 {
		return ""
	}
	t := p.toks[0]
	p.toks = p.toks[1:]
	return t
}

func (p *parser) peek() string {
	if len(p.toks) == 0 {
		return ""
	}
	return p.toks[0]
}

func (p *parser) expect(t string) error {
	if got := p.next(); got != t {
		return fmt.Errorf("expected %q, got %q", t, got)
	}
	return nil
}

func (p *parser) end() error {
	if len(p.toks) > 0 {
		return fmt.Errorf("unexpected %q at end of line", p.toks[0])
	}
	return nil
}

func (p *parser) parseProgram() error {
	p.prog.Name = p.next()
	for len(p.toks) > 0 {
		key := p.next()
		if err := p.expect("="); err != nil {
			return err
		}
		val, err := p.parseAttrValue()
		if err != nil {
			return err
		}
		switch key {
		case "batch":
			p.prog.Batch, _ = val.(int)
		case "file":
			p.prog.File, _ = val.(string)
		default:
			return fmt.Errorf("unknown program attribute %q", key)
		}
	}
	return nil
}

func (p *parser) parseDecl(role string) error {
	d := &Decl{Role: role, Name: p.next()}
	t, err := p.parseType()
	if err != nil {
		return err
	}
	d.Type = t
	if d.Pos, err = p.parsePos(); err != nil {
		return err
	}
	p.prog.Inputs = append(p.prog.Inputs, d)
	return p.end()
}

func (p *parser) parseParam(kw string) error {
	q := &Param{Name: p.next()}
	t, err := p.parseType()
	if err != nil {
		return err
	}
	q.Type = t
	if err := p.expect("init"); err != nil {
		return err
	}
	if err := p.expect("="); err != nil {
		return err
	}
	q.Init.Kind = p.next()
	if err := p.expect("("); err != nil {
		return err
	}
	for p.peek() != ")" {
		if len(q.Init.Args) > 0 {
			if err := p.expect(","); err != nil {
				return err
			}
		}
		f, err := strconv.ParseFloat(p.next(), 64)
		if err != nil {
			return fmt.Errorf("bad init argument: %v", err)
		}
		q.Init.Args = append(q.Init.Args, f)
	}
	p.next()
	if p.peek() == "frozen" {
		if kw != "param" {
			return fmt.Errorf("buffer %s: only parameters can be frozen", q.Name)
		}
		p.next()
		q.Frozen = true
	}
	if q.Pos, err = p.parsePos(); err != nil {
		return err
	}
	if kw == "param" {
		p.prog.Params = append(p.prog.Params, q)
	} else {
		p.prog.Buffers = append(p.prog.Buffers, q)
	}
	return p.end()
}

func (p *parser) parseOptimizer() error {
	o := &Optimizer{Kind: p.next(), Hyper: map[string]float64{}}
	attrs, err := p.parseAttrs()
	if err != nil {
		return err
	}
	for k, v := range attrs {
		o.Hyper[k] = attrs.Float(k, 0)
		if _, ok := v.(bool); ok {
			o.Hyper[k] = b2f(v.(bool))
		}
	}
	if o.Pos, err = p.parsePos(); err != nil {
		return err
	}
	p.prog.Optimizer = o
	return p.end()
}

func (p *parser) parseLoss() error {
	l := &Loss{Kind: p.next()}
	for len(p.toks) > 0 && p.peek() != "@" {
		key := p.next()
		if err := p.expect("="); err != nil {
			return err
		}
		val := p.next()
		switch key {
		case "output":
			l.Output = val
		case "target":
			l.Target = val
		case "reduction":
			l.Reduction = val
		default:
			return fmt.Errorf("unknown loss attribute %q", key)
		}
	}
	var err error
	if l.Pos, err = p.parsePos(); err != nil {
		return err
	}
	p.prog.Loss = l
	return p.end()
}

func (p *parser) parseFuncLine() error {
	switch t := p.next(); {
	case t == "}":
		p.fn.Renumber()
		p.prog.Funcs = append(p.prog.Funcs, p.fn)
		p.fn = nil
		return p.end()
	case t == "result":
		name := p.next()
		if err := p.expect("="); err != nil {
			return err
		}
		v, err := p.parseRef()
		if err != nil {
			return err
		}
		p.fn.Results = append(p.fn.Results, Result{Name: name, Value: v})
		return p.end()
	case strings.HasPrefix(t, "%"):
		return p.parseValue(t)
	default:
		return fmt.Errorf("unexpected %q in func", t)
	}
}

func (p *parser) parseRef() (*Value, error) {
	t := p.next()
	id, err := strconv.Atoi(strings.TrimPrefix(t, "%"))
	if !strings.HasPrefix(t, "%") || err != nil {
		return nil, fmt.Errorf("expected a value reference, got %q", t)
	}
	v, ok := p.vals[id]
	if !ok {
		return nil, fmt.Errorf("%s is not defined before use", t)
	}
	return v, nil
}

func (p *parser) parseValue(def string) error {
	id, err := strconv.Atoi(def[1:])
	if err != nil {
		return fmt.Errorf("bad value name %q", def)
	}
	if _, dup := p.vals[id]; dup {
		return fmt.Errorf("%s defined twice", def)
	}
	if err := p.expect("="); err != nil {
		return err
	}
	opName := p.next()
	op, ok := OpByName(opName)
	if !ok {
		return fmt.Errorf("unknown op %q", opName)
	}
	v := &Value{ID: id, Op: op}
	for strings.HasPrefix(p.peek(), "%") {
		a, err := p.parseRef()
		if err != nil {
			return err
		}
		v.Args = append(v.Args, a)
		if p.peek() == "," {
			p.next()
		}
	}
	if p.peek() == "{" {
		if v.Attrs, err = p.parseAttrs(); err != nil {
			return err
		}
	}
	if err := p.expect(":"); err != nil {
		return err
	}
	if v.Type, err = p.parseType(); err != nil {
		return err
	}
	if v.Pos, err = p.parsePos(); err != nil {
		return err
	}
	if s := p.peek(); strings.HasPrefix(s, "\"") {
		v.Name, _ = strconv.Unquote(p.next())
	}
	t, err := InferType(v)
	if err != nil {
		return err
	}
	if !t.Equal(v.Type) {
		return fmt.Errorf("%s: %s has type %v, the op's rule gives %v", def, op, v.Type, t)
	}
	p.vals[id] = v
	p.fn.Values = append(p.fn.Values, v)
	return p.end()
}

func (p *parser) parseAttrs() (Attrs, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	a := Attrs{}
	for p.peek() != "}" {
		if len(a) > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		key := p.next()
		if err := p.expect("="); err != nil {
			return nil, err
		}
		v, err := p.parseAttrValue()
		if err != nil {
			return nil, err
		}
		a[key] = v
	}
	p.next()
	return a, nil
}

func (p *parser) parseAttrValue() (any, error) {
	t := p.next()
	switch {
	case t == "true" || t == "false":
		return t == "true", nil
	case strings.HasPrefix(t, "\""):
		return strconv.Unquote(t)
	case t == "[":
		ints := []int{}
		for p.peek() != "]" {
			if len(ints) > 0 {
				if err := p.expect(","); err != nil {
					return nil, err
				}
			}
			n, err := strconv.Atoi(p.next())
			if err != nil {
				return nil, err
			}
			ints = append(ints, n)
		}
		p.next()
		return ints, nil
	case strings.ContainsAny(t, ".eEnN"):
		return strconv.ParseFloat(t, 64)
	default:
		return strconv.Atoi(t)
	}
}

func (p *parser) parseType() (Type, error) {
	name := p.next()
	d, ok := ParseDType(name)
	if !ok {
		return Type{}, fmt.Errorf("unknown dtype %q", name)
	}
	if err := p.expect("["); err != nil {
		return Type{}, err
	}
	s := Shape{}
	for p.peek() != "]" {
		if len(s) > 0 {
			if err := p.expect(","); err != nil {
				return Type{}, err
			}
		}
		t := p.next()
		if t == "B" {
			s = append(s, B)
			continue
		}
		n, err := strconv.Atoi(t)
		if err != nil {
			return Type{}, fmt.Errorf("bad dimension %q", t)
		}
		s = append(s, n)
	}
	p.next()
	return Type{d, s}, checkShape(s)
}

func (p *parser) parsePos() (Pos, error) {
	if p.peek() != "@" {
		return Pos{}, nil
	}
	p.next()
	var pos Pos
	if _, err := fmt.Sscanf(p.next(), "%d", &pos.Line); err != nil {
		return pos, fmt.Errorf("bad position")
	}
	if err := p.expect(":"); err != nil {
		return pos, err
	}
	if _, err := fmt.Sscanf(p.next(), "%d", &pos.Col); err != nil {
		return pos, fmt.Errorf("bad position")
	}
	pos.File = p.prog.File
	return pos, nil
}

// lex splits a line into tokens: punctuation, quoted strings, and runs of
// other characters (names like fc1.weight, numbers like -1e-08, %3).
func lex(line string) ([]string, error) {
	var toks []string
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.IndexByte("{}[](),=:@", c) >= 0:
			toks = append(toks, string(c))
			i++
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' {
					j++
				}
			}
			if j >= len(line) {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, line[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(line) && !unicode.IsSpace(rune(line[j])) && strings.IndexByte("{}[](),=:@\"", line[j]) < 0 {
				j++
			}
			toks = append(toks, line[i:j])
			i = j
		}
	}
	return toks, nil
}
