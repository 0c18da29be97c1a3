package passes

import (
	"github.com/dlc-lang/dlc/dsl"
	"github.com/dlc-lang/dlc/ir"
)

var lossSigs = map[string][]param{
	"mse":                  lossSig(),
	"binary_cross_entropy": lossSig(),
	"cross_entropy":        lossSig(),
	"nll":                  lossSig(),
}

func lossSig() []param {
	return []param{{name: "input", kind: kTensor, required: true}, {name: "target", kind: kTensor, required: true},
		{name: "reduction", kind: kString, def: value{kind: kString, str: "mean"}}}
}

// loss lowers the loss statement to a scalar "loss" result, PyTorch's
// semantics with mean or sum reduction. In eval funcs it also records the
// prediction it reads as result "loss.input", for accuracy.
func (l *lowerer) loss(s *dsl.LossStmt) {
	c := s.Call
	args, ok := l.bindConst(c, lossSigs)
	if !ok {
		return
	}
	pred, target := args["input"].t, args["target"].t
	red := args["reduction"].str
	if red != "mean" && red != "sum" {
		l.errorf(c.Pos, "%s: reduction must be \"mean\" or \"sum\", got %q", c.Func.Name, red)
		return
	}
	e := &emitter{l: l, pos: c.Pos}
	var per *ir.Value
	switch c.Func.Name {
	case "mse":
		if !l.sameShape(c, pred, target) {
			return
		}
		per = e.op(ir.OpSquare, nil, e.op(ir.OpSub, nil, pred, target))
	case "binary_cross_entropy":
		if !l.sameShape(c, pred, target) {
			return
		}
		per = e.op(ir.OpBCE, nil, pred, target)
	case "cross_entropy", "nll":
		if pred.Type.Shape.Rank() != 2 || target.Type.DType != ir.I32 || target.Type.Shape.Rank() != 1 {
			l.errorf(c.Pos, "%s expects scores [%s, C] and i32 class labels [%s], got %v and %v", c.Func.Name, l.batchSym, l.batchSym, pred.Type, target.Type)
			return
		}
		op := ir.OpCrossEntropy
		if c.Func.Name == "nll" {
			op = ir.OpNLL
		}
		per = e.op(op, nil, pred, target)
	}
	if e.bad {
		return
	}
	redOp := ir.OpMean
	if red == "sum" {
		redOp = ir.OpSum
	}
	loss := e.op(redOp, ir.Attrs{"axes": allAxes(per.Type.Shape.Rank()), "keepdims": false}, per)
	if e.bad {
		return
	}
	l.f.Results = append(l.f.Results, ir.Result{Name: "loss", Value: loss})
	if l.mode == "eval" {
		l.f.Results = append(l.f.Results, ir.Result{Name: "loss.input", Value: pred})
		l.prog.Loss = &ir.Loss{Kind: c.Func.Name, Target: identName(c), Reduction: red, Pos: irPos(s.Pos)}
	}
}

func (l *lowerer) sameShape(c *dsl.Call, a, b *ir.Value) bool {
	if !a.Type.Equal(b.Type) {
		l.errorf(c.Pos, "%s: prediction %v and target %v differ", c.Func.Name, a.Type, b.Type)
		return false
	}
	return true
}

// lossOutput names the output the loss reads, once all outputs are known
// (an output statement may follow the loss).
func (l *lowerer) lossOutput() {
	pred := l.f.Result("loss.input")
	if l.prog.Loss == nil || pred == nil {
		return
	}
	for _, r := range l.f.Results {
		if r.Value == pred && r.Name != "loss.input" {
			l.prog.Loss.Output = r.Name
			return
		}
	}
}

// identName is the name of the loss's target argument, when it is a plain name.
func identName(c *dsl.Call) string {
	e := c.Keyword("target")
	if pos := c.Positional(); e == nil && len(pos) >= 2 {
		e = pos[1]
	}
	if id, ok := dsl.Unparen(e).(*dsl.Ident); ok {
		return id.Name
	}
	return ""
}

