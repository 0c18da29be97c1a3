package asm

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/reg"
	"github.com/mmcloughlin/avo/x86"
)

// buildElemAsm compiles the variants of every spec in parallel (see
// compileElem); asmOK[i] is false (Go only) when a variant does not fit
// the registers even with every constant materialized at its use. Without
// any assembly, asm and stubs are nil.
func buildElemAsm(cfg Config, specs []ElemSpec, multis []MultiSpec) (asm, stubs []byte, asmOK []bool, err error) {
	// A variant that fails to compile leaves its kernel Go only.
	files, errs := compileEach(len(specs)+len(multis), func(i int) (*ir.File, error) {
		if i < len(specs) {
			return compileElem(specs[i])
		}
		return compileMulti(multis[i-len(specs)])
	})
	asmOK = make([]bool, len(files))
	for i := range files {
		if errs[i] != nil {
			files[i] = nil
		}
		asmOK[i] = files[i] != nil
	}
	f, err := joinAsm(files)
	if err != nil || len(f.Functions()) == 0 {
		return nil, nil, asmOK, err
	}
	asm, stubs, err = printAsmStubs(cfg, f)
	return asm, stubs, asmOK, err
}

// hoistLimits are the numbers of constants a variant tries to keep in
// registers across the loop, most used first: all of them, then fewer
// until the variant fits the registers (AVX2 has 16).
var hoistLimits = []int{64, 8, 4, 0}

// compileElem builds the dispatcher and both variants of s, each variant
// in its own context so that each keeps as many constants hoisted as fit.
func compileElem(s ElemSpec) (*ir.File, error) {
	c := build.NewContext()
	emitElemDispatcher(c, s)
	out, err := finishElem(c)
	if err != nil {
		return nil, err
	}
	for _, z := range []bool{true, false} {
		var f *ir.File
		for _, limit := range hoistLimits {
			c := build.NewContext()
			if f, err = finishElemVariant(c, s, z, limit); err == nil {
				break
			}
		}
		if err != nil {
			return nil, err
		}
		out.Sections = append(out.Sections, f.Sections...)
	}
	return out, nil
}

// finishElemVariant emits and compiles one variant, turning panics of the
// register allocator into errors.
func finishElemVariant(c *build.Context, s ElemSpec, z bool, hoist int) (f *ir.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("elem %s: %v", s.Name, r)
		}
	}()
	emitElem(c, s, z, hoist)
	return finishElem(c)
}

func finishElem(c *build.Context) (*ir.File, error) {
	f, err := c.Result()
	if err != nil {
		return nil, err
	}
	if err := pass.Concat(pass.Compile, pass.FunctionPass(checkVEXRegisters)).Execute(f); err != nil {
		return nil, err
	}
	return f, nil
}

// emitElemDispatcher adds s.Name, jumping to the variant the flags set at
// init select.
func emitElemDispatcher(c *build.Context, s ElemSpec) {
	emitDispatcher(c, s.Name, s.signature(), elemDoc(s), s.variant, elemFlags)
}

// elemEmitter emits one variant's vector code. Operands of the helpers
// are in math order (a op b); the instructions take them reversed.
type elemEmitter struct {
	c       *build.Context
	z       bool                      // AVX-512 (zmm), else AVX2 (ymm)
	consts  map[uint32]reg.VecVirtual // hoisted constants by bit pattern
	want    map[uint32]int            // uses of each constant in a dry run
	args    map[int]reg.VecVirtual    // arguments loaded in this iteration
	memo    map[string]reg.VecVirtual // subexpressions of this iteration
	ptrs    []reg.GPVirtual
	scalars []reg.VecVirtual // MultiSpec scalar arguments, broadcast
	idx     reg.GPVirtual
	kmask   reg.OpmaskVirtual // AVX-512 tail lanes
	ymask   reg.VecVirtual    // AVX2 tail lanes (sign bits)
	masked  bool
}

func (e *elemEmitter) vec() reg.VecVirtual {
	if e.z {
		return e.c.ZMM()
	}
	return e.c.YMM()
}

// k returns a register holding the float32 bit pattern bits in every lane.
func (e *elemEmitter) k(bits uint32) reg.VecVirtual {
	if e.want != nil {
		e.want[bits]++
	}
	if v, ok := e.consts[bits]; ok {
		return v
	}
	return e.broadcast(bits)
}

