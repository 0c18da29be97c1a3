package passes

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dlc-lang/dlc/ir"
)

// Shard splits the batch of a train func into ir.Func.Shards parts that
// run apart, each on its own memory (data parallelism inside one step):
// codegen runs the parts on the model's threads and then adds their
// gradients. A part reads its rows of the inputs and writes its own
// gradients, so the threads share nothing but the parameters until the
// sum; the split depends only on the batch size, never on the thread
// count, so results stay bit-identical for every thread count.
//
// A func is split only when every value is one of:
//   - fixed: no batch axis and computed from parameters and constants;
//   - row-local: batched, each row computed from the same row of its
//     batched arguments (convolutions, products X·W, elementwise ops,
//     pooling, softmax and losses over other axes...);
//   - a partial sum: no batch axis, a sum over the rows (a weight
//     gradient aᵀ·b, a bias gradient, an embedding's scatter-add, the
//     loss mean) or a linear function of partial sums with no fixed term
//     (their sum, concatenation, a view), read by nothing else.
//
// Batch statistics (batch norm in training), dropout masks (drawn for the
// whole batch) and results other than the loss and parameter gradients
// keep the func whole. So does a batch under 2·minShardRows: the parts'
// smaller products would lose what the second thread gains.
func Shard(p *ir.Program) error {
	for _, f := range p.Funcs {
		f.Shards = 0
		if f.Name != "train" || p.Batch < 2*minShardRows {
			continue
		}
		if err := shardable(f); err == nil {
			f.Shards = 2
		}
	}
	return nil
}

// minShardRows is the fewest rows a part may get.
const minShardRows = 32

// shardClass classifies a value for sharding.
type shardClass uint8

const (
	classFixed shardClass = iota
	classRows
	classPartial
	classMean // a mean over the rows: each part's is weighted by its rows, so only the loss may be one
)

// shardable reports why f cannot run in parts, or nil.
func shardable(f *ir.Func) error {
	class := map[*ir.Value]shardClass{}
	for _, v := range f.Values {
		k, err := classify(v, class)
		if err != nil {
			return fmt.Errorf("v%d (%s): %v", v.ID, v.Op, err)
		}
		class[v] = k
	}
	for _, r := range f.Results {
		v := r.Value
		switch {
		case r.Name == "loss":
			if class[v] != classMean && (class[v] != classPartial || v.Op != ir.OpSum) {
				return fmt.Errorf("the loss is not a mean or sum over the batch")
			}
		case strings.HasPrefix(r.Name, "grad."):
			if class[v] != classPartial {
				return fmt.Errorf("result %s is not a sum over the batch", r.Name)
			}
		default:
			return fmt.Errorf("result %s is neither the loss nor a gradient", r.Name)
		}
	}
	return nil
}

// classify returns v's class given its arguments' classes, or why v
// keeps the func whole.
func classify(v *ir.Value, class map[*ir.Value]shardClass) (shardClass, error) {
	batched := v.Type.Shape.Batched()
	anyRows := false
	for i, a := range v.Args {
		switch class[a] {
		case classMean:
			return 0, fmt.Errorf("reads the mean over the batch v%d", a.ID)
		case classPartial:
			if batched {
				return 0, fmt.Errorf("gives a batch axis to the partial sum v%d", a.ID)
			}
			if !sumsPartials(v, i, class) {
				return 0, fmt.Errorf("reads the partial sum v%d as more than a term of a sum", a.ID)
			}
		case classRows:
			anyRows = true
		}
	}
	for _, a := range v.Args {
		if class[a] == classPartial {
			if anyRows && !sumsWithProduct(v, class) {
				return 0, fmt.Errorf("mixes rows with the partial sum v%d", a.ID)
			}
			return classPartial, nil
		}
	}
	if v.Op == ir.OpDropoutMask {
		return 0, fmt.Errorf("dropout masks are drawn for the whole batch")
	}
	if !anyRows {
		if batched && v.Op != ir.OpInput && v.Op != ir.OpBroadcast && v.Op != ir.OpMeanGrad && v.Op != ir.OpConst {
			return 0, fmt.Errorf("a batched %s from unbatched arguments", v.Op)
		}
		if batched {
			return classRows, nil
		}
		return classFixed, nil
	}
	if !batched {
		// A reduction over the rows: only linear sums split.
		switch v.Op {
		case ir.OpSum, ir.OpMean:
			if !hasAxis0(v.Args[0], v.Attrs.Ints("axes")) {
				return 0, fmt.Errorf("drops the batch axis without reducing it")
			}
			if v.Op == ir.OpMean {
				return classMean, nil
			}
			return classPartial, nil
		case ir.OpMatMul, ir.OpConv2dGradWeight:
			// A product over the rows; an epilogue over further
			// arguments reads partial sums, handled above.
			if (v.Op != ir.OpMatMul || v.Attrs.Bool("ta")) && len(v.Args) == 2 {
				return classPartial, nil
			}
		case ir.OpScatterAdd:
			if len(v.Args) == 2 {
				return classPartial, nil
			}
		}
		return 0, fmt.Errorf("reduces over the batch")
	}
	if err := rowLocal(v); err != nil {
		return 0, err
	}
	return classRows, nil
}

