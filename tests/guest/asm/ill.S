// An undefined instruction with no handler: SIGILL, status 132.
#include "lib.inc"
	.globl _start
_start:
	adr x0, msg
	bl print_str
	.inst 0x00000000            // UDF #0
	mov x0, #1
	mov x8, #SYS_exit_group
	svc #0
msg:	.asciz "about to execute udf\n"
