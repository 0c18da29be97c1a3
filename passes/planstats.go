package passes

import (
	"fmt"
	"io"

	"github.com/dlc-lang/dlc/ir"
)

// WritePlanStats prints, per func, the planned float arena against the
// naive arena (no reuse) and the lower bound (peak live bytes): dlc build -memplan.
func WritePlanStats(w io.Writer, p *ir.Program) {
	elem := 4
	if len(p.Funcs) > 0 {
		for _, q := range p.Params {
			elem = q.Type.DType.Size()
			break
		}
	}
	for _, f := range p.Funcs {
		pl := f.Plan
		if pl == nil {
			continue
		}
		ratio := func(a, b int) float64 {
			if b == 0 {
				return 1
			}
			return float64(a) / float64(b)
		}
		fmt.Fprintf(w, "func %s: naive %d B, arena %d B, lower bound %d B: arena/lower bound %.3f, arena/naive %.3f; int arena %d B (batch %d)\n",
			f.Name, pl.NaiveElems*elem, pl.ArenaElems*elem, pl.LowerBound*elem,
			ratio(pl.ArenaElems, pl.LowerBound), ratio(pl.ArenaElems, pl.NaiveElems), pl.IntArenaElems*4, p.Batch)
	}
}
