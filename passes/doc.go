// Package passes holds dlc's compiler passes, one per file: lowering from
// the DSL's AST to IR, simplification, autodiff, memory planning. The
// pipeline table in pipeline.go runs them in order.
package passes
