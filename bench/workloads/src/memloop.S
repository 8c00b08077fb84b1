// memloop: a load/store loop with no system call inside it, so the same code runs unchanged under
// nbemu, qemu-aarch64 and Unicorn (which has no Linux layer) and the instrumentation benchmark
// (bench/plugin_vs_others.py) can require the three to see the same instructions and accesses.
//
// Each iteration: 2 loads, 2 stores (8 bytes each, single-register forms: every tool reports an
// access as one event), 11 instructions, walking a 64 KiB buffer and wrapping at its end.
// The iteration count is the word after the ITERS marker in .data; the benchmark patches a copy
// of this binary to pick the size. Exit status: the low byte of the last value stored, so a tool
// that computed something else is caught too. Straight-line start and end (no libc): the only
// system call is the final exit_group, which the Unicorn run stops at.
        .equ    BUFSZ, 65536

        .data
        .balign 8
        .ascii  "MEMLOOP-ITERS:\0\0"
iters:  .quad   1000000

        .bss
        .balign 16
buf:    .skip   BUFSZ

        .text
        .globl  _start
_start:
        adrp    x9, iters
        ldr     x1, [x9, :lo12:iters]
        adrp    x5, buf
        add     x5, x5, :lo12:buf
        add     x6, x5, #(BUFSZ >> 12), lsl #12
        mov     x7, x5
        mov     x4, #0
        cbz     x1, done
loop:
        ldr     x3, [x7]
        ldr     x4, [x7, #8]
        add     x3, x3, x1
        eor     x4, x4, x3
        str     x3, [x7]
        str     x4, [x7, #8]
        add     x7, x7, #16
        cmp     x7, x6
        csel    x7, x7, x5, ne
        subs    x1, x1, #1
        b.ne    loop
done:
        and     x0, x4, #0xff
        mov     x8, #94                 // exit_group
        svc     #0
