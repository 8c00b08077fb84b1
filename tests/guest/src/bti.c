/* FEAT_BTI (Branch Target Identification) under a Linux-like user mode.

Built -march=armv8-a -mbranch-protection=standard: the C code's PAC is PACIASP/AUTIASP, hints
a CPU without PAuth runs as NOPs, so the same binary runs under -cpu cortex-a72 (the asm below
needs armv8.5-a for BRAAZ). Freestanding (no libc: Debian's libc.a has no BTI property note, and
the linker keeps the note only when every object has it), so the program's PT_GNU_PROPERTY note
has GNU_PROPERTY_AARCH64_FEATURE_1_BTI and, on a CPU with BTI, its text is guarded pages. Each case makes one indirect branch to a target and prints the
result: the target's return value, or the signal the branch raised. A SIGILL/SIGTRAP handler
prints the signal and si_addr's offset from the target, then returns from the branch's caller
with x0 = -1 by setting pc to x30 (every case is entered by BLR from C).

argv[1]: (none) the guarded-text cases and a page mmap'd with PROT_BTI; "nopauth": the same
without BRAAZ (for a CPU without PAuth); "code": also print si_code (Linux: ILL_ILLOPC = 1);
"nohandler": one BLR to a non-pad, no handler (the default action: killed by SIGILL); "page":
a page made executable by mprotect, with and without PROT_BTI, and BR from a non-guarded page
(qemu-aarch64 7.2 does not follow the Arm ARM there: see tests/test_bti.py). */
typedef unsigned long u64;
typedef long (*fn_t)(long);

#define SYS_write 64
#define SYS_exit_group 94
#define SYS_rt_sigaction 134
#define SYS_rt_sigreturn 139
#define SYS_mmap 222
#define SYS_mprotect 226
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define PROT_BTI 0x10
#define SIGILL 4
#define SIGTRAP 5
#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}

static void put(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    sys6(SYS_write, 1, (long)s, n, 0, 0, 0);
}

static void put_num(long v)
{
    char buf[24];
    int i = 23;
    int neg = v < 0;
    u64 u = neg ? -(u64)v : (u64)v;
    buf[i] = 0;
    do {
        buf[--i] = '0' + u % 10;
        u /= 10;
    } while (u);
    if (neg)
        buf[--i] = '-';
    put(buf + i);
}

/* Targets in the guarded text and the branches to them. Each call_* is entered by BLR (a
   function pointer in C) with x0 = the target, and branches to it in its own way; the target
   returns to call_*'s caller. */
__asm__(
    ".arch armv8.5-a\n"  /* BRAAZ, PACIZA: the C is armv8-a, its PAC in the hint space */
    ".text\n"
    ".p2align 2\n"
    "call_br_x9:  bti c\n  mov x9, x0\n  br x9\n"
    "call_br_x16: bti c\n  mov x16, x0\n  br x16\n"
    "call_br_x17: bti c\n  mov x17, x0\n  br x17\n"
    "call_blr:    bti c\n  mov x9, x0\n  stp x29, x30, [sp, #-16]!\n  blr x9\n"
    "             ldp x29, x30, [sp], #16\n  ret\n"
    "call_braaz:  bti c\n  mov x9, x0\n  paciza x9\n  braaz x9\n"
    "t_nopad:     mov x0, #1\n  ret\n"
    "t_bti:       bti\n  mov x0, #2\n  ret\n"
    "t_bti_c:     bti c\n  mov x0, #3\n  ret\n"
    "t_bti_j:     bti j\n  mov x0, #4\n  ret\n"
    "t_bti_jc:    bti jc\n  mov x0, #5\n  ret\n"
    "t_paciasp:   paciasp\n  autiasp\n  mov x0, #6\n  ret\n"
    "t_pacibsp:   pacibsp\n  autibsp\n  mov x0, #7\n  ret\n"
    "t_nop:       nop\n  mov x0, #8\n  ret\n"
    "t_brk:       brk #7\n  mov x0, #9\n  ret\n"
    "restorer:    mov x8, #139\n  svc #0\n"
    ".globl _start\n"
    "_start:      mov x0, sp\n  bl start_c\n"
);

