package asm

import (
	"fmt"
	"strings"
)

// Direct convolution kernels (ConvSpec): the forward pass of a stride-1,
// unpadded, undilated 2-D convolution of one sample with few channels,
// computed straight from the input planes instead of through an im2col
// matrix and a GEMM. Each kernel is specialized to its constant shape and
// gets an AVX-512 variant (16 lanes, k-mask tail), an AVX2+FMA variant (8
// lanes, VMASKMOVPS tail, 16 VEX registers) and a Go twin, its
// specification; the dispatch picks one at init from golang.org/x/sys/cpu
// with its own flags (convAVX512, convAVX2), as for the GEMM kernels.
//
// The variants are register-blocked over output channels × output rows ×
// vectors of output columns: for each tap (c,p,q) they load the block's
// input vectors x[c, i+p, j+q :][:lanes] once, broadcast each weight
// w[o,c,p,q] once and accumulate with FMA; the bias add and relu are
// applied to the accumulators before the only store of each output (see
// planConv for the block sizes). Sums run over the taps in order (c,p,q)
// from zero, then add the bias, then apply relu, as the twin does: the
// variants agree with the twin to rounding (FMA against separate rounding).

// A ConvSpec is one direct convolution kernel: func Name(y, x, w, bias
// []float32) sets, for one sample,
//
//	y[o,i,j] = act(Σ_{c,p,q} x[c,i+p,j+q]·w[o,c,p,q] + bias[o])
//
// with x [C,H,W], w [O,C,KH,KW], y [O,OH,OW], OH = H-KH+1, OW = W-KW+1,
// all row-major, bias [O] read only with Bias (else may be nil) and act
// relu with Relu (max(v,0), NaN for NaN), else the identity. y overlaps
// no argument. With TW the weights come transposed, w [C,KH,KW,O]
// (w[o,c,p,q] above is then w[((c·KH+p)·KW+q)·O+o]), and the AVX-512
// variant vectorizes over the output channels when O is a multiple of 16
// (see conv_chan.go).
type ConvSpec struct {
	Name               string
	C, O, KH, KW, H, W int
	Bias, Relu         bool
	TW                 bool
	// GradW makes the kernel the weight gradient of one kernel row
	// instead (see convGradWDoc): func Name(dw, x, dy []float32, n int);
	// with Chan (O a multiple of 16), of one input channel, summed in
	// order on channel vectors (see convGradWChanDoc).
	GradW, Chan bool
	// Transpose makes the kernel the transposition of n samples of the
	// output gradient that the weight gradient with Chan reads (see
	// convTransposeDoc): func Name(dst, src []float32, n int).
	Transpose bool
	// PH and PW pad the input of a forward kernel (see conv_pad.go):
	// OH = H+2·PH-KH+1, OW = W+2·PW-KW+1.
	PH, PW int
	Source string // shown in the doc comment
}

// OH and OW are the output plane's height and width.
func (s ConvSpec) OH() int { return s.H + 2*s.PH - s.KH + 1 }
func (s ConvSpec) OW() int { return s.W + 2*s.PW - s.KW + 1 }

func (s ConvSpec) signature() string {
	if s.Transpose {
		return "func(dst, src []float32, n int)"
	}
	if s.GradW {
		return "func(dw, x, dy []float32, n int)"
	}
	return "func(y, x, w, bias []float32)"
}

func (s ConvSpec) variant(suffix string) string {
	return strings.ToLower(s.Name[:1]) + s.Name[1:] + suffix
}

// Flags of the convolution dispatch.
const (
	convFlagAVX512 = "convAVX512"
	convFlagAVX2   = "convAVX2"
)

// convFlags are the direct convolution kernels' flags, in isas order.
var convFlags = []string{convFlagAVX512, convFlagAVX2}

func (s ConvSpec) validate(seen map[string]bool) error {
	if s.Name == "" {
		return fmt.Errorf("conv: spec without name")
	}
	if s.GradW && (s.Bias || s.Relu || s.TW || s.KW > 7) {
		return fmt.Errorf("conv %s: weight gradient with an epilogue, transposed weights or KW > 7", s.Name)
	}
	if s.Chan && (!s.GradW || s.O%16 != 0 || s.O > 32) {
		return fmt.Errorf("conv %s: channel vectors need a weight gradient with 16 or 32 output channels", s.Name)
	}
	if s.Transpose && (s.GradW || s.TW || s.Bias || s.Relu || s.O%16 != 0 || s.O > 32) {
		return fmt.Errorf("conv %s: a transposition is of 16 or 32 channels, nothing else", s.Name)
	}
	if s.padded() && (s.GradW || s.TW || s.Transpose || s.PH < 0 || s.PW < 0 || s.PH >= s.KH || s.PW >= s.KW) {
		return fmt.Errorf("conv %s: padding of a forward kernel with untransposed weights only, below the kernel's size", s.Name)
	}
	if s.C < 1 || s.O < 1 || s.KH < 1 || s.KW < 1 || s.OH() < 1 || s.OW() < 1 {
		return fmt.Errorf("conv %s: bad shape C=%d O=%d K=%dx%d in %dx%d", s.Name, s.C, s.O, s.KH, s.KW, s.H, s.W)
	}
	if s.C*s.H*s.W > 1<<24 || s.O*s.C*s.KH*s.KW > 1<<24 || s.O*s.OH()*s.OW() > 1<<24 {
		return fmt.Errorf("conv %s: too large", s.Name)
	}
	for _, n := range []string{s.Name, s.variant(variantAVX512), s.variant(variantAVX2), s.variant(variantGeneric)} {
		if seen[n] || n == convFlagAVX512 || n == convFlagAVX2 {
			return fmt.Errorf("conv %s: name %s used twice", s.Name, n)
		}
		seen[n] = true
	}
	return nil
}

