package dsl

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file holds the participle grammar of one statement. The structs mirror
// the syntax, one precedence level each; build.go turns them into the AST.
// The file skeleton (model Name { ... }) is parsed by hand in parser.go so
// that a syntax error in one statement does not hide errors in the next.

// stmtParser parses one statement and stops before the next one.
var stmtParser = participle.MustBuild[stmtRoot](
	participle.Lexer(dlLexer),
	participle.Elide(elided...),
	participle.Union[stmtG](
		&batchG{}, &constG{}, &inputG{}, &paramG{},
		&outputG{}, &lossG{}, &optimizerG{}, &freezeG{}, &assignG{},
	),
	// No backtracking once a branch has consumed a token: the grammar is
	// LL(1), and a failed branch then reports where it failed rather than
	// letting an enclosing rule blame an earlier token.
	participle.UseLookahead(0),
)

type stmtRoot struct {
	Stmt stmtG `parser:"@@"`
}

// stmtG is one statement.
type stmtG interface{ stmtG() }

type batchG struct {
	Pos, EndPos lexer.Position
	Name        *identG `parser:"'batch' @@ '='"`
	Size        *exprG  `parser:"@@"`
}

type constG struct {
	Pos, EndPos lexer.Position
	Name        *identG `parser:"'const' @@ '='"`
	Value       *exprG  `parser:"@@"`
}

type inputG struct {
	Pos, EndPos lexer.Position
	Kind        string  `parser:"@('input' | 'target')"`
	Name        *identG `parser:"@@ ':'"`
	Type        *typeG  `parser:"@@"`
}

type paramG struct {
	Pos, EndPos lexer.Position
	Name        *identG  `parser:"'param' @@ ':'"`
	Type        *typeG   `parser:"@@ '='"`
	Init        *calleeG `parser:"@@"`
}

type outputG struct {
	Pos, EndPos lexer.Position
	Name        *identG `parser:"'output' @@"`
	Value       *exprG  `parser:"( '=' @@ )?"`
}

type lossG struct {
	Pos, EndPos lexer.Position
	Call        *calleeG `parser:"'loss' @@"`
}

type optimizerG struct {
	Pos, EndPos lexer.Position
	Call        *calleeG `parser:"'optimizer' @@"`
}

type freezeG struct {
	Pos, EndPos lexer.Position
	Names       []*dottedG `parser:"'freeze' @@ ( ',' @@ )*"`
}

// dottedG is a name with dots: a layer (conv1) or one of its parameters
// (conv1.weight).
type dottedG struct {
	Pos, EndPos lexer.Position
	Parts       []string `parser:"@Ident ( '.' @Ident )*"`
}

type assignG struct {
	Pos, EndPos lexer.Position
	Name        *identG `parser:"@@ '='"`
	Value       *exprG  `parser:"@@"`
}

func (*batchG) stmtG()     {}
func (*constG) stmtG()     {}
func (*inputG) stmtG()     {}
func (*paramG) stmtG()     {}
func (*outputG) stmtG()    {}
func (*lossG) stmtG()      {}
func (*optimizerG) stmtG() {}
func (*freezeG) stmtG()    {}
func (*assignG) stmtG()    {}

// typeG is a tensor type: f32[B, 10].
type typeG struct {
	Pos, EndPos lexer.Position
	DType       *identG  `parser:"@@ '['"`
	Dims        []*exprG `parser:"( @@ ( ',' @@ )* )? ']'"`
}

type identG struct {
	Pos, EndPos lexer.Position
	Name        string `parser:"@Ident"`
}

// calleeG is a name with optional arguments, where a bare name means a call:
// a pipe stage, an initializer, a loss or an optimizer.
type calleeG struct {
	Pos, EndPos lexer.Position
	Name        *identG `parser:"@@"`
	Args        *argsG  `parser:"@@?"`
}

type argsG struct {
	Pos, EndPos lexer.Position
	Open        string  `parser:"@'('"`
	Args        []*argG `parser:"( @@ ( ',' @@ )* )? ')'"`
}