long call_br_x9(fn_t), call_br_x16(fn_t), call_br_x17(fn_t), call_blr(fn_t),
    call_braaz(fn_t);
long t_nopad(long), t_bti(long), t_bti_c(long), t_bti_j(long), t_bti_jc(long), t_paciasp(long),
    t_pacibsp(long), t_nop(long), t_brk(long);
void restorer(void);

struct ksigaction {
    void *handler;
    u64 flags;
    void *restorer;
    u64 mask;
};

static int print_code;
static u64 expect_addr;

/* ucontext_t on arm64: uc_mcontext (struct sigcontext) at 176: fault_address, regs[31], sp,
   pc, pstate */
#define UC_REGS(uc) ((u64 *)((char *)(uc) + 184))
#define UC_PC(uc) (*(u64 *)((char *)(uc) + 440))

static void handler(int sig, void *info, void *uc)
{
    int code = *(int *)((char *)info + 8);
    u64 addr = *(u64 *)((char *)info + 16);
    put(" -> signal ");
    put_num(sig);
    if (print_code) {
        put(" si_code ");
        put_num(code);
    }
    put(" si_addr target");
    if (addr != expect_addr) {
        put(addr > expect_addr ? "+" : "-");
        put_num(addr > expect_addr ? (long)(addr - expect_addr) : (long)(expect_addr - addr));
    }
    put(" pc target");
    if (UC_PC(uc) != expect_addr)
        put(" (moved)");
    put("\n");
    /* the saved PSTATE holds the faulting branch's BTYPE: clear it, or the return from the
       handler to x30 (no landing pad) would fault again */
    *(u64 *)((char *)(uc) + 448) &= ~(u64)(3 << 10);
    UC_REGS(uc)[0] = (u64)-1;
    UC_PC(uc) = UC_REGS(uc)[30];
}

static void install(int sig)
{
    struct ksigaction sa = {(void *)handler, SA_SIGINFO | SA_RESTORER, (void *)restorer, 0};
    sys6(SYS_rt_sigaction, sig, (long)&sa, 0, 8, 0, 0);
}

static void run(const char *how, long (*call)(fn_t), const char *name, fn_t target)
{
    put(how);
    put(" -> ");
    put(name);
    expect_addr = (u64)target;
    long r = call(target);
    if (r != -1) {
        put(" -> returned ");
        put_num(r);
        put("\n");
    }
}

static long call_direct_blr(fn_t f) { return f(0); }

#define RUN(call, t) run(#call, call, #t, t)

static void guarded_text_cases(int pauth)
{
    fn_t targets[] = {t_nopad, t_bti, t_bti_c, t_bti_j, t_bti_jc, t_paciasp, t_pacibsp, t_nop,
                      t_brk};
    const char *names[] = {"nopad", "bti", "bti c", "bti j", "bti jc", "paciasp", "pacibsp",
                           "nop", "brk"};
    long (*calls[])(fn_t) = {call_br_x9, call_br_x16, call_br_x17, call_blr, call_braaz};
    const char *cnames[] = {"br x9", "br x16", "br x17", "blr", "braaz"};
    for (unsigned i = 0; i < sizeof calls / sizeof calls[0] - !pauth; i++)
        for (unsigned j = 0; j < sizeof targets / sizeof targets[0]; j++)
            run(cnames[i], calls[i], names[j], targets[j]);
    /* RET sets no BTYPE: every target returns by RET to a non-pad after call_*'s BLR */
}

/* code in an mmap'd page: [0] bti c; mov x0,#42; ret  [16] mov x0,#43; ret
   [32] br x0 (a BR from this page to x0's target, for the non-guarded-source rule) */
static const unsigned code[] = {0xd503245f, 0xd2800540, 0xd65f03c0, 0xd503201f,
                                0xd2800560, 0xd65f03c0, 0xd503201f, 0xd503201f,
                                0xd61f0000};

