package passes

import (
	"fmt"

	"github.com/dlc-lang/dlc/ir"
)

// value is what a DSL expression evaluates to during lowering: a tensor, a
// number, a string, a bool, a list or a function name (relu in `|> relu`).
type value struct {
	kind  valueKind
	t     *ir.Value
	num   float64
	isInt bool
	str   string
	b     bool
	list  []value
}

type valueKind uint8

const (
	kTensor valueKind = iota + 1
	kNumber
	kString
	kBool
	kList
	kFunc
)

func tensorVal(v *ir.Value) value { return value{kind: kTensor, t: v} }
func numVal(f float64, isInt bool) value {
	return value{kind: kNumber, num: f, isInt: isInt}
}

func (v value) describe() string {
	switch v.kind {
	case kTensor:
		return v.t.Type.String()
	case kNumber:
		if v.isInt {
			return fmt.Sprintf("integer %d", int(v.num))
		}
		return fmt.Sprintf("number %s", ir.FormatFloat(v.num))
	case kString:
		return fmt.Sprintf("string %q", v.str)
	case kBool:
		return fmt.Sprintf("bool %v", v.b)
	case kList:
		return "list"
	case kFunc:
		return "function " + v.str
	}
	return "nothing"
}