func (e *elemEmitter) kf(x float64) reg.VecVirtual { return e.k(f32bits(x)) }

// broadcast materializes bits in every lane from an immediate: kernels
// read no global.
func (e *elemEmitter) broadcast(bits uint32) reg.VecVirtual {
	t := e.c.GP32()
	e.c.MOVL(operand.U32(bits), t) // t = bits
	v := e.vec()
	if e.z {
		e.c.VPBROADCASTD(t, v) // v[:] = t
		return v
	}
	e.c.VMOVD(t, v.AsX())        // v[0] = t
	e.c.VPBROADCASTD(v.AsX(), v) // v[:] = v[0]
	return v
}

func (e *elemEmitter) op3(ins func(...operand.Op), a, b reg.VecVirtual) reg.VecVirtual {
	d := e.vec()
	ins(b, a, d)
	return d
}

func (e *elemEmitter) add(a, b reg.VecVirtual) reg.VecVirtual { return e.op3(e.c.VADDPS, a, b) }
func (e *elemEmitter) sub(a, b reg.VecVirtual) reg.VecVirtual { return e.op3(e.c.VSUBPS, a, b) }
func (e *elemEmitter) mul(a, b reg.VecVirtual) reg.VecVirtual { return e.op3(e.c.VMULPS, a, b) }
func (e *elemEmitter) div(a, b reg.VecVirtual) reg.VecVirtual { return e.op3(e.c.VDIVPS, a, b) }

// maxNaN is max(b, a), a where either is NaN; minNaN likewise.
func (e *elemEmitter) maxNaN(a, b reg.VecVirtual) reg.VecVirtual {
	d := e.vec()
	e.c.VMAXPS(a, b, d)
	return d
}

func (e *elemEmitter) minNaN(a, b reg.VecVirtual) reg.VecVirtual {
	d := e.vec()
	e.c.VMINPS(a, b, d)
	return d
}

func (e *elemEmitter) and(a, b reg.VecVirtual) reg.VecVirtual {
	if e.z {
		return e.op3(e.c.VPANDD, a, b)
	}
	return e.op3(e.c.VANDPS, a, b)
}

func (e *elemEmitter) or(a, b reg.VecVirtual) reg.VecVirtual {
	if e.z {
		return e.op3(e.c.VPORD, a, b)
	}
	return e.op3(e.c.VORPS, a, b)
}

func (e *elemEmitter) xor(a, b reg.VecVirtual) reg.VecVirtual {
	if e.z {
		return e.op3(e.c.VPXORD, a, b)
	}
	return e.op3(e.c.VXORPS, a, b)
}

// fmaInto sets p = p*b + c in place (p must be a temporary).
func (e *elemEmitter) fmaInto(p, b, c reg.VecVirtual) { e.c.VFMADD213PS(c, b, p) }

// copyOf returns a fresh register holding a.
func (e *elemEmitter) copyOf(a reg.VecVirtual) reg.VecVirtual {
	d := e.vec()
	e.c.VMOVAPS(a, d)
	return d
}

// less blends: where a < b the result is x, else y.
func (e *elemEmitter) selectLess(a, b, x, y reg.VecVirtual) reg.VecVirtual {
	d := e.vec()
	if e.z {
		k := e.c.K()
		e.c.VCMPPS(operand.U8(1), b, a, k) // k = a < b
		e.c.VBLENDMPS(x, y, k, d)          // d = k ? x : y
		return d
	}
	m := e.vec()
	e.c.VCMPPS(operand.U8(1), b, a, m) // m = a < b
	e.c.VBLENDVPS(m, x, y, d)          // d = m ? x : y
	return d
}

func (e *elemEmitter) zero() reg.VecVirtual {
	d := e.vec()
	i, err := x86.VXORPS(d, d, d) // d = 0
	if e.z {
		i, err = x86.VPXORD(d, d, d) // d = 0 (VXORPS on zmm needs AVX512DQ)
	}
	if err != nil {
		panic(err)
	}
	i.CancellingInputs = true // d is not read
	e.c.Instruction(i)
	return d
}

