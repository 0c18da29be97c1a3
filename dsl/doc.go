// Package dsl parses, checks and formats dlc model files (.dl).
//
// Parse turns source text into a File: an AST of models, statements and
// expressions in which every node records its source span. Parse also runs
// the checks that need no name resolution (duplicate names, a missing batch
// declaration, misplaced keyword arguments and the like) and reports every
// problem it finds as an ErrorList. Format prints a File in canonical form,
// keeping its comments. Lowering to ir, with name resolution and shape
// checking, lives elsewhere; it reports its own errors through Source so they
// look like the parser's. docs/language.md is the language reference.
//
// Package dsl must not import ir, passes or codegen.
package dsl
