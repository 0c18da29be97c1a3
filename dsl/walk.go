package dsl

// Visitor's Visit is called for each node by Walk. If it returns a non-nil
// w, Walk visits the node's children with w and then calls w.Visit(nil).
type Visitor interface {
	Visit(n Node) (w Visitor)
}

// Walk traverses the tree rooted at n in source order, as go/ast.Walk does.
// Comments are not visited.
func Walk(v Visitor, n Node) {
	if v = v.Visit(n); v == nil {
		return
	}
	for _, c := range children(n) {
		Walk(v, c)
	}
	v.Visit(nil)
}

type inspector func(Node) bool

func (f inspector) Visit(n Node) Visitor {
	if f(n) {
		return f
	}
	return nil
}

// Inspect calls f for each node of the tree rooted at n in source order,
// descending into a node's children while f returns true. After the
// children, f is called with nil.
func Inspect(n Node, f func(Node) bool) {
	Walk(inspector(f), n)
}

// children returns n's non-nil children in source order.
func children(n Node) []Node {
	var out []Node
	add := func(ns ...Node) {
		for _, c := range ns {
			if !isNil(c) {
				out = append(out, c)
			}
		}
	}
	switch n := n.(type) {
	case *File:
		for _, m := range n.Models {
			add(m)
		}
	case *Model:
		add(n.Name)
		for _, s := range n.Stmts {
			add(s)
		}
	case *BatchStmt:
		add(n.Name, n.Size)
	case *ConstStmt:
		add(n.Name, n.Value)
	case *InputStmt:
		add(n.Name, n.Type)
	case *ParamStmt:
		add(n.Name, n.Type, n.Init)
	case *AssignStmt:
		add(n.Name, n.Value)
	case *OutputStmt:
		add(n.Name, n.Value)
	case *LossStmt:
		add(n.Call)
	case *OptimizerStmt:
		add(n.Call)
	case *FreezeStmt:
		for _, name := range n.Names {
			add(name)
		}
	case *TensorType:
		for _, d := range n.Dims {
			add(d)
		}
	case *List:
		for _, e := range n.Elems {
			add(e)
		}
	case *Paren:
		add(n.X)
	case *Unary:
		add(n.X)
	case *Binary:
		add(n.X, n.Y)
	case *Call:
		add(n.Func)
		for _, a := range n.Args {
			add(a)
		}
		add(n.As)
	case *Arg:
		add(n.Name, n.Value)
	case *Index:
		add(n.X)
		for _, e := range n.Indices {
			add(e)
		}
	case *Slice:
		add(n.Lo, n.Hi, n.Step)
	case *Pipe:
		add(n.X)
		for _, s := range n.Stages {
			add(s)
		}
	}
	return out
}

// isNil reports whether n is nil or a typed nil pointer.
func isNil(n Node) bool {
	switch n := n.(type) {
	case nil:
		return true
	case *Ident:
		return n == nil
	case *Call:
		return n == nil
	case *TensorType:
		return n == nil
	}
	return n == nil
}