// exp is the vector exp of elem_math.go.
func (e *elemEmitter) exp(x reg.VecVirtual) reg.VecVirtual {
	x = e.maxNaN(x, e.kf(expLo))
	x = e.minNaN(x, e.kf(expHi))
	n := e.mul(x, e.kf(expLog2e))
	n = e.add(n, e.kf(expMagic))
	n = e.sub(n, e.kf(expMagic)) // n = round(x·log2e)
	r := x
	e.c.VFNMADD231PS(e.kf(expC1), n, r) // r -= n·C1
	e.c.VFNMADD231PS(e.kf(expC2), n, r) // r -= n·C2
	p := e.copyOf(r)
	e.fmaInto(p, e.kf(expP[0]), e.kf(expP[1])) // p = r·P0 + P1
	for _, c := range expP[2:] {
		e.fmaInto(p, r, e.kf(c)) // p = p·r + c
	}
	rr := e.mul(r, r)
	e.fmaInto(p, rr, r)   // p = p·r² + r
	p = e.add(p, e.kf(1)) // p += 1
	if e.z {
		d := e.vec()
		e.c.VSCALEFPS(n, p, d) // d = p·2ⁿ
		return d
	}
	ni := e.vec()
	e.c.VCVTPS2DQ(n, ni) // ni = int32(n)
	h := e.vec()
	e.c.VPSRAD(operand.U8(1), ni, h) // h = ni >> 1
	l := e.vec()
	e.c.VPSUBD(h, ni, l) // l = ni - h
	bias := e.k(127)
	for _, s := range []reg.VecVirtual{h, l} {
		e.c.VPADDD(bias, s, s)           // s += 127
		e.c.VPSLLD(operand.U8(23), s, s) // s = 2**(s-127) as float32 bits
	}
	return e.mul(e.mul(p, h), l)
}

func (e *elemEmitter) neg(x reg.VecVirtual) reg.VecVirtual { return e.xor(x, e.k(1<<31)) }

// rcp returns 1/d to about 1 ulp for finite d ≥ 1 (NaN for NaN): the
// hardware estimate (14 bits with AVX-512, 12 with AVX) refined by
// Newton-Raphson steps r += r·(1 - d·r), much cheaper than VDIVPS.
func (e *elemEmitter) rcp(d reg.VecVirtual) reg.VecVirtual {
	r := e.vec()
	steps := 1
	if e.z {
		e.c.VRCP14PS(d, r) // r ≈ 1/d, 14 bits
	} else {
		e.c.VRCPPS(d, r) // r ≈ 1/d, 12 bits
		steps = 2
	}
	for range steps {
		t := e.copyOf(d)
		e.c.VFNMADD213PS(e.kf(1), r, t) // t = 1 - d·r
		e.c.VFMADD231PS(t, r, r)        // r += r·t
	}
	return r
}

// sigmoid is 1/(1 + e^-x), e^-x clamped below +Inf so that the
// reciprocal's refinement stays finite (the result is then below 1e-38).
func (e *elemEmitter) sigmoid(x reg.VecVirtual) reg.VecVirtual {
	nx := e.minNaN(e.neg(x), e.kf(expFinite))
	return e.rcp(e.add(e.kf(1), e.exp(nx)))
}

func (e *elemEmitter) tanh(x reg.VecVirtual) reg.VecVirtual {
	a := e.and(x, e.k(1<<31-1))
	z := e.mul(x, x)
	p := e.copyOf(z)
	e.fmaInto(p, e.kf(tanhT[0]), e.kf(tanhT[1])) // p = z·T0 + T1
	for _, c := range tanhT[2:] {
		e.fmaInto(p, z, e.kf(c)) // p = p·z + c
	}
	e.fmaInto(p, e.mul(x, z), x) // small = p·(x·z) + x
	one := e.kf(1)
	a2 := e.minNaN(e.add(a, a), e.kf(expFinite)) // tanh(44) is 1 in float32
	q := e.mul(e.kf(2), e.rcp(e.add(e.exp(a2), one)))
	large := e.or(e.sub(one, q), e.and(x, e.k(1<<31))) // sign(x)·(1 - 2/(e^2|x| + 1))
	return e.selectLess(a, e.kf(tanhLim), p, large)
}

