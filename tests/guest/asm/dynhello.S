// A position-independent program with a PT_INTERP (the glibc dynamic loader) but no libraries:
// the loader (started first, at AT_BASE) relocates nothing and jumps to _start.
// Run with a sysroot: qemu-aarch64 -L /usr/aarch64-linux-gnu bin/dynhello
	.globl _start
_start:
	mov x0, #1
	adr x1, msg
	mov x2, #(msg_end - msg)
	mov x8, #64
	svc #0
	mov x0, #7
	mov x8, #94
	svc #0
msg:	.ascii "hello through ld.so\n"
msg_end:
