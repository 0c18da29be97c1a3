package asm

import (
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
	"github.com/mmcloughlin/avo/x86"
)

// fpOps holds the packed floating-point instructions of one element type,
// so that the kernel emitters are written once for float32 and float64.
// Operands are in Go assembler order: sources first, destination last.
type fpOps struct {
	c       *build.Context
	movu    func(...operand.Op)                          // VMOVUPS src, dst
	movuZ   func(m, k, dst operand.Op)                   // VMOVUPS.Z src, k, dst: dst = k ? src : 0
	maskmov func(src, mask, dst operand.Op)              // VMASKMOVPS: lanes with the mask's sign bit set
	bcast   func(...operand.Op)                          // VBROADCASTSS m, dst: dst[:] = m
	mul     func(...operand.Op)                          // VMULPS x, y, dst: dst = x*y
	mulBcst func(...operand.Op)                          // VMULPS.BCST m, y, dst: dst = m*y
	fma     func(...operand.Op)                          // VFMADD231PS x, y, acc: acc += x*y
	fmaBcst func(...operand.Op)                          // VFMADD231PS.BCST m, y, acc: acc += m*y
	add     func(...operand.Op)                          // VADDPS x, y, dst: dst = y + x
	addZ    func(m, x, k, dst operand.Op)                // VADDPS.Z m, x, k, dst: dst = k ? x + m : 0
	max     func(...operand.Op)                          // VMAXPS x, y, dst: dst = y > x ? y : x (x if NaN)
	xor     func(...operand.Op) (*ir.Instruction, error) // VPXORD x, y, dst, built for zero
}

// newFPOps returns the instructions for float64 when f64, else float32.
func newFPOps(c *build.Context, f64 bool) fpOps {
	if f64 {
		return fpOps{
			c: c, movu: c.VMOVUPD, movuZ: c.VMOVUPD_Z, maskmov: c.VMASKMOVPD, bcast: c.VBROADCASTSD,
			mul: c.VMULPD, mulBcst: c.VMULPD_BCST, fma: c.VFMADD231PD, fmaBcst: c.VFMADD231PD_BCST,
			add: c.VADDPD, addZ: c.VADDPD_Z, max: c.VMAXPD, xor: x86.VPXORQ,
		}
	}
	return fpOps{
		c: c, movu: c.VMOVUPS, movuZ: c.VMOVUPS_Z, maskmov: c.VMASKMOVPS, bcast: c.VBROADCASTSS,
		mul: c.VMULPS, mulBcst: c.VMULPS_BCST, fma: c.VFMADD231PS, fmaBcst: c.VFMADD231PS_BCST,
		add: c.VADDPS, addZ: c.VADDPS_Z, max: c.VMAXPS, xor: x86.VPXORD,
	}
}

// zero sets v to zero with a VEX VXORPS for ymm, else an EVEX VPXORD,
// marked as not reading v so that liveness does not stretch v back to the
// function entry (avo marks VXORPS but not VPXORD as such).
func (o fpOps) zero(v reg.VecVirtual) {
	i, err := x86.VXORPS(v, v, v) // v = 0
	if v.Size() == 64 {
		i, err = o.xor(v, v, v) // v = 0
	}
	if err != nil {
		panic("asm: " + err.Error()) // operands are always a valid vector register
	}
	i.CancellingInputs = true
	o.c.Instruction(i)
}
