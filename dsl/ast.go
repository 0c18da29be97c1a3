package dsl

import "github.com/alecthomas/participle/v2/lexer"

// Node is any AST node.
type Node interface {
	// Start is the position of the node's first character.
	Start() lexer.Position
	// End is the position just past the node's last character.
	End() lexer.Position
}

// Span is the source extent of a node; every node embeds one.
type Span struct {
	Pos    lexer.Position // first character
	EndPos lexer.Position // just past the last character
}

// Start returns s.Pos.
func (s Span) Start() lexer.Position { return s.Pos }

// End returns s.EndPos.
func (s Span) End() lexer.Position { return s.EndPos }

// File is one parsed .dl file.
type File struct {
	Span
	Src      *Source    // the text the file was parsed from
	Models   []*Model   // in source order
	Comments []*Comment // every comment, in source order
}

// Comment is a // comment; Text includes the slashes.
type Comment struct {
	Span
	Text string
}

// Model is model Name { Stmts }.
type Model struct {
	Span
	Name   *Ident
	Lbrace lexer.Position // position of "{"
	Stmts  []Stmt
}

// Stmt is a statement in a model body: *BatchStmt, *ConstStmt, *InputStmt,
// *ParamStmt, *AssignStmt, *OutputStmt, *LossStmt, *OptimizerStmt or
// *FreezeStmt.
type Stmt interface {
	Node
	stmtNode()
}

// BatchStmt is batch Name = Size: the symbolic batch dimension and its
// default maximum size.
type BatchStmt struct {
	Span
	Name *Ident
	Size Expr
}

// ConstStmt is const Name = Value.
type ConstStmt struct {
	Span
	Name  *Ident
	Value Expr
}

// InputStmt is input Name: Type, or target Name: Type when Target is set.
// A target is fed at training time and used by the loss.
type InputStmt struct {
	Span
	Target bool
	Name   *Ident
	Type   *TensorType
}

// ParamStmt is param Name: Type = Init, an explicit trainable parameter.
type ParamStmt struct {
	Span
	Name *Ident
	Type *TensorType
	Init *Call // initializer call; zeros and zeros() are both a Call
}

// AssignStmt is Name = Value. When the outermost call of Value is a layer,
// Name also names that layer (the prefix of its parameter names).
type AssignStmt struct {
	Span
	Name  *Ident
	Value Expr
}

// OutputStmt is output Name (Value nil: Name refers to an existing value)
// or output Name = Value (declares Name).
type OutputStmt struct {
	Span
	Name  *Ident
	Value Expr
}

// LossStmt is loss Call.
type LossStmt struct {
	Span
	Call *Call
}

// OptimizerStmt is optimizer Call.
type OptimizerStmt struct {
	Span
	Call *Call
}

// FreezeStmt is freeze Name, ...: parameters that training leaves alone,
// each named by its layer (all of the layer's parameters) or in full
// (layer.weight). A name's Ident holds the dotted name.
type FreezeStmt struct {
	Span
	Names []*Ident
}

func (*FreezeStmt) stmtNode()    {}
func (*BatchStmt) stmtNode()     {}
func (*ConstStmt) stmtNode()     {}
func (*InputStmt) stmtNode()     {}
func (*ParamStmt) stmtNode()     {}
func (*AssignStmt) stmtNode()    {}
func (*OutputStmt) stmtNode()    {}
func (*LossStmt) stmtNode()      {}
func (*OptimizerStmt) stmtNode() {}

// DType is an element type name.
type DType string

// The element types.
const (
	F32 DType = "f32"
	F64 DType = "f64"
	I32 DType = "i32"
)

// DTypes lists the valid element types.
var DTypes = []DType{F32, F64, I32}

// TensorType is DType[Dims...]; Span.Pos is the position of the dtype name.
type TensorType struct {
	Span
	DType DType
	Dims  []Expr // integer expressions of literals, constants and the batch symbol
}

// Expr is an expression: *Ident, *Number, *String, *Bool, *List, *Paren,
// *Unary, *Binary, *Call, *Index or *Pipe. *Slice and *Ellipsis occur only
// as Index.Indices.
type Expr interface {
	Node
	exprNode()
}

// Ident is a name.
type Ident struct {
	Span
	Name string
}

// Number is an integer or floating-point literal.
type Number struct {
	Span
	Text  string  // as written
	IsInt bool    // written without '.' or exponent
	Int   int64   // the value, if IsInt
	Float float64 // the value (also set for integers)
}

// String is a double-quoted string literal.
type String struct {
	Span
	Value string // unquoted
}

// Bool is true or false.
type Bool struct {
	Span
	Value bool
}

// List is [Elems...].
type List struct {
	Span
	Elems []Expr
}

// Paren is (X).
type Paren struct {
	Span
	X Expr
}

// Operator is a unary or binary operator, spelled as in source.
type Operator string

// The operators.
const (
	Add    Operator = "+"
	Sub    Operator = "-" // binary minus, and unary negation in Unary
	Mul    Operator = "*"
	Div    Operator = "/"
	MatMul Operator = "@"
	Pow    Operator = "**"
)

// Unary is Op X; the only unary operator is Sub (negation).
type Unary struct {
	Span
	Op Operator
	X  Expr
}

// Binary is X Op Y.
type Binary struct {
	Span
	Op    Operator
	OpPos lexer.Position
	X, Y  Expr
}

// Call is Func(Args...), optionally named by "as": conv2d(1, 6, 5) as conv1.
// Inside a Pipe the piped value is an implicit first argument that is not
// listed in Args.
type Call struct {
	Span
	Func  *Ident
	Args  []*Arg
	As    *Ident // layer name from "as", or nil
	Stage int    // index of this call in its Pipe's Stages, or -1
}

// Arg is a positional argument (Name nil) or a keyword argument Name=Value.
type Arg struct {
	Span
	Name  *Ident
	Value Expr
}

// Index is X[Indices...]; an index is an Expr, a *Slice or an *Ellipsis.
type Index struct {
	Span
	X       Expr
	Indices []Expr
}

// Slice is Lo:Hi or Lo:Hi:Step inside an Index; missing parts are nil.
type Slice struct {
	Span
	Lo, Hi, Step Expr
}

// Ellipsis is ... inside an Index: all remaining dimensions.
type Ellipsis struct {
	Span
}

// Pipe is X |> Stages[0] |> Stages[1] ...: each stage is called with the
// previous value as its first argument, so a |> f(b) means f(a, b).
// Stages[i].Stage == i. A stage written as a bare name (|> relu) is a Call
// with no Args. When a pipe is assigned to NAME, unnamed layer stages take
// the names NAME.i, like the modules of a PyTorch nn.Sequential.
type Pipe struct {
	Span
	X      Expr
	Stages []*Call
}

func (*Ident) exprNode()    {}
func (*Number) exprNode()   {}
func (*String) exprNode()   {}
func (*Bool) exprNode()     {}
func (*List) exprNode()     {}
func (*Paren) exprNode()    {}
func (*Unary) exprNode()    {}
func (*Binary) exprNode()   {}
func (*Call) exprNode()     {}
func (*Index) exprNode()    {}
func (*Slice) exprNode()    {}
func (*Ellipsis) exprNode() {}
func (*Pipe) exprNode()     {}
