package passes

import (
	"slices"

	"github.com/dlc-lang/dlc/ir"
)

// AttachReductions makes each sum of a value computed by a kernel of its
// own a companion of that value (ir.IsCompanion): the producer's kernel
// reduces its output as soon as it has stored it, so a bias gradient costs
// no kernel of its own. The sum moves right after its producer; it reads
// nothing else, so the schedule stays valid.
func AttachReductions(p *ir.Program) error {
	for _, f := range p.Funcs {
		attachReductions(f)
	}
	return nil
}

func attachReductions(f *ir.Func) {
	moved := map[*ir.Value][]*ir.Value{}
	for _, v := range f.Values {
		if v.Op != ir.OpSum || v.Attrs.Bool("companion") || !kernelProducer(v.Args[0]) {
			continue
		}
		v.Attrs = v.Attrs.Clone()
		v.Attrs["companion"] = true
		moved[v.Args[0]] = append(moved[v.Args[0]], v)
	}
	if len(moved) == 0 {
		return
	}
	out := make([]*ir.Value, 0, len(f.Values))
	for _, v := range f.Values {
		if v.Op == ir.OpSum && v.Attrs.Bool("companion") && slices.Contains(moved[v.Args[0]], v) {
			continue
		}
		out = append(out, v)
		out = append(out, moved[v]...)
	}
	f.Values = out
}

// kernelProducer reports whether v is computed by a kernel of its own
// that may write companions.
func kernelProducer(v *ir.Value) bool {
	switch v.Op {
	case ir.OpInput, ir.OpParam, ir.OpConst, ir.OpReshape:
		return false
	}
	return !ir.IsCompanion(v) && v.Type.DType.IsFloat()
}
