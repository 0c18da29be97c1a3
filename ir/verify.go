package ir

import (
	"errors"
	"fmt"
)

// Verify checks the invariants every pass must keep: values are defined
// before use, every type matches its op's rule, sources name declared
// inputs and parameters with their declared types, and results are unique.
func Verify(p *Program) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.Batch <= 0 {
		add("program %s: batch size %d is not positive", p.Name, p.Batch)
	}
	seenParam := map[string]bool{}
	for _, q := range append(append([]*Param(nil), p.Params...), p.Buffers...) {
		if seenParam[q.Name] {
			add("parameter %s declared twice", q.Name)
		}
		seenParam[q.Name] = true
		if q.Type.Shape.Batched() {
			add("parameter %s has a batch dimension", q.Name)
		}
		if q.Type.DType == U8 {
			add("parameter %s is u8, the dtype of pooling window offsets only", q.Name)
		}
	}
	for _, d := range p.Inputs {
		if d.Type.DType == U8 {
			add("input %s is u8, the dtype of pooling window offsets only", d.Name)
		}
	}
	seenFunc := map[string]bool{}
	for _, f := range p.Funcs {
		if seenFunc[f.Name] {
			add("func %s defined twice", f.Name)
		}
		seenFunc[f.Name] = true
		for _, err := range verifyFunc(p, f) {
			errs = append(errs, fmt.Errorf("func %s: %w", f.Name, err))
		}
	}
	return errors.Join(errs...)
}

func verifyFunc(p *Program, f *Func) []error {
	var errs []error
	add := func(v *Value, format string, args ...any) {
		prefix := ""
		if v != nil {
			prefix = fmt.Sprintf("v%d (%s): ", v.ID, v.Op)
		}
		errs = append(errs, fmt.Errorf(prefix+format, args...))
	}
	defined := make(map[*Value]bool, len(f.Values))
	for _, v := range f.Values {
		if defined[v] {
			add(v, "scheduled twice")
		}
		for i, a := range v.Args {
			if !defined[a] {
				add(v, "argument %d is not defined before use", i)
			}
		}
		defined[v] = true
		if len(errs) > 0 {
			continue
		}
		t, err := InferType(v)
		switch {
		case err != nil:
			add(v, "%v", err)
		case !t.Equal(v.Type):
			add(v, "has type %v, its rule gives %v", v.Type, t)
		}
		verifySource(p, v, add)
		if err := verifyCompanion(v); err != nil {
			add(v, "%v", err)
		}
	}
	seen := map[string]bool{}
	for _, r := range f.Results {
		if seen[r.Name] {
			add(nil, "result %s defined twice", r.Name)
		}
		seen[r.Name] = true
		if !defined[r.Value] {
			add(nil, "result %s is not a value of the func", r.Name)
		}
	}
	return errs
}

func verifySource(p *Program, v *Value, add func(*Value, string, ...any)) {
	name := v.Attrs.Str("name")
	switch v.Op {
	case OpInput:
		d := p.Decl(name)
		if d == nil {
			add(v, "no input or target named %q", name)
		} else if !d.Type.Equal(v.Type) {
			add(v, "input %s is %v, not %v", name, d.Type, v.Type)
		}
	case OpParam:
		q := p.Param(name)
		if q == nil {
			add(v, "no parameter named %q", name)
		} else if !q.Type.Equal(v.Type) {
			add(v, "parameter %s is %v, not %v", name, q.Type, v.Type)
		}
	}
}
