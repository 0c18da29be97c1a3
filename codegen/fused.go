package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/dlc-lang/dlc/ir"
)

// exprCode renders a fused expression (ir.Expr) on one element, args
// being the element of each argument. Every op node is bound to a
// temporary of the loop body (k.loopStmts), so operands stay atoms and a
// subexpression that occurs twice is computed once.
func (k *kernel) exprCode(e *ir.Expr, args []jen.Code) (jen.Code, error) {
	temps := map[string]string{}
	var walk func(e *ir.Expr, top bool) (jen.Code, error)
	walk = func(e *ir.Expr, top bool) (jen.Code, error) {
		switch {
		case e.IsArg():
			return args[e.Arg], nil
		case e.IsLit():
			if e.Value < 0 {
				return jen.Parens(flit(e.Value)), nil
			}
			return flit(e.Value), nil
		}
		key := e.String()
		if name, ok := temps[key]; ok {
			return id(name), nil
		}
		rule, ok := scalarRules[e.Op]
		if !ok {
			return nil, fmt.Errorf("no scalar rule for %s", e.Op)
		}
		xs := make([]jen.Code, len(e.Args))
		for i, a := range e.Args {
			x, err := walk(a, false)
			if err != nil {
				return nil, err
			}
			xs[i] = x
		}
		code := rule(k.g, e.Attrs, xs)
		if e.MaxArg() < 0 {
			code = k.g.ft().Call(code) // literals only: keep the float type
		}
		if top {
			return code, nil
		}
		name := fmt.Sprintf("t%d", len(temps))
		temps[key] = name
		k.loopStmts = append(k.loopStmts, define(name, code))
		return id(name), nil
	}
	return walk(e, true)
}

// fusedScalar renders a fused value's expression.
func fusedScalar(k *kernel, v *ir.Value, args []jen.Code) (jen.Code, error) {
	e, err := ir.ParseExpr(v.Attrs.Str("expr"))
	if err != nil {
		return nil, err
	}
	return k.exprCode(e, args)
}
