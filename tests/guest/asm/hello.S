// write(1, msg, len) then exit(0).
	.globl _start
_start:
	mov x0, #1
	adr x1, msg
	mov x2, #(msg_end - msg)
	mov x8, #64
	svc #0
	mov x0, #0
	mov x8, #93
	svc #0
msg:	.ascii "hello from asm\n"
msg_end:
