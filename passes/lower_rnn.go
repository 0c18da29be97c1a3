package passes

import (
	"fmt"
	"math"

	"github.com/dlc-lang/dlc/ir"
)

// rnnState is a layer's given initial state, per stacked layer: nil
// where the state starts at zero.
type rnnState struct{ h, c []*ir.Value }

// rnnCell lowers stacked layer k of a recurrent layer from its input
// sequence x and initial state h0, c0 (nil: zero), returning the last
// hidden state and leaving the whole sequence in e.lastSeq.
type rnnCell func(l *lowerer, c *callCtx, e *emitter, x *ir.Value, k, H int, h0, c0 *ir.Value) *ir.Value

// rnnLayer is lstm (cellState set: h0 and c0) or gru (h0 only).
func rnnLayer(fn rnnCell, cellState bool) builtin {
	sig := []param{tensorX,
		{name: "hidden_size", kind: kNumber, integer: true, required: true},
		{name: "num_layers", kind: kNumber, integer: true, def: numVal(1, true)},
		{name: "return_sequences", kind: kBool, def: value{kind: kBool}},
		{name: "h0", kind: kTensor}}
	if cellState {
		sig = append(sig, param{name: "c0", kind: kTensor})
	}
	return builtin{layer: true, sig: sig,
		lower: func(l *lowerer, c *callCtx) (value, bool) {
			x := c.x()
			if x.Type.Shape.Rank() != 3 || !x.Type.Shape.Batched() || !x.Type.DType.IsFloat() {
				l.errorf(c.pos(), "%s expects a batch-first input [%s, T, F], got %v", c.call.Func.Name, l.batchSym, x.Type)
				return value{}, false
			}
			H, layers := c.int("hidden_size"), c.int("num_layers")
			if H <= 0 || layers <= 0 {
				l.errorf(c.pos(), "%s: hidden_size and num_layers must be positive", c.call.Func.Name)
				return value{}, false
			}
			e := &emitter{l: l, pos: c.pos()}
			h0, ok := l.rnnInitial(c, e, "h0", x.Type.DType, layers, H)
			if !ok {
				return value{}, false
			}
			c0, ok := l.rnnInitial(c, e, "c0", x.Type.DType, layers, H)
			if !ok {
				return value{}, false
			}
			seq := x
			var last *ir.Value
			for k := 0; k < layers && !e.bad; k++ {
				last = fn(l, c, e, seq, k, H, h0[k], c0[k])
				seq = e.lastSeq
			}
			if c.args["return_sequences"].b {
				return e.result()(seq)
			}
			return e.result()(last)
		}}
}

// rnnInitial splits the initial state argument name (h0 or c0) into one
// [B, H] state per stacked layer: the argument is [B, num_layers, H] (the
// batch-first transpose of PyTorch's (num_layers, B, H)) or, for one
// layer, [B, H] too. Absent, every layer starts at zero (nil).
func (l *lowerer) rnnInitial(c *callCtx, e *emitter, name string, d ir.DType, layers, H int) ([]*ir.Value, bool) {
	out := make([]*ir.Value, layers)
	if !c.has(name) {
		return out, true
	}
	s := c.args[name].t
	t := s.Type
	switch {
	case t.DType != d || !t.Shape.Batched():
	case t.Shape.Rank() == 2 && layers == 1 && t.Shape[1] == H:
		out[0] = s
		return out, true
	case t.Shape.Rank() == 3 && t.Shape[1] == layers && t.Shape[2] == H:
		for k := range out {
			out[k] = e.step(s, k)
		}
		return out, !e.bad
	}
	want := fmt.Sprintf("%s[%s, %d, %d]", d, l.batchSym, layers, H)
	if layers == 1 {
		want += fmt.Sprintf(" or %s[%s, %d]", d, l.batchSym, H)
	}
	l.errorf(c.pos(), "%s: %s must be %s (batch, layers, hidden), got %v", c.call.Func.Name, name, want, t)
	return nil, false
}

// rnnParams declares one layer's weight_ih_lK [G*H, in], weight_hh_lK
// [G*H, H], bias_ih_lK and bias_hh_lK, all U(±1/√H) as in PyTorch.
func (l *lowerer) rnnParams(c *callCtx, k, gates, in, H int, d ir.DType) (wih, whh, bih, bhh *ir.Value) {
	init := uniform(1 / math.Sqrt(float64(H)))
	sfx := fmt.Sprintf("_l%d", k)
	wih = l.newParam(c, "weight_ih"+sfx, ir.T(d, gates*H, in), init, false)
	whh = l.newParam(c, "weight_hh"+sfx, ir.T(d, gates*H, H), init, false)
	bih = l.newParam(c, "bias_ih"+sfx, ir.T(d, gates*H), init, false)
	bhh = l.newParam(c, "bias_hh"+sfx, ir.T(d, gates*H), init, false)
	return
}

// gate is columns [j*H, (j+1)*H) of a [B, G*H] gate matrix.
func (e *emitter) gate(g *ir.Value, j, H int) *ir.Value {
	return e.op(ir.OpSlice, ir.Attrs{"axis": 1, "start": j * H, "end": (j + 1) * H, "step": 1}, g)
}

