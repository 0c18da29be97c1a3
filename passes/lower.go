package passes

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/dlc-lang/dlc/dsl"
	"github.com/dlc-lang/dlc/ir"
)

// LowerOptions control how a DSL model becomes IR.
type LowerOptions struct {
	Model string   // the model to lower; "" picks the file's only model
	Batch int      // maximum batch size; 0 keeps the file's batch declaration
	DType ir.DType // F64 turns every f32 declaration into f64; 0 keeps them
}

// Lower turns one model of a parsed file into an IR program with the funcs
// infer, eval and (when the model has a loss) train, each layer expanded
// into primitive ops and every shape checked. Errors are a *dsl.ErrorList
// placing each problem at the DSL position that caused it.
func Lower(file *dsl.File, opts LowerOptions) (*ir.Program, error) {
	l := &lowerer{src: file.Src, errs: dsl.NewErrorList(file.Src), opts: opts, params: map[string]*ir.Param{}}
	m := l.pickModel(file)
	if m == nil {
		return nil, l.errs.Err()
	}
	l.model = m
	l.prog = &ir.Program{Name: m.Name.Name, File: file.Src.Filename}
	l.declare()
	if l.errs.Len() > 0 {
		return nil, l.errs.Err()
	}
	modes := []string{"eval", "infer"}
	if m.Loss() != nil {
		modes = append(modes, "train")
	}
	for i, mode := range modes {
		l.lowerFunc(mode)
		if l.errs.Len() > 0 {
			return nil, l.errs.Err()
		}
		if i == 0 {
			l.sealed = true // later modes must find the parameters the first one made
			l.freeze()
		}
	}
	l.prog.Funcs = []*ir.Func{l.funcs["infer"], l.funcs["eval"]}
	if f := l.funcs["train"]; f != nil {
		l.prog.Funcs = append(l.prog.Funcs, f)
	}
	if err := ir.Verify(l.prog); err != nil {
		return nil, fmt.Errorf("internal error: lowering %s produced invalid IR: %w", m.Name.Name, err)
	}
	return l.prog, nil
}

type lowerer struct {
	src    *dsl.Source
	errs   *dsl.ErrorList
	opts   LowerOptions
	model  *dsl.Model
	prog   *ir.Program
	params map[string]*ir.Param // parameters and buffers by name
	sealed bool                 // parameters may no longer be created
	funcs  map[string]*ir.Func

	consts   map[string]value
	batchSym string
	poisoned map[string]bool // names whose definition failed: uses stay silent

	// Per-func state.
	mode   string
	f      *ir.Func
	b      *ir.Builder
	scope  map[string]value
	layers map[string]lexer.Position // layer names used in this func
	drop   int                       // dropout layers seen, for their seeds
}

func (l *lowerer) errorf(pos lexer.Position, format string, args ...any) {
	l.errs.Addf(pos, format, args...)
}

func irPos(p lexer.Position) ir.Pos { return ir.Pos{File: p.Filename, Line: p.Line, Col: p.Column} }

func (l *lowerer) pickModel(file *dsl.File) *dsl.Model {
	if len(file.Models) == 0 {
		l.errorf(lexer.Position{Filename: file.Src.Filename}, "no model in file")
		return nil
	}
	if l.opts.Model == "" {
		if len(file.Models) > 1 {
			l.errorf(file.Models[1].Pos, "file has %d models: choose one (dlc build -model NAME)", len(file.Models))
			return nil
		}
		return file.Models[0]
	}
	var names []string
	for _, m := range file.Models {
		if m.Name.Name == l.opts.Model {
			return m
		}
		names = append(names, m.Name.Name)
	}
	for i, n := range names {
		names[i] = strconv.Quote(n)
	}
	l.unknownf(file.Models[0].Pos, strconv.Quote(l.opts.Model), names, "no model named %q", l.opts.Model)
	return nil
}

