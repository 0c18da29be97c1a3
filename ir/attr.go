package ir

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Attrs are an op's static attributes. Values are int, float64, bool,
// string or []int; Print writes them sorted by key so output is stable.
type Attrs map[string]any

// Int returns the int attribute key, or def when absent.
func (a Attrs) Int(key string, def int) int {
	if v, ok := a[key].(int); ok {
		return v
	}
	return def
}

// Float returns the float attribute key (ints convert), or def when absent.
func (a Attrs) Float(key string, def float64) float64 {
	switch v := a[key].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	}
	return def
}

// Bool returns the bool attribute key, or false when absent.
func (a Attrs) Bool(key string) bool {
	v, _ := a[key].(bool)
	return v
}

// String returns the string attribute key, or "" when absent.
func (a Attrs) Str(key string) string {
	v, _ := a[key].(string)
	return v
}

// Ints returns the []int attribute key, or nil when absent.
func (a Attrs) Ints(key string) []int {
	v, _ := a[key].([]int)
	return v
}

// Clone returns a deep copy.
func (a Attrs) Clone() Attrs {
	if a == nil {
		return nil
	}
	c := make(Attrs, len(a))
	for k, v := range a {
		if s, ok := v.([]int); ok {
			v = append([]int(nil), s...)
		}
		c[k] = v
	}
	return c
}

// Keys returns the keys in sorted order.
func (a Attrs) Keys() []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Equal reports whether two attribute sets hold the same keys and values.
func (a Attrs) Equal(b Attrs) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || formatAttr(v) != formatAttr(w) {
			return false
		}
	}
	return true
}

func (a Attrs) String() string {
	if len(a) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range a.Keys() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(formatAttr(a[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// FormatFloat prints a float so that it parses back as a float.
func FormatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}

func formatAttr(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case float64:
		return FormatFloat(v)
	case bool:
		return strconv.FormatBool(v)
	case string:
		return strconv.Quote(v)
	case []int:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.Itoa(x)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	panic(fmt.Sprintf("ir: attribute of unsupported type %T", v))
}