// load returns argument i at the current index.
func (e *elemEmitter) load(i int) reg.VecVirtual {
	if v, ok := e.args[i]; ok {
		return v
	}
	v := e.vec()
	m := operand.Mem{Base: e.ptrs[i+1], Index: e.idx, Scale: 1}
	switch {
	case e.masked && e.z:
		e.c.VMOVUPS_Z(m, e.kmask, v) // v = m[:tail], 0 beyond
	case e.masked:
		e.c.VMASKMOVPS(m, e.ymask, v) // v = m[:tail], 0 beyond
	default:
		e.c.VMOVUPS(m, v)
	}
	e.args[i] = v
	return v
}

// expr emits x and returns its register.
func (e *elemEmitter) expr(x *ElemExpr) reg.VecVirtual {
	switch x.Op {
	case "arg":
		return e.load(x.Arg)
	case "lit":
		return e.kf(x.Value)
	case "scalar":
		return e.scalars[x.Arg]
	}
	key := x.String()
	if v, ok := e.memo[key]; ok {
		return v
	}
	a := make([]reg.VecVirtual, len(x.Args))
	for i, s := range x.Args {
		a[i] = e.expr(s)
	}
	var v reg.VecVirtual
	switch x.Op {
	case "add":
		v = e.add(a[0], a[1])
	case "sub":
		v = e.sub(a[0], a[1])
	case "mul":
		v = e.mul(a[0], a[1])
	case "div":
		v = e.div(a[0], a[1])
	case "neg":
		v = e.neg(a[0])
	case "square":
		v = e.mul(a[0], a[0])
	case "recip":
		v = e.div(e.kf(1), a[0])
	case "relu":
		v = e.maxNaN(a[0], e.zero()) // max(0, x), NaN for NaN
	case "relu_grad": // dy where x > 0, else dy·0
		zero := e.zero()
		v = e.selectLess(zero, a[0], a[1], e.mul(a[1], zero))
	case "exp":
		v = e.exp(a[0])
	case "sigmoid":
		v = e.sigmoid(a[0])
	case "tanh":
		v = e.tanh(a[0])
	case "sigmoid_grad": // (dy·y)·(1 - y)
		v = e.mul(e.mul(a[1], a[0]), e.sub(e.kf(1), a[0]))
	case "tanh_grad": // dy·(1 - y·y)
		v = e.mul(a[1], e.sub(e.kf(1), e.mul(a[0], a[0])))
	case "sqrt":
		v = e.vec()
		e.c.VSQRTPS(a[0], v) // v = sqrt(a), correctly rounded
	case "max": // max(a, b), b where either is NaN
		v = e.maxNaN(a[0], a[1])
	default:
		panic("no vector rule for " + x.Op)
	}
	e.memo[key] = v
	return v
}

// body emits one vector of dst.
func (e *elemEmitter) body(s ElemSpec, masked bool) {
	e.masked = masked
	e.args = map[int]reg.VecVirtual{}
	e.memo = map[string]reg.VecVirtual{}
	v := e.expr(s.Expr)
	m := operand.Mem{Base: e.ptrs[0], Index: e.idx, Scale: 1}
	switch {
	case masked && e.z:
		e.c.VMOVUPS(v, e.kmask, m) // m[:tail] = v
	case masked:
		e.c.VMASKMOVPS(v, e.ymask, m) // m[:tail] = v
	default:
		e.c.VMOVUPS(v, m)
	}
}

