package ir

// Program is a compiled model: its declarations and its functions.
type Program struct {
	Name  string // model name
	File  string // source file name, for positions
	Batch int    // maximum batch size; B in shapes has at most this size

	Inputs    []*Decl // model inputs (role "input") and targets (role "target")
	Params    []*Param
	Buffers   []*Param // non-trainable state saved with the model (running statistics)
	Optimizer *Optimizer
	Loss      *Loss
	Funcs     []*Func
}

// Loss describes the model's training loss, so that generated code can
// report it and, for classifiers, an accuracy.
type Loss struct {
	Kind      string // mse, binary_cross_entropy, cross_entropy, nll
	Output    string // the output the loss reads (its prediction)
	Target    string // the target it compares with
	Reduction string // mean or sum
	Pos       Pos
}

// Decl declares a model input or training target.
type Decl struct {
	Name string
	Role string // "input" or "target"
	Type Type
	Pos  Pos
}

// Param is a named tensor owned by the model: a trainable parameter or a buffer.
// Names and layouts are PyTorch's (fc1.weight is [out,in]).
type Param struct {
	Name string
	Type Type
	Init Init
	Pos  Pos
	// Frozen parameters are not trained: no gradient is computed for them
	// and the optimizer leaves them (and their state) alone, as PyTorch
	// does for requires_grad=False. Printed as "frozen" after init.
	Frozen bool
}

// Init says how a Param is initialized: Kind is one of zeros, ones, constant(v),
// uniform(lo,hi), normal(mean,std); Args are its arguments.
type Init struct {
	Kind string
	Args []float64
}

// Optimizer is the update rule applied to every trainable parameter.
// Kind is sgd, adam, adamw or rmsprop; Hyper holds its hyper-parameters
// under torch.optim's names (lr, momentum, beta1, beta2, eps, ...).
type Optimizer struct {
	Kind  string
	Hyper map[string]float64
	Pos   Pos
}

// Func is one entry point of the model: a graph in schedule order.
type Func struct {
	Name    string // infer, eval or train
	Values  []*Value
	Results []Result
	Plan    *Plan // set by memory planning
	// Shards, when above 1, splits the batch of a train func into that
	// many parts that run apart, each on its own memory (passes.Shard):
	// the plan is made for the rows of one part (ShardRows).
	Shards int
	nextID int
}

// ShardRows is the most rows one part of f gets out of batch rows: the
// batch itself unless f is split (Shards).
func (f *Func) ShardRows(batch int) int {
	if f.Shards > 1 {
		return (batch + f.Shards - 1) / f.Shards
	}
	return batch
}

// Result is a named output of a Func. Names are output names, "loss",
// "grad.<param>" for gradients and "update.<buffer>" for new buffer values.
type Result struct {
	Name  string
	Value *Value
}

// Value is one SSA value: an op applied to earlier values.
type Value struct {
	ID    int
	Op    Op
	Args  []*Value
	Attrs Attrs
	Type  Type
	Pos   Pos
	Name  string // the DSL name it came from, if any (for dumps and kernel names)
}

// Lookup returns the func named name, or nil.
func (p *Program) Lookup(name string) *Func {
	for _, f := range p.Funcs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Param returns the parameter or buffer named name, or nil.
func (p *Program) Param(name string) *Param {
	for _, q := range p.Params {
		if q.Name == name {
			return q
		}
	}
	for _, q := range p.Buffers {
		if q.Name == name {
			return q
		}
	}
	return nil
}

// Decl returns the input or target named name, or nil.
func (p *Program) Decl(name string) *Decl {
	for _, d := range p.Inputs {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// Result returns the value of the result named name, or nil.
func (f *Func) Result(name string) *Value {
	for _, r := range f.Results {
		if r.Name == name {
			return r.Value
		}
	}
	return nil
}

// NewValue appends a value to f without checking its type; use a Builder
// to get type inference.
func (f *Func) NewValue(op Op, t Type, attrs Attrs, args ...*Value) *Value {
	v := &Value{ID: f.nextID, Op: op, Args: args, Attrs: attrs, Type: t}
	f.nextID++
	f.Values = append(f.Values, v)
	return v
}

// Renumber gives values consecutive IDs in schedule order.
func (f *Func) Renumber() {
	for i, v := range f.Values {
		v.ID = i
	}
	f.nextID = len(f.Values)
}

// Uses counts the uses of every value by other values and results.
func (f *Func) Uses() map[*Value]int {
	uses := make(map[*Value]int, len(f.Values))
	for _, v := range f.Values {
		for _, a := range v.Args {
			uses[a]++
		}
	}
	for _, r := range f.Results {
		uses[r.Value]++
	}
	return uses
}