// sumsPartials reports whether v is linear in its partial argument i with
// no fixed term: a view or scaling of it, an add or concatenation of
// partial sums, or a weight gradient's product whose epilogue adds partial
// sums (gradients accumulated over an RNN's steps). A fixed term would be
// added once per part.
func sumsPartials(v *ir.Value, i int, class map[*ir.Value]shardClass) bool {
	switch v.Op {
	case ir.OpReshape, ir.OpTranspose, ir.OpSlice, ir.OpNeg, ir.OpScale:
		return true
	case ir.OpAdd, ir.OpConcat:
		return allPartial(v.Args, class)
	case ir.OpFused:
		return allPartial(v.Args, class) && onlyAdds(v.Attrs.Str("expr"))
	case ir.OpMatMul, ir.OpConv2dGradWeight:
		return i >= 2 && sumsWithProduct(v, class)
	}
	return false
}

// sumsWithProduct reports whether v is a weight gradient's product (over
// the rows of its first two arguments) whose epilogue only adds its other
// arguments, all partial sums, to it.
func sumsWithProduct(v *ir.Value, class map[*ir.Value]shardClass) bool {
	if v.Op == ir.OpMatMul && !v.Attrs.Bool("ta") || v.Op != ir.OpMatMul && v.Op != ir.OpConv2dGradWeight {
		return false
	}
	return len(v.Args) > 2 && allPartial(v.Args[2:], class) && onlyAdds(v.Attrs.Str("epilogue"))
}

// allPartial reports whether every value of vs is a partial sum.
func allPartial(vs []*ir.Value, class map[*ir.Value]shardClass) bool {
	for _, a := range vs {
		if class[a] != classPartial {
			return false
		}
	}
	return true
}

// onlyAdds reports whether the fused expression s adds its arguments and
// nothing else.
func onlyAdds(s string) bool {
	e, err := ir.ParseExpr(s)
	if err != nil {
		return false
	}
	var walk func(e *ir.Expr) bool
	walk = func(e *ir.Expr) bool {
		if e.IsLit() {
			return false
		}
		if e.IsArg() {
			return true
		}
		if e.Op != ir.OpAdd {
			return false
		}
		for _, a := range e.Args {
			if !walk(a) {
				return false
			}
		}
		return true
	}
	return walk(e)
}

// rowLocal reports why the batched value v may mix rows, or nil.
func rowLocal(v *ir.Value) error {
	rank := v.Type.Shape.Rank()
	switch v.Op {
	case ir.OpTranspose:
		if perm := v.Attrs.Ints("perm"); len(perm) == 0 || perm[0] != 0 {
			return fmt.Errorf("moves the batch axis")
		}
	case ir.OpSum, ir.OpMean, ir.OpMax, ir.OpMaxGrad:
		if hasAxis0(v.Args[0], v.Attrs.Ints("axes")) {
			return fmt.Errorf("reduces over the batch")
		}
	case ir.OpSlice, ir.OpSliceGrad, ir.OpConcat, ir.OpSoftmax, ir.OpLogSoftmax, ir.OpSoftmaxGrad, ir.OpLogSoftmaxGrad:
		if a := v.Attrs.Int("axis", -1); a == 0 || a == -rank {
			return fmt.Errorf("works along the batch axis")
		}
	}
	return nil
}

// hasAxis0 reports whether axes (of a reduction of x) include the batch
// axis; a reduction over no axes reduces all of them.
func hasAxis0(x *ir.Value, axes []int) bool {
	if len(axes) == 0 {
		return true
	}
	norm, err := ir.NormAxes(axes, x.Type.Shape.Rank())
	return err != nil || slices.Contains(norm, 0)
}
