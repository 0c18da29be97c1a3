// Package ir is dlc's typed tensor-graph intermediate representation.
//
// A Program holds a model's declarations (inputs, parameters, buffers, the
// optimizer) and one or more Funcs. A Func is a list of Values in schedule
// order; each Value is one op applied to earlier Values, with a static Type
// and the source position it came from. Shapes are static except for the
// batch dimension B, which may only appear as axis 0 and whose size is the
// number of rows a call passes (at most Program.Batch).
//
// The op table in ops.go is the single place that says what an op is: its
// arity, attributes, type rule and (for elementwise ops) its scalar meaning.
// Print and Parse give a stable text form that round-trips, so passes are
// tested text in, text out. Package ir must not import dsl, passes or codegen.
package ir
