// Signal delivery: a SIGSEGV handler (SA_SIGINFO) that skips the faulting load by editing the
// saved pc in the ucontext; SIGUSR1 sent with kill() to self, delivered at once and, while
// blocked, on unblocking; a handler with SA_RESTORER; then BRK with no handler: SIGTRAP kills.
#include "lib.inc"
	.macro SYSCALL nr
	mov x8, #\nr
	svc #0
	.endm
	.macro SAY label
	adr x0, \label
	bl print_str
	.endm

	.globl _start
_start:
	mov x0, #11
	adr x1, act_segv
	mov x2, #0
	mov x3, #8
	SYSCALL SYS_rt_sigaction
	mov x1, x0
	adr x0, s_sigaction
	bl print_kv
	SAY s_before
	mov x19, #0x7777
	mov x1, #0x10
	ldr x0, [x1]                // faults: the handler skips it
	mov x1, x19                 // callee state survived the handler
	adr x0, s_resumed
	bl print_kv

	mov x0, #10                 // SIGUSR1 handler (plain, uses the kernel's trampoline)
	adr x1, act_usr1
	mov x2, #0
	mov x3, #8
	SYSCALL SYS_rt_sigaction
	SYSCALL SYS_getpid
	mov x20, x0
	mov x1, #10
	SYSCALL SYS_kill
	SAY s_after_kill

	mov x0, #0                  // SIG_BLOCK SIGUSR1
	adr x1, set_usr1
	mov x2, #0
	mov x3, #8
	SYSCALL SYS_rt_sigprocmask
	mov x0, x20
	mov x1, #10
	SYSCALL SYS_kill
	SAY s_blocked
	mov x0, #1                  // SIG_UNBLOCK: delivered now
	adr x1, set_usr1
	mov x2, #0
	mov x3, #8
	SYSCALL SYS_rt_sigprocmask
	SAY s_unblocked

	mov x0, #12                 // SIGUSR2 with SA_RESTORER
	adr x1, act_usr2
	mov x2, #0
	mov x3, #8
	SYSCALL SYS_rt_sigaction
	mov x0, x20
	mov x1, #12
	SYSCALL SYS_kill
	SAY s_after_usr2

	SAY s_trap
	brk #0x3e8
	SAY s_not_reached
	mov x0, #1
	SYSCALL SYS_exit_group

segv_handler:                   // x0 = signo, x1 = siginfo, x2 = ucontext
	mov x21, x1
	mov x22, x2
	mov x23, x30
	mov x1, x0
	adr x0, s_sig
	bl print_kv
	ldr w1, [x21, #8]
	adr x0, s_code
	bl print_kv
	ldr x1, [x21, #16]
	adr x0, s_addr
	bl print_kv
	ldr x1, [x22, #(176 + 8 + 19 * 8)]   // uc_mcontext.regs[19]
	adr x0, s_x19
	bl print_kv
	ldr x3, [x22, #(176 + 264)]          // uc_mcontext.pc
	add x3, x3, #4
	str x3, [x22, #(176 + 264)]
	mov x19, #1                          // clobbered: sigreturn restores it
	mov x30, x23
	ret

usr1_handler:
	mov x23, x30
	mov x1, x0
	adr x0, s_usr1
	bl print_kv
	mov x30, x23
	ret

usr2_handler:
	mov x23, x30
	mov x1, x0
	adr x0, s_usr2
	bl print_kv
	mov x30, x23
	ret

my_restorer:
	adr x0, s_restorer
	bl print_str
	mov x8, #139
	svc #0

	.balign 8
act_segv:	.quad segv_handler, 4, 0, 0          // SA_SIGINFO
act_usr1:	.quad usr1_handler, 0, 0, 0
act_usr2:	.quad usr2_handler, 0x04000000, my_restorer, 0   // SA_RESTORER
set_usr1:	.quad 1 << 9

s_sigaction:	.asciz "rt_sigaction "
s_before:	.asciz "before fault\n"
s_resumed:	.asciz "resumed, x19 = "
s_sig:		.asciz "handler: signal "
s_code:		.asciz "handler: si_code "
s_addr:		.asciz "handler: si_addr "
s_x19:		.asciz "handler: saved x19 "
s_usr1:		.asciz "usr1 handler: signal "
s_usr2:		.asciz "usr2 handler: signal "
s_restorer:	.asciz "in my restorer\n"
s_after_kill:	.asciz "after kill\n"
s_blocked:	.asciz "kill while blocked returned\n"
s_unblocked:	.asciz "unblocked\n"
s_after_usr2:	.asciz "after usr2\n"
s_trap:		.asciz "executing brk\n"
s_not_reached:	.asciz "NOT REACHED\n"