// convDoc returns the doc comment of s's exported kernel.
func convDoc(s ConvSpec) []string {
	if s.Transpose {
		return convTransposeDoc(s)
	}
	if s.GradW && s.Chan {
		return convGradWChanDoc(s)
	}
	if s.GradW {
		return convGradWDoc(s)
	}
	act := "v"
	if s.Relu {
		act = "max(v, 0)"
	}
	b := ""
	if s.Bias {
		b = " + bias[o]"
	}
	wt, ws := "w[o,c,p,q]", fmt.Sprintf("[%d,%d,%d,%d]", s.O, s.C, s.KH, s.KW)
	if s.TW {
		wt, ws = "w[c,p,q,o]", fmt.Sprintf("[%d,%d,%d,%d]", s.C, s.KH, s.KW, s.O)
	}
	if s.padded() {
		wt = fmt.Sprintf("w[o,c,p,q] (x padded by %d rows, skipped, and %d zero columns)", s.PH, s.PW)
	}
	ls := []string{
		fmt.Sprintf("%s is a direct 5-D loop convolution of one sample: y[o,i,j] = %s for", s.Name, act),
		fmt.Sprintf("v = Σ_{c,p,q} x[c,i+p,j+q]·%s%s, x [%d,%d,%d], w %s, y [%d,%d,%d].",
			wt, b, s.C, s.H, s.W, ws, s.O, s.OH(), s.OW()),
	}
	if s.Source != "" {
		ls = append(ls, "", "Source: "+s.Source)
	}
	return ls
}

// A convPlan is the register block of a variant: nvt vectors of output
// columns × r output rows × ob output channels.
type convPlan struct{ nvt, r, ob int }

// planConv chooses the register block for vectors of lanes elements and
// regs vector registers, keeping slack of them free (the broadcast weight,
// the AVX2 tail mask). The block holds ob·r·nvt accumulators and r·nvt
// input vectors; per tap it issues ob·r·nvt FMAs and ob + r·nvt loads (the
// broadcasts and the inputs). Its cost is, over every block the output is
// cut into (the last channel, row and column blocks smaller), the larger
// of its FMAs and loads (two of each per cycle) plus 2 for the block's
// overhead; the cheapest plan wins, the largest block on ties.
func planConv(s ConvSpec, lanes, regs, slack int) convPlan {
	nv := (s.OW() + lanes - 1) / lanes
	oh := s.OH()
	best, bestCost := convPlan{1, 1, 1}, -1
	for nvt := 1; nvt <= min(nv, 4); nvt++ {
		for r := 1; r <= oh; r++ {
			for ob := 1; ob <= s.O; ob++ {
				if ob*r*nvt+r*nvt > regs-slack {
					continue
				}
				cost := 0
				for t0 := 0; t0 < nv; t0 += nvt {
					tv := min(nvt, nv-t0)
					for o0 := 0; o0 < s.O; o0 += ob {
						cb := min(ob, s.O-o0)
						for i0 := 0; i0 < oh; i0 += r {
							rb := min(r, oh-i0)
							cost += max(cb*rb*tv, cb+rb*tv) + 2
						}
					}
				}
				if bestCost < 0 || cost < bestCost || (cost == bestCost && ob*r*nvt > best.ob*best.r*best.nvt) {
					best, bestCost = convPlan{nvt, r, ob}, cost
				}
			}
		}
	}
	return best
}

// GenerateConv returns the direct convolution kernels of specs; files are
// named as for Generate, with base "zconv" typically.
func (cfg Config) GenerateConv(specs []ConvSpec) (*Unit, error) {
	return family[ConvSpec]{
		name:     "conv",
		specName: func(s ConvSpec) string { return s.Name },
		validate: ConvSpec.validate,
		compile:  compileConv,
		dispatch: func(cfg Config) ([]byte, error) {
			return renderFlags(cfg, "convolution", convFlagAVX512, convFlagAVX2, true)
		},
		pureGo:  renderConvPureGo,
		generic: renderConvGeneric,
	}.generate(cfg, specs)
}