// declare handles the statements that do not depend on the mode: batch,
// constants, inputs, targets and explicit parameters.
func (l *lowerer) declare() {
	l.consts = map[string]value{}
	l.funcs = map[string]*ir.Func{}
	bs := l.model.Batch()
	if bs == nil {
		l.errorf(l.model.Pos, "model %s has no batch declaration (add: batch B = 32)", l.model.Name.Name)
		return
	}
	l.batchSym = bs.Name.Name
	size, ok := l.constInt(bs.Size, "batch size")
	if ok && size <= 0 {
		l.errorf(bs.Size.Start(), "batch size must be positive, got %d", size)
	}
	l.prog.Batch = size
	if l.opts.Batch > 0 {
		l.prog.Batch = l.opts.Batch
	}
	for _, st := range l.model.Stmts {
		switch s := st.(type) {
		case *dsl.ConstStmt:
			if v, ok := l.constExpr(s.Value); ok {
				l.consts[s.Name.Name] = v
			}
		case *dsl.InputStmt:
			t, ok := l.tensorType(s.Type)
			if !ok {
				continue
			}
			role := "input"
			if s.Target {
				role = "target"
			}
			if role == "input" && !t.Shape.Batched() {
				l.errorf(s.Type.Pos, "input %s must have the batch dimension %s as its first axis", s.Name.Name, l.batchSym)
			}
			l.prog.Inputs = append(l.prog.Inputs, &ir.Decl{Name: s.Name.Name, Role: role, Type: t, Pos: irPos(s.Pos)})
		case *dsl.ParamStmt:
			l.declareParam(s)
		}
	}
}

func (l *lowerer) declareParam(s *dsl.ParamStmt) {
	t, ok := l.tensorType(s.Type)
	if !ok {
		return
	}
	if t.Shape.Batched() {
		l.errorf(s.Type.Pos, "parameter %s cannot have the batch dimension", s.Name.Name)
		return
	}
	if !t.DType.IsFloat() {
		l.errorf(s.Type.Pos, "parameter %s must be f32 or f64, got %v", s.Name.Name, t.DType)
		return
	}
	init, ok := l.initializer(s.Init, t)
	if !ok {
		return
	}
	l.addParam(&ir.Param{Name: s.Name.Name, Type: t, Init: init, Pos: irPos(s.Pos)}, false, s.Pos)
}

// addParam registers a parameter (or buffer) the first time a layer asks
// for it; later funcs get the same one back.
func (l *lowerer) addParam(p *ir.Param, buffer bool, pos lexer.Position) *ir.Param {
	if q, ok := l.params[p.Name]; ok {
		if !q.Type.Equal(p.Type) {
			l.errorf(pos, "parameter %s is %v here but %v at %v", p.Name, p.Type, q.Type, q.Pos)
		}
		return q
	}
	if l.sealed {
		panic(fmt.Sprintf("lower: parameter %s appeared only in mode %s", p.Name, l.mode))
	}
	l.params[p.Name] = p
	if buffer {
		l.prog.Buffers = append(l.prog.Buffers, p)
	} else {
		l.prog.Params = append(l.prog.Params, p)
	}
	return p
}

