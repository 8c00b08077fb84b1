// What glibc's abort() does at the end: tgkill(getpid(), gettid(), SIGABRT) with the default
// action: the process dies with SIGABRT (status 134).
#include "lib.inc"
	.globl _start
_start:
	adr x0, msg
	bl print_str
	mov x8, #172                // getpid
	svc #0
	mov x19, x0
	mov x8, #178                // gettid
	svc #0
	mov x1, x0
	mov x0, x19
	mov x2, #6                  // SIGABRT
	mov x8, #131                // tgkill
	svc #0
	mov x0, #1
	mov x8, #SYS_exit_group
	svc #0
msg:	.asciz "raising SIGABRT\n"
