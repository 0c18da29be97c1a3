// Package driver is the dlc command: it parses arguments, runs the
// compiler pipeline (dsl → passes → codegen) and reports errors. cmd/dlc is
// a thin wrapper around Main so that the whole command is testable.
package driver
