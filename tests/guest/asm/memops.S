// Memory accesses of known sizes and values, one of each kind a plugin must see reported
// (tests/test_plugin_api.py): byte/half/word/double stores and loads, a sign-extending load,
// a pair, a 128-bit SIMD register, an exclusive pair of load and store, an LSE atomic add
// (a load and a store), DC ZVA and a load that crosses a page boundary. Labels mark each
// instruction whose accesses the test checks.
#include "lib.inc"
	.arch armv8.1-a
	.globl _start
_start:
	adrp x19, buf
	add x19, x19, :lo12:buf
	movz x1, #0x1122
	movk x1, #0x3344, lsl #16
	movk x1, #0x5566, lsl #32
	movk x1, #0x8788, lsl #48
	.globl m_strb, m_strh, m_strw, m_strx, m_ldrsw, m_stp, m_strq, m_ldxr, m_stxr
	.globl m_ldadd, m_dczva, m_cross
m_strb:	strb w1, [x19]
m_strh:	strh w1, [x19, #2]
m_strw:	str w1, [x19, #4]
m_strx:	str x1, [x19, #8]
m_ldrsw: ldrsw x2, [x19, #12]
m_stp:	stp x1, x2, [x19, #16]
	fmov d0, x1
	mov v0.d[1], x2
m_strq:	str q0, [x19, #32]
	add x3, x19, #48
m_ldxr:	ldxr x4, [x3]
	add x4, x4, #5
m_stxr:	stxr w5, x4, [x3]
	mov x6, #7
m_ldadd: ldadd x6, x7, [x3]
	add x9, x19, #128
m_dczva: dc zva, x9
	adrp x10, page2
	add x10, x10, :lo12:page2
	sub x10, x10, #4
	str x1, [x10]
m_cross: ldr x11, [x10]
	mov x0, #0
	mov x8, #SYS_exit_group
	svc #0

	.bss
	.balign 4096
buf:	.skip 4096
page2:	.skip 4096
