package passes

import (
	"fmt"
	"io"

	"github.com/dlc-lang/dlc/ir"
)

// WritePlanStats prints, per func, the planned scratch memory against the
// naive size (no reuse) and the lower bound (peak live bytes), over all
// arenas and then arena by arena, in bytes: dlc build -memplan.
func WritePlanStats(w io.Writer, p *ir.Program) {
	float := ir.F32
	if len(p.Params) > 0 {
		float = p.Params[0].Type.DType
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 1
		}
		return float64(a) / float64(b)
	}
	for _, f := range p.Funcs {
		pl := f.Plan
		if pl == nil {
			continue
		}
		arena, naive, lower := pl.Bytes(float)
		parts, per := "", "by arena"
		if pl.Shards > 1 {
			parts = fmt.Sprintf(", in %d parts of %d rows", pl.Shards, f.ShardRows(p.Batch))
			per = "each part, by arena"
		}
		fmt.Fprintf(w, "func %s: naive %d B, arena %d B, lower bound %d B: arena/lower bound %.3f, arena/naive %.3f (batch %d%s)\n",
			f.Name, naive, arena, lower, ratio(arena, lower), ratio(arena, naive), p.Batch, parts)
		fmt.Fprintf(w, "  %s: %s, %s, %s\n", per,
			arenaStats(float, ir.ArenaSize{Elems: pl.ArenaElems, Naive: pl.NaiveElems, LowerBound: pl.LowerBound}),
			arenaStats(ir.I32, pl.IntArena), arenaStats(ir.U8, pl.U8Arena))
	}
}

// arenaStats describes one arena of elements of d in bytes.
func arenaStats(d ir.DType, a ir.ArenaSize) string {
	n := d.Size()
	if a.Naive == 0 {
		return fmt.Sprintf("%v %d B", d, a.Elems*n)
	}
	return fmt.Sprintf("%v %d B (naive %d B, lower bound %d B)", d, a.Elems*n, a.Naive*n, a.LowerBound*n)
}