// step is time step t of a [B, T, N] sequence, as [B, N].
func (e *emitter) step(seq *ir.Value, t int) *ir.Value {
	s := seq.Type.Shape
	x := e.op(ir.OpSlice, ir.Attrs{"axis": 1, "start": t, "end": t + 1, "step": 1}, seq)
	return e.op(ir.OpReshape, ir.Attrs{"shape": []int{ir.B, s[2]}}, x)
}

// collect stacks per-step hidden states [B, H] into a sequence [B, T, H].
func (e *emitter) collect(hs []*ir.Value, H int) *ir.Value {
	rows := make([]*ir.Value, len(hs))
	for i, h := range hs {
		rows[i] = e.op(ir.OpReshape, ir.Attrs{"shape": []int{ir.B, 1, H}}, h)
	}
	return e.op(ir.OpConcat, ir.Attrs{"axis": 1}, rows...)
}

// lowerLSTM unrolls layer k of torch.nn.LSTM over the sequence: the input
// projection for all steps is one matrix product, then each step adds
// h·W_hhᵀ and applies the gates i, f, g, o. A zero h₀ or c₀ (nil) folds
// away the first step's product or forget gate.
func lowerLSTM(l *lowerer, c *callCtx, e *emitter, x *ir.Value, k, H int, h0, c0 *ir.Value) *ir.Value {
	d := x.Type.DType
	T, in := x.Type.Shape[1], x.Type.Shape[2]
	wih, whh, bih, bhh := l.rnnParams(c, k, 4, in, H, d)
	xw := e.op(ir.OpAdd, nil, e.op(ir.OpMatMul, ir.Attrs{"tb": true}, x, wih), e.op(ir.OpAdd, nil, bih, bhh))
	h, cell := h0, c0
	hs := make([]*ir.Value, 0, T)
	for t := 0; t < T && !e.bad; t++ {
		g := e.step(xw, t)
		if h != nil {
			g = e.op(ir.OpAdd, nil, g, e.op(ir.OpMatMul, ir.Attrs{"tb": true}, h, whh))
		}
		i := e.op(ir.OpSigmoid, nil, e.gate(g, 0, H))
		gg := e.op(ir.OpTanh, nil, e.gate(g, 2, H))
		o := e.op(ir.OpSigmoid, nil, e.gate(g, 3, H))
		if cell == nil {
			cell = e.op(ir.OpMul, nil, i, gg)
		} else {
			f := e.op(ir.OpSigmoid, nil, e.gate(g, 1, H))
			cell = e.op(ir.OpAdd, nil, e.op(ir.OpMul, nil, f, cell), e.op(ir.OpMul, nil, i, gg))
		}
		h = e.op(ir.OpMul, nil, o, e.op(ir.OpTanh, nil, cell))
		hs = append(hs, h)
	}
	e.lastSeq = e.collect(hs, H)
	return h
}

// lowerGRU unrolls layer k of torch.nn.GRU (gates r, z, n):
// n = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn)), h' = n + z ⊙ (h - n).
func lowerGRU(l *lowerer, c *callCtx, e *emitter, x *ir.Value, k, H int, h0, _ *ir.Value) *ir.Value {
	d := x.Type.DType
	T, in := x.Type.Shape[1], x.Type.Shape[2]
	wih, whh, bih, bhh := l.rnnParams(c, k, 3, in, H, d)
	xw := e.op(ir.OpAdd, nil, e.op(ir.OpMatMul, ir.Attrs{"tb": true}, x, wih), bih)
	h := h0
	hs := make([]*ir.Value, 0, T)
	for t := 0; t < T && !e.bad; t++ {
		gx := e.step(xw, t)
		gh := bhh // h₀ = 0, so h·W_hhᵀ + b_hh is just the bias
		if h != nil {
			gh = e.op(ir.OpAdd, nil, e.op(ir.OpMatMul, ir.Attrs{"tb": true}, h, whh), bhh)
		}
		ghGate := func(j int) *ir.Value {
			if h == nil {
				return e.op(ir.OpSlice, ir.Attrs{"axis": 0, "start": j * H, "end": (j + 1) * H, "step": 1}, gh)
			}
			return e.gate(gh, j, H)
		}
		r := e.op(ir.OpSigmoid, nil, e.op(ir.OpAdd, nil, e.gate(gx, 0, H), ghGate(0)))
		z := e.op(ir.OpSigmoid, nil, e.op(ir.OpAdd, nil, e.gate(gx, 1, H), ghGate(1)))
		n := e.op(ir.OpTanh, nil, e.op(ir.OpAdd, nil, e.gate(gx, 2, H), e.op(ir.OpMul, nil, r, ghGate(2))))
		if h == nil {
			h = e.op(ir.OpSub, nil, n, e.op(ir.OpMul, nil, z, n))
		} else {
			h = e.op(ir.OpAdd, nil, n, e.op(ir.OpMul, nil, z, e.op(ir.OpSub, nil, h, n)))
		}
		hs = append(hs, h)
	}
	e.lastSeq = e.collect(hs, H)
	return h
}