static void page_cases(void)
{
    char *page = (char *)sys6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, 0x22, -1, 0);
    for (unsigned i = 0; i < sizeof code / sizeof code[0]; i++)
        ((unsigned *)page)[i] = code[i];
    fn_t pad = (fn_t)page, nopad = (fn_t)(page + 16), br_x0 = (fn_t)(page + 32);

    /* not guarded yet: everything runs; a BR x0 from it sets BTYPE 01, which BTI c accepts */
    sys6(SYS_mprotect, (long)page, 4096, PROT_READ | PROT_EXEC, 0, 0, 0);
    put("page rx:\n");
    run("blr", call_direct_blr, "pad", pad);
    run("blr", call_direct_blr, "nopad", nopad);
    put("br x0 from an unguarded page");
    expect_addr = (u64)t_bti_c;
    long r = ((long (*)(fn_t))(void *)br_x0)(t_bti_c);
    if (r != -1) { put(" -> bti c returned "); put_num(r); put("\n"); }
    put("br x0 from an unguarded page");
    expect_addr = (u64)t_bti_j;
    r = ((long (*)(fn_t))(void *)br_x0)(t_bti_j);
    if (r != -1) { put(" -> bti j returned "); put_num(r); put("\n"); }
    put("br x0 from an unguarded page");
    expect_addr = (u64)t_nopad;
    r = ((long (*)(fn_t))(void *)br_x0)(t_nopad);
    if (r != -1) { put(" -> nopad returned "); put_num(r); put("\n"); }

    long e = sys6(SYS_mprotect, (long)page, 4096, PROT_READ | PROT_EXEC | PROT_BTI, 0, 0, 0);
    put("mprotect PROT_BTI: ");
    put_num(e);
    put("\n");
    put("page rx+bti:\n");
    run("blr", call_direct_blr, "pad", pad);
    run("blr", call_direct_blr, "nopad", nopad);
    run("br x9", call_br_x9, "pad", pad);
    run("br x16", call_br_x16, "pad", pad);

    /* dropping the attribute again: the same code, translated before, now runs */
    sys6(SYS_mprotect, (long)page, 4096, PROT_READ | PROT_EXEC, 0, 0, 0);
    put("page rx again:\n");
    run("blr", call_direct_blr, "nopad", nopad);
    sys6(SYS_mprotect, (long)page, 4096, PROT_READ | PROT_EXEC | PROT_BTI, 0, 0, 0);
    put("page rx+bti again:\n");
    run("blr", call_direct_blr, "nopad", nopad);

}

static void mmap_bti_cases(void)
{
    /* mmap with PROT_BTI directly */
    char *p2 = (char *)sys6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC | PROT_BTI,
                            0x22, -1, 0);
    /* without FEAT_BTI Linux ignores PROT_BTI in mmap (arch_calc_vm_prot_bits) while
       qemu-aarch64 7.2 fails it with EINVAL: either way the page then runs unguarded */
    if ((long)p2 < 0 && (long)p2 > -4096)
        p2 = (char *)sys6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, 0x22, -1, 0);
    put("mmap rwx+bti:\n");
    for (unsigned i = 0; i < sizeof code / sizeof code[0]; i++)
        ((unsigned *)p2)[i] = code[i];
    run("blr", call_direct_blr, "pad", (fn_t)p2);
    run("blr", call_direct_blr, "nopad", (fn_t)(p2 + 16));
}

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

void start_c(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "nohandler")) {
        put("blr to a non-pad, no handler\n");
        call_blr(t_nopad);
        put("still running\n");
        sys6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
    }
    print_code = streq(mode, "code");
    install(SIGILL);
    install(SIGTRAP);
    if (streq(mode, "page")) {
        page_cases();
    } else {
        guarded_text_cases(!streq(mode, "nopauth"));
        mmap_bti_cases();
    }
    put("done\n");
    sys6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}
