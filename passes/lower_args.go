package passes

import "github.com/dlc-lang/dlc/dsl"

// param is one formal parameter of a DSL function or layer.
type param struct {
	name     string
	kind     valueKind // the kind required; kNumber also accepts lists when pair is set
	integer  bool      // numbers must be integers
	pair     bool      // an integer or a two-element list of integers
	orString bool      // a string is accepted too
	required bool
	raw      bool  // not evaluated: the builtin reads the argument's syntax itself
	def      value // default when absent (kind 0: absent stays absent)
}

// bind matches a call's arguments to a signature, PyTorch style: positional
// arguments in order, then keywords. piped is the value of a pipe's left side,
// which becomes the first positional argument.
func (l *lowerer) bind(c *dsl.Call, piped *value, sig []param) (map[string]value, bool) {
	out := map[string]value{}
	ok := true
	pos := 0
	set := func(p param, v value, at dsl.Node) {
		if _, dup := out[p.name]; dup {
			l.errorf(at.Start(), "%s: argument %s given twice", c.Func.Name, p.name)
			ok = false
			return
		}
		if !l.checkKind(c, p, v, at) {
			ok = false
			return
		}
		out[p.name] = v
	}
	if piped != nil {
		if len(sig) == 0 {
			l.errorf(c.Pos, "%s takes no arguments", c.Func.Name)
			return nil, false
		}
		set(sig[0], *piped, c)
		pos = 1
	}
	for _, a := range c.Args {
		if a.Name != nil {
			continue
		}
		if pos >= len(sig) {
			l.errorf(a.Pos, "%s takes at most %d positional arguments", c.Func.Name, len(sig))
			return nil, false
		}
		v, vok := l.argValue(sig[pos], a.Value)
		pos++
		if !vok {
			ok = false
			continue
		}
		set(sig[pos-1], v, a)
	}
	for _, a := range c.Args {
		if a.Name == nil {
			continue
		}
		p, found := findParam(sig, a.Name.Name)
		if !found {
			l.unknownArg(c, a, sig)
			ok = false
			continue
		}
		v, vok := l.argValue(p, a.Value)
		if !vok {
			ok = false
			continue
		}
		set(p, v, a)
	}
	if !ok {
		return nil, false // a missing argument after a bad one is noise
	}
	for _, p := range sig {
		if _, has := out[p.name]; has {
			continue
		}
		if p.required {
			l.errorf(c.Pos, "%s: missing argument %s", c.Func.Name, p.name)
			ok = false
		} else if p.def.kind != 0 {
			out[p.name] = p.def
		}
	}
	return out, ok
}

// bindConst binds a call whose arguments are all constants, picking the
// signature by the call's name from sigs.
func (l *lowerer) bindConst(c *dsl.Call, sigs map[string][]param) (map[string]value, bool) {
	sig, found := sigs[c.Func.Name]
	if !found {
		l.unknownf(c.Func.Pos, c.Func.Name, sortedNames(sigs), "unknown function %s", c.Func.Name)
		return nil, false
	}
	return l.bind(c, nil, sig)
}

func (l *lowerer) argValue(p param, e dsl.Expr) (value, bool) {
	if p.raw {
		return value{kind: p.kind}, true
	}
	if p.kind == kTensor {
		return l.expr(e)
	}
	if p.kind == kFunc {
		switch e := dsl.Unparen(e).(type) {
		case *dsl.Ident:
			return value{kind: kFunc, str: e.Name}, true
		case *dsl.String:
			return value{kind: kFunc, str: e.Value}, true
		}
	}
	return l.constExpr(e)
}

func findParam(sig []param, name string) (param, bool) {
	for _, p := range sig {
		if p.name == name {
			return p, true
		}
	}
	return param{}, false
}

func (l *lowerer) unknownArg(c *dsl.Call, a *dsl.Arg, sig []param) {
	names := make([]string, len(sig))
	for i, p := range sig {
		names[i] = p.name
	}
	l.unknownf(a.Name.Pos, a.Name.Name, names, "%s has no argument %s", c.Func.Name, a.Name.Name)
}

func (l *lowerer) checkKind(c *dsl.Call, p param, v value, at dsl.Node) bool {
	bad := func(want string) bool {
		l.errorf(at.Start(), "%s: argument %s must be %s, got %s", c.Func.Name, p.name, want, v.describe())
		return false
	}
	switch {
	case p.orString && v.kind == kString:
		return true
	case p.pair:
		if v.kind == kNumber && v.isInt {
			return true
		}
		if v.kind == kList && len(v.list) == 2 && v.list[0].isInt && v.list[1].isInt {
			return true
		}
		return bad("an integer or a list of two integers")
	case p.kind == kNumber && p.integer:
		if v.kind != kNumber || !v.isInt {
			return bad("an integer")
		}
	case p.kind == kNumber:
		if v.kind != kNumber {
			return bad("a number")
		}
	case p.kind == kTensor:
		if v.kind != kTensor {
			return bad("a tensor")
		}
	case p.kind == kBool:
		if v.kind != kBool {
			return bad("true or false")
		}
	case p.kind == kString:
		if v.kind != kString {
			return bad("a string")
		}
	case p.kind == kFunc:
		if v.kind != kFunc {
			return bad("a function name")
		}
	case p.kind == kList:
		if v.kind == kNumber && v.isInt {
			return true // a single axis or size
		}
		if v.kind != kList {
			return bad("a list")
		}
	}
	return true
}

// ints returns a number or list of numbers as ints.
func (v value) ints() []int {
	if v.kind == kNumber {
		return []int{int(v.num)}
	}
	out := make([]int, len(v.list))
	for i, x := range v.list {
		out[i] = int(x.num)
	}
	return out
}

// pairOf returns an integer-or-pair argument as two ints.
func (v value) pairOf() []int {
	if v.kind == kNumber {
		return []int{int(v.num), int(v.num)}
	}
	return []int{int(v.list[0].num), int(v.list[1].num)}
}
