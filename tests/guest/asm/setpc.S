// Targets for a plugin's set_pc (tests/test_plugin_api.py). Exit status 100 * x19 + 10 * the
// loop's iterations + 1 if getpid returned 4242: 250 run as written. A plugin that jumps over
// s_skip leaves x19 = 1 (150); one that answers the getpid at s_svc itself gets 251; one that
// jumps from s_back to s_done in the loop's third iteration makes it 230.
#include "lib.inc"
	.globl _start, s_skip, s_loop, s_back, s_done, s_svc
_start:
	mov x19, #1
s_skip:
	mov x19, #2
	mov x20, #0
	mov x21, #5
s_loop:
	add x20, x20, #1
	subs x21, x21, #1
s_back:
	b.ne s_loop
s_done:
	mov x0, #0
	mov x8, #SYS_getpid
s_svc:
	svc #0
	mov x1, #4242
	cmp x0, x1
	cset x2, eq
	mov x3, #100
	mul x19, x19, x3
	mov x3, #10
	madd x0, x20, x3, x2
	add x0, x0, x19
	mov x8, #SYS_exit_group
	svc #0