// renderConvPureGo returns the kernels as calls of their twins.
func renderConvPureGo(cfg Config, specs []ConvSpec) ([]byte, error) {
	b := goHeader(cfg, "!amd64 || !gc || purego")
	for _, s := range specs {
		comment(b, convDoc(s))
		if s.Transpose {
			fmt.Fprintf(b, "func %s(dst, src []float32, n int) { %s(dst, src, n) }\n\n", s.Name, s.variant(variantGeneric))
			continue
		}
		if s.GradW {
			fmt.Fprintf(b, "func %s(dw, x, dy []float32, n int) { %s(dw, x, dy, n) }\n\n", s.Name, s.variant(variantGeneric))
			continue
		}
		fmt.Fprintf(b, "func %s(y, x, w, bias []float32) { %s(y, x, w, bias) }\n\n", s.Name, s.variant(variantGeneric))
	}
	return formatGo(b)
}

// renderConvGeneric returns the Go twins: per output channel, row axpys
// over the taps in order, then the epilogue.
func renderConvGeneric(cfg Config, specs []ConvSpec) ([]byte, error) {
	b := goHeader(cfg, "")
	for _, s := range specs {
		if s.Transpose {
			renderConvTransposeGeneric(b, s)
			continue
		}
		if s.GradW && s.Chan {
			renderConvGradWChanGeneric(b, s)
			continue
		}
		if s.padded() {
			renderConvPadGeneric(b, s)
			continue
		}
		if s.GradW {
			renderConvGradWGeneric(b, s)
			continue
		}
		oh, ow := s.OH(), s.OW()
		renderConvTwinHead(b, s)
		fmt.Fprintf(b, "for i := 0; i < %d; i++ {\n", oh)
		fmt.Fprintf(b, "yr := (*[%d]float32)(yo[i*%d:])\n", ow, ow)
		fmt.Fprintf(b, "xr := (*[%d]float32)(xc[(i+p)*%d+q:])\n", ow, s.W)
		b.WriteString("for j := range yr {\nyr[j] += wv * xr[j]\n}\n}\n}\n}\n}\n")
		renderConvTwinTail(b, s)
	}
	return formatGo(b)
}

// renderConvTwinHead writes the start of the Go twin of forward kernel s:
// the signature, the slices cut to their lengths, y cleared, and the loops
// over o, c, p and q opened with wv = w[o,c,p,q] (TW: w[c,p,q,o]) and yo,
// xc the output and input planes.
func renderConvTwinHead(b *strings.Builder, s ConvSpec) {
	oh, ow := s.OH(), s.OW()
	fmt.Fprintf(b, "// %s is %s in Go.\n", s.variant(variantGeneric), s.Name)
	fmt.Fprintf(b, "func %s(y, x, w, bias []float32) {\n", s.variant(variantGeneric))
	fmt.Fprintf(b, "y = y[:%d]\nx = x[:%d]\nw = w[:%d]\n", s.O*oh*ow, s.C*s.H*s.W, s.O*s.C*s.KH*s.KW)
	if s.Bias {
		fmt.Fprintf(b, "bias = bias[:%d]\n", s.O)
	}
	b.WriteString("clear(y)\n")
	fmt.Fprintf(b, "for o := 0; o < %d; o++ {\n", s.O)
	fmt.Fprintf(b, "yo := y[o*%d:][:%d]\n", oh*ow, oh*ow)
	fmt.Fprintf(b, "for c := 0; c < %d; c++ {\n", s.C)
	fmt.Fprintf(b, "xc := x[c*%d:][:%d]\n", s.H*s.W, s.H*s.W)
	fmt.Fprintf(b, "for p := 0; p < %d; p++ {\nfor q := 0; q < %d; q++ {\n", s.KH, s.KW)
	if s.TW {
		fmt.Fprintf(b, "wv := w[((c*%d+p)*%d+q)*%d+o]\n", s.KH, s.KW, s.O)
	} else {
		fmt.Fprintf(b, "wv := w[((o*%d+c)*%d+p)*%d+q]\n", s.C, s.KH, s.KW)
	}
}

// renderConvTwinTail writes the end of the Go twin of forward kernel s,
// after the loops over c, p and q closed: the bias add and relu over the
// plane yo, then the closing of the loop over o and of the function.
func renderConvTwinTail(b *strings.Builder, s ConvSpec) {
	if s.Bias || s.Relu {
		b.WriteString("for j, v := range yo {\n")
		if s.Bias {
			b.WriteString("v += bias[o]\n")
		}
		if s.Relu {
			b.WriteString("v = max(v, 0)\n")
		}
		b.WriteString("yo[j] = v\n}\n")
	}
	b.WriteString("}\n}\n\n")
}
