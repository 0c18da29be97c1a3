package passes

import (
	"fmt"
	"strings"

	"github.com/dlc-lang/dlc/ir"
)

// EliminateCommonSubexpressions merges values that apply the same op with
// the same attributes to the same arguments. Dropout masks are never
// merged: two masks with one seed are still two draws.
func EliminateCommonSubexpressions(p *ir.Program) error {
	for _, f := range p.Funcs {
		rewrite(f, func() map[ir.Op]rewriteRule { return cseRules(map[string]*ir.Value{}) })
	}
	return nil
}

func cseRules(seen map[string]*ir.Value) map[ir.Op]rewriteRule {
	rule := func(r *rewriter, v *ir.Value) *ir.Value {
		if v.Op == ir.OpDropoutMask {
			return nil
		}
		k := cseKey(v)
		if w, ok := seen[k]; ok && w != v {
			return w
		}
		seen[k] = v
		return nil
	}
	rules := map[ir.Op]rewriteRule{}
	for _, op := range ir.Ops() {
		rules[op] = rule
	}
	return rules
}

func cseKey(v *ir.Value) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v %s", v.Op, v.Type, v.Attrs)
	for _, a := range v.Args {
		fmt.Fprintf(&b, " %p", a)
	}
	return b.String()
}