// argG is an argument. In k=v, First is k, which the builder checks is a
// plain name; parsing it as an expression keeps the grammar LL(1).
type argG struct {
	Pos, EndPos lexer.Position
	First       *exprG `parser:"@@"`
	Value       *exprG `parser:"( '=' @@ )?"`
}

// exprG is the lowest precedence level: a |> f |> g(1).
type exprG struct {
	Pos, EndPos lexer.Position
	Head        *sumG     `parser:"@@"`
	Stages      []*stageG `parser:"( '|>' @@ )*"`
}

type stageG struct {
	Pos, EndPos lexer.Position
	Call        *calleeG `parser:"@@"`
	As          *asG     `parser:"@@?"`
}

type asG struct {
	Pos, EndPos lexer.Position
	Kw          string  `parser:"@'as'"`
	Name        *identG `parser:"@@"`
}

// sumG is a + b - c.
type sumG struct {
	Pos, EndPos lexer.Position
	Left        *termG   `parser:"@@"`
	Rest        []*sumOp `parser:"@@*"`
}

type sumOp struct {
	Pos, EndPos lexer.Position
	Op          string `parser:"@('+' | '-')"`
	Right       *termG `parser:"@@"`
}

// termG is a * b / c @ d.
type termG struct {
	Pos, EndPos lexer.Position
	Left        *unaryG   `parser:"@@"`
	Rest        []*termOp `parser:"@@*"`
}

type termOp struct {
	Pos, EndPos lexer.Position
	Op          string  `parser:"@('*' | '/' | '@')"`
	Right       *unaryG `parser:"@@"`
}

// unaryG is -x, binding looser than ** so that -x ** 2 is -(x ** 2).
type unaryG struct {
	Pos, EndPos lexer.Position
	Neg         *unaryG `parser:"  '-' @@"`
	Power       *powerG `parser:"| @@"`
}

// powerG is x ** y, right associative: the exponent may itself be a power.
type powerG struct {
	Pos, EndPos lexer.Position
	Base        *postfixG `parser:"@@"`
	Exp         *expG     `parser:"@@?"`
}

type expG struct {
	Pos, EndPos lexer.Position
	Op          string  `parser:"@'**'"`
	Exp         *unaryG `parser:"@@"`
}

// postfixG is an operand with indexing and an optional "as" name.
type postfixG struct {
	Pos, EndPos lexer.Position
	X           *primaryG `parser:"@@"`
	Index       []*indexG `parser:"@@*"`
	As          *asG      `parser:"@@?"`
}

type indexG struct {
	Pos, EndPos lexer.Position
	Subs        []*subscriptG `parser:"'[' @@ ( ',' @@ )* ']'"`
}

// subscriptG is one index: an expression, a slice lo:hi:step or "...".
type subscriptG struct {
	Pos, EndPos lexer.Position
	Ellipsis    bool    `parser:"  @'...'"`
	Lo          *exprG  `parser:"| ( @@"`
	LoSlice     *sliceG `parser:"    @@? )"`
	Slice       *sliceG `parser:"| @@"`
}

// sliceG is the part of a slice from its first colon.
type sliceG struct {
	Pos, EndPos lexer.Position
	Colon       string `parser:"@':'"`
	Hi          *exprG `parser:"@@?"`
	Step        *stepG `parser:"@@?"`
}

type stepG struct {
	Pos, EndPos lexer.Position
	Colon       string `parser:"@':'"`
	Step        *exprG `parser:"@@?"`
}

type primaryG struct {
	Pos, EndPos lexer.Position
	Float       *string  `parser:"  @Float"`
	Int         *string  `parser:"| @Int"`
	String      *string  `parser:"| @String"`
	Bool        *string  `parser:"| @('true' | 'false')"`
	Call        *calleeG `parser:"| @@"`
	List        *listG   `parser:"| @@"`
	Paren       *exprG   `parser:"| '(' @@ ')'"`
}

type listG struct {
	Pos, EndPos lexer.Position
	Open        string   `parser:"@'['"`
	Elems       []*exprG `parser:"( @@ ( ',' @@ )* )? ']'"`
}