// lowerFunc lowers the model body once, in mode infer, eval or train.
func (l *lowerer) lowerFunc(mode string) {
	l.mode = mode
	l.f = &ir.Func{Name: mode}
	l.b = ir.NewBuilder(l.f)
	l.scope = map[string]value{}
	l.poisoned = map[string]bool{}
	l.layers = map[string]lexer.Position{}
	l.drop = 0
	l.funcs[mode] = l.f
	for _, d := range l.prog.Inputs {
		if d.Role == "target" && mode == "infer" {
			continue
		}
		l.b.Pos, l.b.Name = d.Pos, d.Name
		l.scope[d.Name] = tensorVal(l.b.Input(d))
	}
	for _, st := range l.model.Stmts {
		l.b.Name = ""
		switch s := st.(type) {
		case *dsl.ParamStmt:
			if p := l.params[s.Name.Name]; p != nil {
				l.b.Pos, l.b.Name = p.Pos, p.Name
				l.scope[s.Name.Name] = tensorVal(l.b.Param(p))
			}
		case *dsl.AssignStmt:
			l.assign(s.Name, s.Value)
		case *dsl.OutputStmt:
			l.output(s)
		case *dsl.LossStmt:
			l.b.Name = "loss"
			if mode != "infer" {
				l.loss(s)
			}
		case *dsl.OptimizerStmt:
			if mode == "eval" {
				l.optimizer(s)
			}
		}
	}
	if mode == "eval" {
		l.lossOutput()
	}
	if mode == "eval" && len(l.model.Outputs()) == 0 {
		l.errorf(l.model.Pos, "model %s has no output statement", l.model.Name.Name)
	}
	if mode == "eval" && l.model.Loss() != nil && l.model.Optimizer() == nil {
		l.errorf(l.model.Loss().Pos, "model %s has a loss but no optimizer", l.model.Name.Name)
	}
	eliminateDeadCode(l.f)
}

func (l *lowerer) assign(name *dsl.Ident, e dsl.Expr) (value, bool) {
	if l.defined(name.Name) {
		l.errorf(name.Pos, "%s is already defined", name.Name)
		return value{}, false
	}
	l.b.Name = name.Name
	v, ok := l.exprNamed(e, name.Name)
	if !ok {
		l.poisoned[name.Name] = true
		return value{}, false
	}
	if v.kind != kTensor {
		l.errorf(e.Start(), "%s = ...: expected a tensor, got %s", name.Name, v.describe())
		return value{}, false
	}
	l.scope[name.Name] = v
	return v, true
}

func (l *lowerer) defined(name string) bool {
	_, a := l.scope[name]
	_, b := l.consts[name]
	return a || b || name == l.batchSym
}

func (l *lowerer) output(s *dsl.OutputStmt) {
	var v value
	ok := true
	if s.Value != nil {
		v, ok = l.assign(s.Name, s.Value)
	} else {
		v, ok = l.scope[s.Name.Name]
		if !ok {
			if !l.poisoned[s.Name.Name] {
				l.unknownName(s.Name)
			}
			return
		}
	}
	if !ok {
		return
	}
	if v.kind != kTensor || !v.t.Type.Shape.Batched() {
		l.errorf(s.Name.Pos, "output %s must be a tensor with the batch dimension first, got %s", s.Name.Name, v.describe())
		return
	}
	if l.mode != "train" {
		l.f.Results = append(l.f.Results, ir.Result{Name: s.Name.Name, Value: v.t})
	}
}

func (l *lowerer) unknownName(id *dsl.Ident) {
	names := append(sortedNames(l.scope), sortedNames(l.consts)...)
	sort.Strings(names)
	l.unknownf(id.Pos, id.Name, names, "undefined: %s", id.Name)
}

// unknownf reports an unknown name at pos, suggesting the nearest of the
// candidates: "(did you mean relu?)".
func (l *lowerer) unknownf(pos lexer.Position, name string, candidates []string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if s := dsl.Suggest(name, candidates); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	l.errorf(pos, "%s", msg)
}

// sortedNames returns the keys of m in order.
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// eliminateDeadCode drops values that no result depends on.
func eliminateDeadCode(f *ir.Func) {
	live := map[*ir.Value]bool{}
	for _, r := range f.Results {
		live[r.Value] = true
	}
	for i := len(f.Values) - 1; i >= 0; i-- {
		if v := f.Values[i]; live[v] {
			for _, a := range v.Args {
				live[a] = true
			}
		}
	}
	kept := f.Values[:0]
	for _, v := range f.Values {
		if live[v] {
			kept = append(kept, v)
		}
	}
	f.Values = kept
	f.Renumber()
}
