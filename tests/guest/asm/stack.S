// Walks the initial stack: argc, argv strings, envp strings, the auxv entries that do not depend
// on the emulator (AT_PAGESZ, AT_PHENT, AT_CLKTCK, AT_EXECFN string, AT_PLATFORM string) and
// checks that sp is 16-byte aligned and AT_RANDOM points at 16 readable bytes.
#include "lib.inc"
	.globl _start
_start:
	mov x19, sp
	adr x0, s_align
	and x1, x19, #15
	bl print_kv
	ldr x20, [x19]              // argc
	adr x0, s_argc
	mov x1, x20
	bl print_kv
	add x21, x19, #8            // argv
	mov x22, #0
1:	cmp x22, x20
	b.ge 2f
	adr x0, s_arg
	bl print_str
	ldr x0, [x21, x22, lsl #3]
	bl print_str
	bl print_nl
	add x22, x22, #1
	b 1b
2:	ldr x0, [x21, x22, lsl #3]  // argv[argc] must be NULL
	adr x0, s_argvnull
	ldr x1, [x21, x22, lsl #3]
	bl print_kv
	add x23, x21, x20, lsl #3
	add x23, x23, #8            // envp
3:	ldr x0, [x23], #8
	cbz x0, 4f
	mov x24, x0
	adr x0, s_env
	bl print_str
	mov x0, x24
	bl print_str
	bl print_nl
	b 3b
4:	mov x23, x23                // x23 = auxv: print entries in a fixed order (emulators differ)
	mov x0, #3                  // AT_PHDR: the first phdr of a static binary is PT_LOAD or PT_PHDR
	bl find_aux
	ldr w1, [x0]
	adr x0, s_phdr
	bl print_kv
	mov x0, #4
	bl find_aux
	mov x1, x0
	adr x0, s_phent
	bl print_kv
	mov x0, #6
	bl find_aux
	mov x1, x0
	adr x0, s_pagesz
	bl print_kv
	mov x0, #17
	bl find_aux
	mov x1, x0
	adr x0, s_clktck
	bl print_kv
	mov x0, #25                 // AT_RANDOM: touch all 16 bytes
	bl find_aux
	ldp x1, x2, [x0]
	adr x0, s_random
	mov x1, #16
	bl print_kv
	mov x0, #31
	bl find_aux
	mov x24, x0
	adr x0, s_execfn
	bl print_str
	mov x0, x24
	bl print_str
	bl print_nl
	mov x0, #15
	bl find_aux
	mov x24, x0
	adr x0, s_platform
	bl print_str
	mov x0, x24
	bl print_str
	bl print_nl
	mov x0, #9                  // AT_ENTRY is _start
	bl find_aux
	adr x1, _start
	cmp x0, x1
	cset x1, eq
	adr x0, s_entry
	bl print_kv
	mov x0, #0                  // AT_NULL ends the vector with value 0
	bl find_aux
	mov x1, x0
	adr x0, s_null
	bl print_kv
9:	mov x0, #0
	mov x8, #SYS_exit_group
	svc #0

// find_aux(x0 = type) -> value (x23 = auxv); -1 if absent
find_aux:
	mov x1, x23
1:	ldp x2, x3, [x1], #16
	cmp x2, x0
	b.eq 2f
	cbnz x2, 1b
	mov x0, #-1
	ret
2:	mov x0, x3
	ret

s_align:	.asciz "sp%16 "
s_argc:		.asciz "argc "
s_arg:		.asciz "arg "
s_argvnull:	.asciz "argv[argc] "
s_env:		.asciz "env "
s_pagesz:	.asciz "AT_PAGESZ "
s_phent:	.asciz "AT_PHENT "
s_clktck:	.asciz "AT_CLKTCK "
s_platform:	.asciz "AT_PLATFORM "
s_execfn:	.asciz "AT_EXECFN "
s_random:	.asciz "AT_RANDOM bytes "
s_phdr:		.asciz "AT_PHDR type "
s_entry:	.asciz "AT_ENTRY is _start "
s_null:		.asciz "AT_NULL value "
