package dsl

import "fmt"

// check runs the checks that need no name resolution and adds what it finds
// to errs: duplicate models and names, a missing or repeated batch, loss or
// optimizer, misplaced or repeated keyword arguments, unknown dtypes,
// dimensions that are not integer expressions and repeated "...".
// A model in bad has syntax errors, so a missing batch may be one of them.
func check(f *File, bad map[*Model]bool, errs *ErrorList) {
	models := map[string]*Model{}
	for _, m := range f.Models {
		if prev, ok := models[m.Name.Name]; ok {
			errs.Addf(m.Name.Pos, "duplicate model %q (first declared at %s)", m.Name.Name, at(prev.Name))
		} else {
			models[m.Name.Name] = m
		}
		checkModel(m, !bad[m], errs)
	}
	Inspect(f, func(n Node) bool {
		switch n := n.(type) {
		case *Call:
			checkArgs(n, errs)
		case *Index:
			checkIndices(n, errs)
		case *TensorType:
			checkType(n, errs)
		}
		return true
	})
}

// at returns where id is declared.
func at(id *Ident) string {
	return fmt.Sprintf("line %d", id.Pos.Line)
}

// checkModel checks the statements of m against each other, and that m has
// a batch declaration if needBatch.
func checkModel(m *Model, needBatch bool, errs *ErrorList) {
	names := map[string]*Ident{}
	declare := func(id *Ident) {
		if prev, ok := names[id.Name]; ok {
			errs.Addf(id.Pos, "duplicate name %q (first declared at %s)", id.Name, at(prev))
			return
		}
		names[id.Name] = id
	}
	outputs := map[string]*Ident{}
	var once [3]Stmt // batch, loss, optimizer
	single := func(i int, s Stmt, what string) bool {
		if once[i] != nil {
			errs.Addf(s.Start(), "duplicate %s (first at line %d)", what, once[i].Start().Line)
			return false
		}
		once[i] = s
		return true
	}
	for _, s := range m.Stmts {
		switch s := s.(type) {
		case *BatchStmt:
			if single(0, s, "batch declaration") {
				declare(s.Name)
			}
		case *ConstStmt:
			declare(s.Name)
		case *InputStmt:
			declare(s.Name)
		case *ParamStmt:
			declare(s.Name)
		case *AssignStmt:
			declare(s.Name)
		case *OutputStmt:
			if s.Value != nil {
				declare(s.Name)
			}
			if prev, ok := outputs[s.Name.Name]; ok {
				errs.Addf(s.Name.Pos, "duplicate output %q (first at line %d)", s.Name.Name, prev.Pos.Line)
			} else {
				outputs[s.Name.Name] = s.Name
			}
		case *LossStmt:
			single(1, s, "loss")
		case *OptimizerStmt:
			single(2, s, "optimizer")
		}
	}
	if once[0] == nil && needBatch {
		errs.Addf(m.Name.Pos, "model %q has no batch declaration (add e.g. \"batch B = 32\")", m.Name.Name)
	}
}

// checkArgs checks that keyword arguments follow positional ones and are
// not repeated.
func checkArgs(c *Call, errs *ErrorList) {
	seen := map[string]bool{}
	keyword := false
	for _, a := range c.Args {
		if a.Name == nil {
			if keyword {
				errs.Addf(a.Pos, "positional argument after keyword argument in call to %s", c.Func.Name)
			}
			continue
		}
		keyword = true
		if seen[a.Name.Name] {
			errs.Addf(a.Name.Pos, "duplicate keyword argument %q in call to %s", a.Name.Name, c.Func.Name)
		}
		seen[a.Name.Name] = true
	}
}

// checkIndices allows at most one "..." per index.
func checkIndices(x *Index, errs *ErrorList) {
	n := 0
	for _, e := range x.Indices {
		if _, ok := e.(*Ellipsis); ok {
			if n++; n == 2 {
				errs.Addf(e.Start(), "more than one \"...\" in index")
			}
		}
	}
}

// checkType checks the dtype and that each dimension is an integer
// expression of literals and names.
func checkType(t *TensorType, errs *ErrorList) {
	if !validDType(t.DType) {
		cands := make([]string, len(DTypes))
		for i, d := range DTypes {
			cands[i] = string(d)
		}
		if s := Suggest(string(t.DType), cands); s != "" {
			errs.Addf(t.Pos, "unknown dtype %q (did you mean %q?)", t.DType, s)
		} else {
			errs.Addf(t.Pos, "unknown dtype %q (want f32, f64 or i32)", t.DType)
		}
	}
	for _, d := range t.Dims {
		if bad := badDim(d); bad != nil {
			errs.Addf(bad.Start(), "invalid dimension %s (want integers and names combined with + - * /)", FormatExpr(bad))
		}
	}
}

func validDType(d DType) bool {
	for _, v := range DTypes {
		if d == v {
			return true
		}
	}
	return false
}

// badDim returns the first part of dimension e that is not an integer
// literal, a name or integer arithmetic, or nil if e is fine.
func badDim(e Expr) Expr {
	switch e := e.(type) {
	case *Number:
		if e.IsInt {
			return nil
		}
	case *Ident:
		return nil
	case *Paren:
		return badDim(e.X)
	case *Unary:
		return badDim(e.X)
	case *Binary:
		if e.Op == MatMul {
			return e
		}
		if bad := badDim(e.X); bad != nil {
			return bad
		}
		return badDim(e.Y)
	}
	return e
}
