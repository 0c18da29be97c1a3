package ir

import (
	"fmt"
	"io"
	"strconv"
)

// WriteDot writes f as a Graphviz digraph: one node per value, labelled
// with its op and type, edges from arguments to users.
func WriteDot(w io.Writer, f *Func) error {
	pw := &errWriter{w: w}
	pw.printf("digraph %s {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n", strconv.Quote(f.Name))
	num := make(map[*Value]int, len(f.Values))
	for i, v := range f.Values {
		num[v] = i
		label := fmt.Sprintf("%%%d %s\\n%v", i, v.Op, v.Type)
		if n := v.Attrs.Str("name"); n != "" && v.Op.Kind() == KindSource {
			label = fmt.Sprintf("%%%d %s %s\\n%v", i, v.Op, n, v.Type)
		}
		style := ""
		if v.Op.Kind() == KindSource {
			style = ", style=filled, fillcolor=\"#e8f0fe\""
		}
		pw.printf("  v%d [label=%q%s];\n", i, label, style)
	}
	for _, v := range f.Values {
		for _, a := range v.Args {
			pw.printf("  v%d -> v%d;\n", num[a], num[v])
		}
	}
	for i, r := range f.Results {
		pw.printf("  r%d [label=%q, shape=oval];\n  v%d -> r%d;\n", i, r.Name, num[r.Value], i)
	}
	pw.printf("}\n")
	return pw.err
}

// errWriter remembers the first write error so printing code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