// optimizerSigs are torch.optim's constructors and defaults.
var optimizerSigs = map[string][]param{
	"sgd": {{name: "lr", kind: kNumber, required: true}, {name: "momentum", kind: kNumber, def: numVal(0, false)},
		{name: "dampening", kind: kNumber, def: numVal(0, false)}, {name: "weight_decay", kind: kNumber, def: numVal(0, false)},
		{name: "nesterov", kind: kBool, def: value{kind: kBool}}},
	"adam":  adamSig(0),
	"adamw": adamSig(0.01),
	"rmsprop": {{name: "lr", kind: kNumber, def: numVal(0.01, false)}, {name: "alpha", kind: kNumber, def: numVal(0.99, false)},
		{name: "eps", kind: kNumber, def: numVal(1e-8, false)}, {name: "weight_decay", kind: kNumber, def: numVal(0, false)},
		{name: "momentum", kind: kNumber, def: numVal(0, false)}, {name: "centered", kind: kBool, def: value{kind: kBool}}},
}

func adamSig(wd float64) []param {
	return []param{{name: "lr", kind: kNumber, def: numVal(0.001, false)},
		{name: "betas", kind: kList, def: value{kind: kList, list: []value{numVal(0.9, false), numVal(0.999, false)}}},
		{name: "eps", kind: kNumber, def: numVal(1e-8, false)}, {name: "weight_decay", kind: kNumber, def: numVal(wd, false)},
		{name: "amsgrad", kind: kBool, def: value{kind: kBool}}}
}

func (l *lowerer) optimizer(s *dsl.OptimizerStmt) {
	c := s.Call
	args, ok := l.bindConst(c, optimizerSigs)
	if !ok {
		return
	}
	o := &ir.Optimizer{Kind: c.Func.Name, Hyper: map[string]float64{}, Pos: irPos(s.Pos)}
	for k, v := range args {
		switch v.kind {
		case kBool:
			if v.b {
				o.Hyper[k] = 1
			} else {
				o.Hyper[k] = 0
			}
		case kList:
			if len(v.list) != 2 || v.list[0].kind != kNumber || v.list[1].kind != kNumber {
				l.errorf(c.Pos, "%s: betas must be a list of two numbers", c.Func.Name)
				return
			}
			o.Hyper["beta1"], o.Hyper["beta2"] = v.list[0].num, v.list[1].num
		default:
			o.Hyper[k] = v.num
		}
	}
	l.checkOptimizer(c, o)
	l.prog.Optimizer = o
}

// checkOptimizer rejects what torch.optim rejects.
func (l *lowerer) checkOptimizer(c *dsl.Call, o *ir.Optimizer) {
	h := o.Hyper
	if h["lr"] < 0 {
		l.errorf(c.Pos, "%s: invalid learning rate %v", o.Kind, h["lr"])
	}
	if h["weight_decay"] < 0 {
		l.errorf(c.Pos, "%s: invalid weight_decay %v", o.Kind, h["weight_decay"])
	}
	if h["momentum"] < 0 {
		l.errorf(c.Pos, "%s: invalid momentum %v", o.Kind, h["momentum"])
	}
	if o.Kind == "sgd" && h["nesterov"] == 1 && (h["momentum"] <= 0 || h["dampening"] != 0) {
		l.errorf(c.Pos, "sgd: nesterov momentum requires a momentum and zero dampening")
	}
	for _, b := range []string{"beta1", "beta2"} {
		if v, ok := h[b]; ok && (v < 0 || v >= 1) {
			l.errorf(c.Pos, "%s: invalid %s %v (want 0 <= beta < 1)", o.Kind, b, v)
		}
	}
	if v, ok := h["eps"]; ok && v < 0 {
		l.errorf(c.Pos, "%s: invalid eps %v", o.Kind, v)
	}
}
