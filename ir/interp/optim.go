package interp

import (
	"fmt"
	"math"
	"sort"

	"github.com/dlc-lang/dlc/ir"
)

// StateKey names one piece of optimizer state of a parameter in the state
// map Step keeps: "fc1.weight/exp_avg". Slots are torch.optim's names:
// momentum_buffer (SGD), exp_avg, exp_avg_sq, max_exp_avg_sq (Adam, AdamW),
// square_avg, grad_avg, momentum_buffer (RMSprop).
func StateKey(param, slot string) string { return param + "/" + slot }

// Step applies one update of opt to every parameter in params that has a
// gradient of the same name in grads, in place; a parameter without one
// (a frozen parameter) is left alone with no state, as torch.optim skips
// parameters whose grad is None. A gradient without a parameter is an
// error. state holds the optimizer's
// per-parameter buffers under StateKey names; Step creates them when absent,
// as torch.optim does lazily on the first step. step is the 1-based number
// of this update (torch's state['step'] after it is incremented), used for
// Adam's bias correction. The formulas are torch.optim's (PyTorch 2.x,
// single-tensor, non-capturable, maximize=False). A hyper-parameter missing
// from opt.Hyper takes torch's default; lr has none for SGD.
func Step(opt *ir.Optimizer, params, grads, state map[string][]float64, step int) error {
	rule, ok := optimizers[opt.Kind]
	if !ok {
		return fmt.Errorf("unknown optimizer %q", opt.Kind)
	}
	if step < 1 {
		return fmt.Errorf("optimizer step %d is not positive", step)
	}
	h := hyper{opt.Hyper, defaults[opt.Kind]}
	if _, ok := h.get("lr"); !ok {
		return fmt.Errorf("%s needs a learning rate", opt.Kind)
	}
	names := make([]string, 0, len(grads))
	for name := range grads {
		if _, ok := params[name]; !ok {
			return fmt.Errorf("gradient %s has no parameter", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p, g := params[name], grads[name]
		if len(g) != len(p) {
			return fmt.Errorf("parameter %s has %d elements but its gradient %d", name, len(p), len(g))
		}
		slot := func(s string) ([]float64, bool) {
			buf, ok := state[StateKey(name, s)]
			if !ok {
				buf = make([]float64, len(p))
				state[StateKey(name, s)] = buf
			}
			return buf, ok
		}
		rule(h, p, g, slot, step)
	}
	return nil
}

// hyper looks hyper-parameters up in the optimizer's map, then in torch's
// defaults.
type hyper struct{ set, def map[string]float64 }

func (h hyper) get(k string) (float64, bool) {
	if v, ok := h.set[k]; ok {
		return v, true
	}
	v, ok := h.def[k]
	return v, ok
}

func (h hyper) f(k string) float64 { v, _ := h.get(k); return v }

// defaults are torch.optim's constructor defaults.
var defaults = map[string]map[string]float64{
	"sgd":     {"momentum": 0, "dampening": 0, "nesterov": 0, "weight_decay": 0},
	"adam":    {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0, "amsgrad": 0},
	"adamw":   {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": 0},
	"rmsprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0, "centered": 0},
}

// slotFunc returns a parameter's state buffer (zeros when new) and whether
// it existed before.
type slotFunc func(name string) ([]float64, bool)

type optRule func(h hyper, p, g []float64, slot slotFunc, step int)

var optimizers = map[string]optRule{
	"sgd":     sgd,
	"adam":    func(h hyper, p, g []float64, s slotFunc, t int) { adam(h, p, g, s, t, false) },
	"adamw":   func(h hyper, p, g []float64, s slotFunc, t int) { adam(h, p, g, s, t, true) },
	"rmsprop": rmsprop,
}

// sgd is torch.optim.SGD:
//
//	d = g + wd*p
//	if momentum != 0:
//	    buf = d                                   on the first step
//	    buf = momentum*buf + (1-dampening)*d      afterwards
//	    d = d + momentum*buf if nesterov else buf
//	p = p - lr*d
func sgd(h hyper, p, g []float64, slot slotFunc, _ int) {
	lr, wd, mom, damp, nesterov := h.f("lr"), h.f("weight_decay"), h.f("momentum"), h.f("dampening"), h.f("nesterov") != 0
	var buf []float64
	var had bool
	if mom != 0 {
		buf, had = slot("momentum_buffer")
	}
	for i := range p {
		d := g[i]
		if wd != 0 {
			d += wd * p[i]
		}
		if mom != 0 {
			if had {
				buf[i] = mom*buf[i] + (1-damp)*d
			} else {
				buf[i] = d
			}
			if nesterov {
				d += mom * buf[i]
			} else {
				d = buf[i]
			}
		}
		p[i] -= lr * d
	}
}

// adam is torch.optim.Adam, and torch.optim.AdamW when decoupled:
//
//	AdamW: p = p*(1 - lr*wd)      Adam: g = g + wd*p
//	m = m + (g-m)*(1-beta1)       (torch's lerp_)
//	v = beta2*v + (1-beta2)*g*g
//	vmax = max(vmax, v)           with amsgrad, then v stands for vmax below
//	denom = sqrt(v)/sqrt(1-beta2^t) + eps
//	p = p - (lr/(1-beta1^t)) * m/denom
func adam(h hyper, p, g []float64, slot slotFunc, step int, decoupled bool) {
	lr, wd, b1, b2, eps := h.f("lr"), h.f("weight_decay"), h.f("beta1"), h.f("beta2"), h.f("eps")
	amsgrad := h.f("amsgrad") != 0
	m, _ := slot("exp_avg")
	v, _ := slot("exp_avg_sq")
	var vmax []float64
	if amsgrad {
		vmax, _ = slot("max_exp_avg_sq")
	}
	bc1 := 1 - math.Pow(b1, float64(step))
	bc2Sqrt := math.Sqrt(1 - math.Pow(b2, float64(step)))
	stepSize := lr / bc1
	for i := range p {
		gi := g[i]
		if decoupled {
			p[i] *= 1 - lr*wd
		} else if wd != 0 {
			gi += wd * p[i]
		}
		m[i] += (gi - m[i]) * (1 - b1)
		v[i] = b2*v[i] + (1-b2)*gi*gi
		vi := v[i]
		if amsgrad {
			vmax[i] = math.Max(vmax[i], v[i])
			vi = vmax[i]
		}
		denom := math.Sqrt(vi)/bc2Sqrt + eps
		p[i] -= stepSize * m[i] / denom
	}
}

// rmsprop is torch.optim.RMSprop:
//
//	g = g + wd*p
//	sq = alpha*sq + (1-alpha)*g*g
//	centered: ga = ga + (g-ga)*(1-alpha); avg = sqrt(sq - ga*ga) + eps
//	otherwise: avg = sqrt(sq) + eps
//	momentum > 0: buf = momentum*buf + g/avg; p = p - lr*buf
//	otherwise:    p = p - lr*g/avg
func rmsprop(h hyper, p, g []float64, slot slotFunc, _ int) {
	lr, wd, alpha, eps, mom := h.f("lr"), h.f("weight_decay"), h.f("alpha"), h.f("eps"), h.f("momentum")
	centered := h.f("centered") != 0
	sq, _ := slot("square_avg")
	var ga, buf []float64
	if centered {
		ga, _ = slot("grad_avg")
	}
	if mom > 0 {
		buf, _ = slot("momentum_buffer")
	}
	for i := range p {
		gi := g[i]
		if wd != 0 {
			gi += wd * p[i]
		}
		sq[i] = alpha*sq[i] + (1-alpha)*gi*gi
		var avg float64
		if centered {
			ga[i] += (gi - ga[i]) * (1 - alpha)
			avg = math.Sqrt(sq[i]-ga[i]*ga[i]) + eps
		} else {
			avg = math.Sqrt(sq[i]) + eps
		}
		if mom > 0 {
			buf[i] = mom*buf[i] + gi/avg
			p[i] -= lr * buf[i]
		} else {
			p[i] -= lr * gi / avg
		}
	}
}
