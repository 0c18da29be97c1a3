package ir

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Print writes p in the text form that Parse reads back.
func Print(w io.Writer, p *Program) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "program %s batch=%d", p.Name, p.Batch)
	if p.File != "" {
		fmt.Fprintf(&b, " file=%s", strconv.Quote(p.File))
	}
	b.WriteByte('\n')
	for _, d := range p.Inputs {
		fmt.Fprintf(&b, "%s %s %v%s\n", d.Role, d.Name, d.Type, posSuffix(d.Pos))
	}
	for _, q := range p.Params {
		printParam(&b, "param", q)
	}
	for _, q := range p.Buffers {
		printParam(&b, "buffer", q)
	}
	if o := p.Optimizer; o != nil {
		fmt.Fprintf(&b, "optimizer %s %s%s\n", o.Kind, hyperString(o.Hyper), posSuffix(o.Pos))
	}
	if l := p.Loss; l != nil {
		fmt.Fprintf(&b, "loss %s", l.Kind)
		for _, kv := range [][2]string{{"output", l.Output}, {"target", l.Target}, {"reduction", l.Reduction}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, " %s=%s", kv[0], kv[1])
			}
		}
		fmt.Fprintf(&b, "%s\n", posSuffix(l.Pos))
	}
	for _, f := range p.Funcs {
		b.WriteByte('\n')
		printFunc(&b, f)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// String returns p's text form.
func (p *Program) String() string {
	var b strings.Builder
	Print(&b, p)
	return b.String()
}

// String returns f's text form.
func (f *Func) String() string {
	var b bytes.Buffer
	printFunc(&b, f)
	return b.String()
}

func printParam(b *bytes.Buffer, kw string, q *Param) {
	args := make([]string, len(q.Init.Args))
	for i, a := range q.Init.Args {
		args[i] = FormatFloat(a)
	}
	frozen := ""
	if q.Frozen {
		frozen = " frozen"
	}
	fmt.Fprintf(b, "%s %s %v init=%s(%s)%s%s\n", kw, q.Name, q.Type, q.Init.Kind, strings.Join(args, ","), frozen, posSuffix(q.Pos))
}

func hyperString(h map[string]float64) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + FormatFloat(h[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func posSuffix(p Pos) string {
	if !p.IsValid() {
		return ""
	}
	return fmt.Sprintf(" @%d:%d", p.Line, p.Col)
}

// printFunc numbers values by their position in the schedule, so that
// printing does not depend on how IDs were allocated.
func printFunc(b *bytes.Buffer, f *Func) {
	num := make(map[*Value]int, len(f.Values))
	for i, v := range f.Values {
		num[v] = i
	}
	ref := func(v *Value) string {
		if i, ok := num[v]; ok {
			return "%" + strconv.Itoa(i)
		}
		return "%?"
	}
	if f.Shards > 1 {
		fmt.Fprintf(b, "func %s shards=%d {\n", f.Name, f.Shards)
	} else {
		fmt.Fprintf(b, "func %s {\n", f.Name)
	}
	for i, v := range f.Values {
		fmt.Fprintf(b, "  %%%d = %s", i, v.Op)
		for j, a := range v.Args {
			if j == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteString(", ")
			}
			b.WriteString(ref(a))
		}
		if len(v.Attrs) > 0 {
			b.WriteByte(' ')
			b.WriteString(v.Attrs.String())
		}
		fmt.Fprintf(b, " : %v%s", v.Type, posSuffix(v.Pos))
		if v.Name != "" {
			b.WriteString(" " + strconv.Quote(v.Name))
		}
		b.WriteByte('\n')
	}
	for _, r := range f.Results {
		fmt.Fprintf(b, "  result %s = %s\n", r.Name, ref(r.Value))
	}
	b.WriteString("}\n")
}
