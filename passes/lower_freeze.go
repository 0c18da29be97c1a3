package passes

import (
	"strings"

	"github.com/dlc-lang/dlc/dsl"
)

// freeze marks the parameters that freeze statements name as ir.Param
// Frozen: a layer name freezes all of the layer's parameters (not its
// buffers, which are never trained), a full name (conv1.bias) just that
// one. It runs once every parameter exists.
func (l *lowerer) freeze() {
	var stmts []*dsl.FreezeStmt
	for _, st := range l.model.Stmts {
		if s, ok := st.(*dsl.FreezeStmt); ok {
			stmts = append(stmts, s)
		}
	}
	if len(stmts) == 0 {
		return
	}
	if l.model.Optimizer() == nil {
		l.errorf(stmts[0].Pos, "freeze: model %s does not train (it has no optimizer)", l.model.Name.Name)
		return
	}
	buffers := map[string]bool{}
	for _, q := range l.prog.Buffers {
		buffers[q.Name] = true
	}
	// Candidates for "did you mean": every parameter and every layer
	// prefix of one.
	known := map[string]bool{}
	for _, q := range l.prog.Params {
		known[q.Name] = true
		for i := range q.Name {
			if q.Name[i] == '.' {
				known[q.Name[:i]] = true
			}
		}
	}
	seen := map[string]bool{}
	for _, s := range stmts {
		for _, n := range s.Names {
			if seen[n.Name] {
				l.errorf(n.Pos, "freeze: %s is named twice", n.Name)
				continue
			}
			seen[n.Name] = true
			if buffers[n.Name] {
				l.errorf(n.Pos, "freeze: %s is a buffer, which training never changes by gradient; freeze names parameters or layers", n.Name)
				continue
			}
			matched := false
			for _, q := range l.prog.Params {
				if q.Name == n.Name || strings.HasPrefix(q.Name, n.Name+".") {
					q.Frozen, matched = true, true
				}
			}
			if !matched {
				l.unknownf(n.Pos, n.Name, sortedNames(known), "freeze: no parameter or layer %s", n.Name)
			}
		}
	}
	for _, q := range l.prog.Params {
		if !q.Frozen {
			return
		}
	}
	l.errorf(stmts[0].Pos, "freeze: every parameter of model %s is frozen, so there is nothing to train", l.model.Name.Name)
}
