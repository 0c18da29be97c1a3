// Package interp is the reference interpreter of dlc's IR: a plain,
// obviously-correct evaluator of any ir.Func in float64, written for
// clarity rather than speed. It is the living definition of the ops:
// generated code, passes and gradient checks are tested against it.
//
// Every value is computed in float64 whatever its declared dtype; i32
// values hold integral float64s. The batch dimension B takes the size
// Env.N. The reference optimizers in optim.go follow torch.optim's
// formulas. Package interp must not import dsl, passes or codegen.
package interp
