// Package codegen emits a Go package from a planned ir.Program: a Model
// type with Forward, TrainStep, Evaluate, Save and Load, one kernel per IR
// value specialized to its constant shapes, and the optimizer as one fused
// loop over the parameter, gradient and state blocks.
//
// Generate is the entry point; it plans memory (passes.PlanMemory) for funcs
// that have no plan yet. The generated code imports only the standard
// library and github.com/dlc-lang/dlc/runtime, allocates all its memory in
// New, and never panics on bad input: every entry point validates its
// arguments and returns an error. Package codegen must not import dsl.
package codegen
