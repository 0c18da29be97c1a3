package passes

import (
	"fmt"
	"io"

	"github.com/dlc-lang/dlc/ir"
)

// KernelStats counts what one call of f costs in loops over memory: the
// kernels codegen emits (one per value, except sources, reshapes,
// companions written by their producer's kernel and consts that
// elementwise loops read as literals), and the bytes those
// kernels read and write at the program's batch size, each argument and
// result counted once per kernel. Epilogues ride in their product's kernel.
type KernelStats struct {
	Kernels int
	Bytes   int
}

// CountKernels computes f's KernelStats (a pure analysis).
func CountKernels(p *ir.Program, f *ir.Func) KernelStats {
	var s KernelStats
	size := func(v *ir.Value) int { return v.Type.Shape.Elems(p.Batch) * v.Type.DType.Size() }
	literal := func(v *ir.Value) bool {
		for v.Op == ir.OpReshape {
			v = v.Args[0]
		}
		return v.Op == ir.OpConst
	}
	needConst := map[*ir.Value]bool{}
	for _, v := range f.Values {
		if v.Op.IsElementwise() || v.Op == ir.OpBroadcast || v.Op == ir.OpReshape || v.Op == ir.OpMeanGrad {
			continue
		}
		for _, a := range v.Args {
			if literal(a) {
				needConst[a] = true
			}
		}
	}
	for _, r := range f.Results {
		needConst[r.Value] = true
	}
	for _, v := range f.Values {
		if ir.IsCompanion(v) { // written by its producer's kernel
			s.Bytes += size(v)
			continue
		}
		switch v.Op {
		case ir.OpInput, ir.OpParam, ir.OpReshape:
			continue
		case ir.OpConst:
			if !needConst[v] {
				continue
			}
		}
		s.Kernels++
		s.Bytes += size(v)
		for _, a := range v.Args {
			if !literal(a) {
				s.Bytes += size(a)
			}
		}
	}
	return s
}

// WriteKernelStats prints, per func, the kernels and bytes moved by each
// of several compilations of one model (e.g. -O0, before and after fusion).
func WriteKernelStats(w io.Writer, labels []string, progs []*ir.Program) {
	for _, f := range progs[0].Funcs {
		fmt.Fprintf(w, "func %s:", f.Name)
		base := CountKernels(progs[0], f)
		for i, p := range progs {
			g := p.Lookup(f.Name)
			if g == nil {
				continue
			}
			s := CountKernels(p, g)
			fmt.Fprintf(w, "  %s %d kernels %.2f MB", labels[i], s.Kernels, float64(s.Bytes)/1e6)
			if i > 0 && base.Kernels > 0 {
				fmt.Fprintf(w, " (%+.0f%%)", 100*float64(s.Kernels-base.Kernels)/float64(base.Kernels))
			}
		}
		fmt.Fprintln(w)
	}
}