// emitElem adds the AVX-512 (z) or AVX2 variant of s:
//
//	for i := 0; i+lanes <= n; i += lanes { dst[i:i+lanes] = f(a[i:i+lanes]...) }
//	if i < n { the same on lanes i..n-1 with masked loads and stores }
func emitElem(c *build.Context, s ElemSpec, z bool, hoist int) {
	suffix, lanes := variantAVX2, 8
	if z {
		suffix, lanes = variantAVX512, 16
	}
	name := s.variant(suffix)
	c.Function(name)
	c.Attributes(attr.NOSPLIT)
	c.SignatureExpr(s.signature())
	c.Pragma("noescape")
	c.Doc(fmt.Sprintf("%s is %s for CPUs with %s.", name, s.Name, suffix))
	e := &elemEmitter{c: c, z: z, consts: map[uint32]reg.VecVirtual{}}
	n := c.GP64()
	var rows, cols reg.GPVirtual
	if s.Rows {
		rows, cols = c.GP64(), c.GP64()
		c.Load(c.Param("rows"), rows)
		c.Load(c.Param("cols"), cols)
	} else {
		c.Load(c.Param("dst").Len(), n)
	}
	for _, p := range s.slices() {
		r := c.GP64()
		c.Load(c.Param(p).Base(), r)
		e.ptrs = append(e.ptrs, r)
	}
	if hoist > 0 {
		// A dry run in a scratch context finds the constants the body uses.
		dry := &elemEmitter{c: build.NewContext(), z: z, consts: map[uint32]reg.VecVirtual{}, want: map[uint32]int{}}
		dry.c.Function("dry")
		dry.ptrs = make([]reg.GPVirtual, len(e.ptrs))
		for i := range dry.ptrs {
			dry.ptrs[i] = dry.c.GP64()
		}
		dry.idx = dry.c.GP64()
		dry.body(s, false)
		for i, bits := range mostUsed(dry.want) {
			if i == hoist {
				break
			}
			e.consts[bits] = e.broadcast(bits)
		}
	}
	setMask := func(count reg.GPVirtual) {
		if z {
			t, all := c.GP32(), c.GP32()
			c.MOVL(operand.U32(0xffff), all)
			c.BZHIL(count.As32(), all, t) // t = lanes below count
			e.kmask = c.K()
			c.KMOVW(t, e.kmask)
			return
		}
		e.ymask = c.YMM()
		iota := c.YMM()
		setIotaYMM(c, iota)
		nv := c.YMM()
		c.VMOVD(count.As32(), nv.AsX())
		c.VPBROADCASTD(nv.AsX(), nv)
		c.VPCMPGTD(iota, nv, e.ymask) // mask = count > lane
	}
	if s.Rows {
		// The tail of every row has cols mod lanes elements.
		rem := c.GP64()
		c.MOVQ(cols, rem)
		c.ANDQ(operand.U32(lanes-1), rem)
		setMask(rem)
		c.TESTQ(rows, rows)
		c.JZ(operand.LabelRef("done"))
		c.Label("row")
		c.MOVQ(cols, n)
	}
	e.idx = c.GP64()
	c.XORQ(e.idx, e.idx) // byte offset of element i
	c.Label("loop")
	c.CMPQ(n, operand.U32(lanes))
	c.JL(operand.LabelRef("tail")) // fewer than lanes left
	e.body(s, false)
	c.ADDQ(operand.U32(4*lanes), e.idx)
	c.SUBQ(operand.U32(lanes), n)
	c.JMP(operand.LabelRef("loop"))
	c.Label("tail")
	c.TESTQ(n, n)
	next := "done"
	if s.Rows {
		next = "next"
	}
	c.JZ(operand.LabelRef(next))
	if !s.Rows {
		setMask(n)
	}
	e.body(s, true)
	if s.Rows {
		c.Label("next")
		t := c.GP64()
		for i, p := range s.slices() {
			c.Load(c.Param(strideOf(p)), t)
			c.SHLQ(operand.U8(2), t) // bytes
			c.ADDQ(t, e.ptrs[i])     // next row
		}
		c.DECQ(rows)
		c.JNZ(operand.LabelRef("row"))
	}
	c.Label("done")
	c.VZEROUPPER()
	c.RET()
}

// setIotaYMM sets y to the int32 lanes 0..7 from immediates.
func setIotaYMM(c *build.Context, y reg.VecVirtual) {
	t := c.GP64()
	half := func(x reg.Register, k uint64) {
		c.MOVQ(operand.U64(k|(k+1)<<32), t)
		c.VMOVQ(t, x)
		c.MOVQ(operand.U64((k+2)|(k+3)<<32), t)
		c.VPINSRQ(operand.U8(1), t, x, x)
	}
	half(y.AsX(), 0)
	hi := c.XMM()
	half(hi, 4)
	c.VINSERTI128(operand.U8(1), hi, y, y)
}

// mostUsed returns the constants by decreasing use count, then value.
func mostUsed(m map[uint32]int) []uint32 {
	out := make([]uint32, 0, len(m))
	for b := range m {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b uint32) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	return out
}
