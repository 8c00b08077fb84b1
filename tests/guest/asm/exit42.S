// exit_group(42) using only MOVZ and SVC.
	.globl _start
_start:
	mov x0, #42
	mov x8, #94
	svc #0
