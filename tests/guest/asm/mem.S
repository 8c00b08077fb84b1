// brk, mmap, mprotect, munmap, mremap, madvise: prints results that do not depend on where the
// emulator puts things (errnos, alignment, data read back).
#include "lib.inc"
	.macro SYSCALL nr
	mov x8, #\nr
	svc #0
	.endm
	.macro SHOW label
	mov x1, x0
	adr x0, \label
	bl print_kv
	.endm

	.globl _start
_start:
	// brk
	mov x0, #0
	SYSCALL SYS_brk
	mov x19, x0
	and x0, x19, #0xfff
	SHOW s_brk_align
	add x0, x19, #0x3000
	SYSCALL SYS_brk
	sub x0, x0, x19
	SHOW s_brk_grow
	add x1, x19, #0x2000
	mov x2, #0x1234
	str x2, [x1, #0xff8]
	ldr x0, [x1, #0xff8]
	SHOW s_brk_rw
	mov x0, x19
	SYSCALL SYS_brk
	sub x0, x0, x19
	SHOW s_brk_shrink

	// anonymous mmap of 4 pages
	mov x0, #0
	mov x1, #0x4000
	mov x2, #3                  // PROT_READ|PROT_WRITE
	mov x3, #0x22               // MAP_PRIVATE|MAP_ANONYMOUS
	mov x4, #-1
	mov x5, #0
	SYSCALL SYS_mmap
	mov x20, x0
	and x0, x20, #0xfff
	SHOW s_mmap_align
	ldr x0, [x20, #0x100]
	SHOW s_mmap_zero
	mov x2, #0x5678
	add x1, x20, #0x3000
	str x2, [x1, #0xff8]
	add x1, x20, #0x2000
	str x2, [x1, #8]

	// mprotect the first page read-only, unmap the second
	mov x0, x20
	mov x1, #0x1000
	mov x2, #1
	SYSCALL SYS_mprotect
	SHOW s_mprotect
	add x0, x20, #0x1000
	mov x1, #0x1000
	SYSCALL SYS_munmap
	SHOW s_munmap
	// mprotect over the hole fails with ENOMEM
	mov x0, x20
	mov x1, #0x3000
	mov x2, #3
	SYSCALL SYS_mprotect
	SHOW s_mprotect_hole

	// grow the last two pages to 8 pages (may move)
	add x0, x20, #0x2000
	mov x1, #0x2000
	mov x2, #0x8000
	mov x3, #1                  // MREMAP_MAYMOVE
	SYSCALL SYS_mremap
	mov x21, x0
	and x0, x21, #0xfff
	SHOW s_mremap_align
	add x1, x21, #0x1000
	ldr x0, [x1, #0xff8]
	SHOW s_mremap_data
	add x1, x21, #0x7000
	ldr x0, [x1, #0xff8]
	SHOW s_mremap_zero

	// MAP_FIXED_NOREPLACE over an existing mapping: EEXIST
	mov x0, x21
	mov x1, #0x1000
	mov x2, #3
	mov x3, #0x22
	orr x3, x3, #0x100000
	mov x4, #-1
	mov x5, #0
	SYSCALL SYS_mmap
	cmp x0, x21                 // Linux: -EEXIST (qemu 7.2 maps elsewhere): never the hint
	cset x0, eq
	SHOW s_noreplace
	// MAP_FIXED over it: replaces, reads zero
	mov x0, x21
	mov x1, #0x1000
	mov x2, #3
	mov x3, #0x32               // MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
	mov x4, #-1
	mov x5, #0
	SYSCALL SYS_mmap
	sub x0, x0, x21
	SHOW s_fixed
	add x1, x21, #0x1000
	ldr x0, [x1, #0xff8]
	SHOW s_fixed_keep
	// MADV_DONTNEED zeroes anonymous memory
	add x1, x21, #0x1000
	mov x2, #0x99
	str x2, [x1, #0x10]
	add x0, x21, #0x1000
	mov x1, #0x1000
	mov x2, #4
	SYSCALL SYS_madvise
	SHOW s_madvise
	add x1, x21, #0x1000
	ldr x0, [x1, #0x10]
	SHOW s_madvise_zero

	// errors
	mov x0, #0
	mov x1, #0
	mov x2, #3
	mov x3, #0x22
	mov x4, #-1
	mov x5, #0
	SYSCALL SYS_mmap
	SHOW s_len0
	mov x0, #0
	mov x1, #0x1000
	mov x2, #3
	mov x3, #0x2                // file mapping of fd -1
	mov x4, #-1
	mov x5, #0
	SYSCALL SYS_mmap
	SHOW s_badfd
	mov x0, #0
	mov x1, #0x1000
	mov x2, #3
	mov x3, #0x22
	mov x4, #-1
	mov x5, #0x10               // offset not page aligned
	SYSCALL SYS_mmap
	SHOW s_badoff
	add x0, x21, #1
	mov x1, #0x1000
	SYSCALL SYS_munmap
	SHOW s_munmap_unaligned
	mov x0, #0
	SYSCALL SYS_exit_group

s_brk_align:	.asciz "brk page offset "
s_brk_grow:	.asciz "brk grow by "
s_brk_rw:	.asciz "brk memory reads "
s_brk_shrink:	.asciz "brk shrink to start "
s_mmap_align:	.asciz "mmap page offset "
s_mmap_zero:	.asciz "mmap memory is zero "
s_mprotect:	.asciz "mprotect "
s_munmap:	.asciz "munmap "
s_mprotect_hole: .asciz "mprotect over a hole "
s_mremap_align:	.asciz "mremap page offset "
s_mremap_data:	.asciz "mremap kept data "
s_mremap_zero:	.asciz "mremap new part reads "
s_noreplace:	.asciz "MAP_FIXED_NOREPLACE replaced a mapping "
s_fixed:	.asciz "MAP_FIXED result - address "
s_fixed_keep:	.asciz "MAP_FIXED left the next page "
s_madvise:	.asciz "madvise DONTNEED "
s_madvise_zero:	.asciz "after DONTNEED reads "
s_len0:		.asciz "mmap length 0 "
s_badfd:	.asciz "mmap bad fd "
s_badoff:	.asciz "mmap unaligned offset "
s_munmap_unaligned: .asciz "munmap unaligned "
