package codegen

import (
	"fmt"
	"go/token"
	"strings"
	"unicode"

	"github.com/dlc-lang/dlc/ir"
)

// names maps the model's inputs, targets and outputs to Go identifiers:
// parameter names of the entry points and the exported Row constants.
type names struct {
	inputs  []*ir.Decl // role "input", declaration order
	targets []*ir.Decl // role "target", declaration order
	outputs []ir.Result
	local   map[string]string // model name -> parameter name
	row     map[string]string // model name -> exported row constant
}

// reservedLocals are identifiers the generated entry points use themselves.
var reservedLocals = map[string]bool{
	"m": true, "n": true, "err": true, "loss": true, "acc": true, "fmt": true, "math": true,
	"runtime": true, "io": true, "errors": true, "len": true, "copy": true, "min": true, "max": true,
	"clear": true, "append": true, "make": true, "new": true, "nil": true, "true": true, "false": true,
	"int": true, "int32": true, "uint8": true, "float32": true, "float64": true, "string": true, "error": true,
	"batchRows": true, "checkLen": true, "argmaxAccuracy": true, "binaryAccuracy": true,
}

func newNames(g *gen) (*names, error) {
	nm := &names{local: map[string]string{}, row: map[string]string{}}
	for _, d := range g.p.Inputs {
		switch d.Role {
		case "input":
			nm.inputs = append(nm.inputs, d)
		case "target":
			nm.targets = append(nm.targets, d)
		default:
			return nil, fmt.Errorf("input %s has unknown role %q", d.Name, d.Role)
		}
	}
	if f := g.p.Lookup("infer"); f != nil {
		nm.outputs = f.Results
	}
	usedLocal, usedRow := map[string]string{}, map[string]string{"MaxBatch": "the batch limit"}
	var all []string
	for _, d := range append(append([]*ir.Decl(nil), nm.inputs...), nm.targets...) {
		all = append(all, d.Name)
	}
	for _, r := range nm.outputs {
		if g.p.Decl(r.Name) != nil {
			return nil, fmt.Errorf("output %s has the name of an input", r.Name)
		}
		all = append(all, r.Name)
	}
	for _, name := range all {
		base := camel(name)
		local := lowerFirst(base)
		if reservedLocals[local] || token.IsKeyword(local) {
			local += "Arg"
		}
		row := upperFirst(base) + "Row"
		if prev, dup := usedLocal[local]; dup {
			return nil, fmt.Errorf("%s and %s map to the same Go name %s", prev, name, local)
		}
		if prev, dup := usedRow[row]; dup {
			return nil, fmt.Errorf("%s and %s map to the same Go name %s", prev, name, row)
		}
		usedLocal[local], usedRow[row] = name, name
		nm.local[name], nm.row[name] = local, row
	}
	return nm, nil
}

// camel turns a model name such as "fc1.relu" or "loss_input" into
// "fc1Relu" / "lossInput"; a leading digit gets a "v" prefix.
func camel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = b.Len() > 0
			continue
		}
		if b.Len() == 0 && unicode.IsDigit(r) {
			b.WriteByte('v')
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "v"
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// isIdent reports whether s is a Go identifier and not a keyword.
func isIdent(s string) bool { return token.IsIdentifier(s) }

// kernelName names the kernel of v in func f: "trainMatmul3".
func kernelName(f *ir.Func, v *ir.Value) string {
	return fmt.Sprintf("%s%s%d", camel(f.Name), upperFirst(camel(v.Op.String())), v.ID)
}
