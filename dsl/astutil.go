package dsl

// Unparen returns e with any enclosing parentheses removed.
func Unparen(e Expr) Expr {
	for {
		p, ok := e.(*Paren)
		if !ok {
			return e
		}
		e = p.X
	}
}

// Positional returns the values of c's positional arguments, in order.
func (c *Call) Positional() []Expr {
	var out []Expr
	for _, a := range c.Args {
		if a.Name == nil {
			out = append(out, a.Value)
		}
	}
	return out
}

// Keyword returns the value of c's keyword argument name, or nil.
func (c *Call) Keyword(name string) Expr {
	for _, a := range c.Args {
		if a.Name != nil && a.Name.Name == name {
			return a.Value
		}
	}
	return nil
}

// Batch returns m's batch declaration, or nil.
func (m *Model) Batch() *BatchStmt {
	for _, s := range m.Stmts {
		if b, ok := s.(*BatchStmt); ok {
			return b
		}
	}
	return nil
}

// Loss returns m's loss statement, or nil for an inference-only model.
func (m *Model) Loss() *LossStmt {
	for _, s := range m.Stmts {
		if l, ok := s.(*LossStmt); ok {
			return l
		}
	}
	return nil
}

// Optimizer returns m's optimizer statement, or nil.
func (m *Model) Optimizer() *OptimizerStmt {
	for _, s := range m.Stmts {
		if o, ok := s.(*OptimizerStmt); ok {
			return o
		}
	}
	return nil
}

// Outputs returns m's output statements, in order.
func (m *Model) Outputs() []*OutputStmt {
	var out []*OutputStmt
	for _, s := range m.Stmts {
		if o, ok := s.(*OutputStmt); ok {
			out = append(out, o)
		}
	}
	return out
}
