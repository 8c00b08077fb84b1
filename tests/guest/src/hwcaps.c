/* Prints what the CPU advertises (AT_HWCAP, AT_HWCAP2, the ID registers Linux lets EL0 read)
 * and, for every advertised feature, the result of one instruction of that feature, so a test
 * can check nbemu's advertised features against its ID registers and against qemu-aarch64. */
#include <stdio.h>
#include <stdint.h>
#include <sys/auxv.h>
#undef HWCAP_FP
#undef HWCAP_ASIMD
#undef HWCAP_CRC32
#undef HWCAP_CPUID
#undef HWCAP_DCPOP
#undef HWCAP_SB

#define HWCAP_FP      (1UL << 0)
#define HWCAP_ASIMD   (1UL << 1)
#define HWCAP_CRC32   (1UL << 7)
#define HWCAP_CPUID   (1UL << 11)
#define HWCAP_DCPOP   (1UL << 16)
#define HWCAP_SB      (1UL << 29)
/* the Cryptographic extension, DotProd, FlagM (arch/arm64/include/uapi/asm/hwcap.h) */
#define HWCAP_AES_    (1UL << 3)
#define HWCAP_PMULL_  (1UL << 4)
#define HWCAP_SHA1_   (1UL << 5)
#define HWCAP_SHA2_   (1UL << 6)
#define HWCAP_SHA3_   (1UL << 17)
#define HWCAP_SM3_    (1UL << 18)
#define HWCAP_SM4_    (1UL << 19)
#define HWCAP_ASIMDDP_ (1UL << 20)
#define HWCAP_SHA512_ (1UL << 21)
#define HWCAP_FLAGM_  (1UL << 27)
#define HWCAP2_FLAGM2_ (1UL << 7)
#define HWCAP_FPHP_   (1UL << 9)
#define HWCAP_ASIMDHP_ (1UL << 10)
#define HWCAP_FCMA_   (1UL << 14)
#define HWCAP_ASIMDRDM_ (1UL << 12)
#define HWCAP2_I8MM_  (1UL << 13)
#define HWCAP2_BF16_  (1UL << 14)
#define HWCAP2_RNG_   (1UL << 16)

/* one instruction (by encoding, so no -march extension is needed to build) with v1, v2, v3 as
 * sources and v0 as destination and source, loaded from IN; prints v0 after it */
static const uint64_t IN[8] = {0x0123456789abcdefUL, 0xfedcba9876543210UL, 0x243f6a8885a308d3UL,
                               0x13198a2e03707344UL, 0xa4093822299f31d0UL, 0x082efa98ec4e6c89UL,
                               0x452821e638d01377UL, 0xbe5466cf34e90c6cUL};
#define V(label, word) do {                                                              \
        uint64_t o_[2];                                                                  \
        __asm__ volatile("ldp q0, q1, [%1]\n\tldp q2, q3, [%1, #32]\n\t.inst " #word    \
                         "\n\tstr q0, [%0]" : : "r"(o_), "r"(IN)                          \
                         : "v0", "v1", "v2", "v3", "memory");                             \
        printf("%s %#lx %#lx\n", label, (unsigned long)o_[0], (unsigned long)o_[1]);      \
    } while (0)

#define MRS(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " name : "=r"(v_)); v_; })

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    printf("AT_HWCAP %#lx\nAT_HWCAP2 %#lx\n", hw, hw2);
    if (hw & HWCAP_CPUID) {
        printf("ID_AA64PFR0_EL1 %#lx\n", (unsigned long)MRS("s3_0_c0_c4_0"));
        printf("ID_AA64PFR1_EL1 %#lx\n", (unsigned long)MRS("s3_0_c0_c4_1"));
        printf("ID_AA64ISAR0_EL1 %#lx\n", (unsigned long)MRS("s3_0_c0_c6_0"));
        printf("ID_AA64ISAR1_EL1 %#lx\n", (unsigned long)MRS("s3_0_c0_c6_1"));
    }
    if (hw & HWCAP_FP) {
        double a = 1.5, b = 2.25, r;
        __asm__ volatile("fmadd %d0, %d1, %d2, %d1" : "=w"(r) : "w"(a), "w"(b));
        printf("fp fmadd %a\n", r);
    }
    if (hw & HWCAP_ASIMD) {
        uint64_t lo;
        __asm__ volatile("movi v0.16b, #3\n\tmovi v1.16b, #5\n\tmul v0.16b, v0.16b, v1.16b\n\t"
                         "addv b0, v0.16b\n\tfmov %x0, d0" : "=r"(lo) : : "v0", "v1");
        printf("asimd mul+addv %#lx\n", (unsigned long)lo);
    }
    if (hw & HWCAP_FPHP_)
        V("fphp fmadd", 0x1fc20c20);                    /* fmadd h0, h1, h2, h3 */
    if (hw & HWCAP_ASIMDHP_) {
        V("asimdhp fmla", 0x4e420c20);                  /* fmla v0.8h, v1.8h, v2.8h */
        V("asimdhp fmaxnmv", 0x4e30c820);               /* fmaxnmv h0, v1.8h */
    }
    if (hw & HWCAP_CRC32) {
        uint32_t c = 0xffffffff, d = 0x12345678;
        /* crc32x w0, w0, x1 and crc32cb w0, w0, w1 by encoding (no +crc needed to build) */
        __asm__ volatile("mov w0, %w1\n\tmov x1, %2\n\t.inst 0x9ac14c00\n\t.inst 0x1ac15000\n\tmov %w0, w0"
                         : "=r"(c) : "r"(c), "r"((uint64_t)d) : "x0", "x1");
        printf("crc32 %#x\n", c);
    }
    if (hw & HWCAP_AES_) {
        V("aese", 0x4e284820); V("aesd", 0x4e285820); V("aesmc", 0x4e286820);
        V("aesimc", 0x4e287820);
    }
    if (hw & HWCAP_PMULL_) {
        V("pmull 1q", 0x0ee2e020); V("pmull2 1q", 0x4ee2e020);
    }
    if (hw & HWCAP_SHA1_) {
        V("sha1c", 0x5e020020); V("sha1p", 0x5e021020); V("sha1m", 0x5e022020);
        V("sha1su0", 0x5e023020); V("sha1h", 0x5e280820); V("sha1su1", 0x5e281820);
    }
    if (hw & HWCAP_SHA2_) {
        V("sha256h", 0x5e024020); V("sha256h2", 0x5e025020); V("sha256su1", 0x5e026020);
        V("sha256su0", 0x5e282820);
    }
    if (hw & HWCAP_SHA512_) {
        V("sha512h", 0xce628020); V("sha512h2", 0xce628420); V("sha512su1", 0xce628820);
        V("sha512su0", 0xcec08020);
    }
    if (hw & HWCAP_SHA3_) {
        V("rax1", 0xce628c20); V("eor3", 0xce020c20); V("bcax", 0xce220c20);
        V("xar", 0xce823420);
    }
    if (hw & HWCAP_SM3_) {
        V("sm3ss1", 0xce420c20); V("sm3tt1a", 0xce428020); V("sm3tt1b", 0xce429420);
        V("sm3tt2a", 0xce42a820); V("sm3tt2b", 0xce42bc20); V("sm3partw1", 0xce62c020);
        V("sm3partw2", 0xce62c420);
    }
    if (hw & HWCAP_SM4_) {
        V("sm4e", 0xcec08420); V("sm4ekey", 0xce62c820);
    }
    if (hw & HWCAP_ASIMDDP_) {
        V("sdot", 0x4e829420); V("udot", 0x2e829420); V("sdot elem", 0x4fa1e820);
        V("udot elem", 0x2f82e020);
    }
    if (hw & HWCAP_FLAGM_) {
        /* cfinv; rmif x1, #5, #15; setf8 w1; setf16 w1: NZCV after each */
        uint64_t f0, f1, f2, f3;
        __asm__ volatile("msr nzcv, xzr\n\tmov x1, #0x1e0\n\tmovk x1, #0x7f, lsl #16\n\t"
                         ".inst 0xd500401f\n\tmrs %0, nzcv\n\t.inst 0xba02842f\n\t"
                         "mrs %1, nzcv\n\t.inst 0x3a00082d\n\tmrs %2, nzcv\n\t"
                         ".inst 0x3a00482d\n\tmrs %3, nzcv"
                         : "=r"(f0), "=r"(f1), "=r"(f2), "=r"(f3) : : "x1", "cc");
        printf("flagm %#lx %#lx %#lx %#lx\n", (unsigned long)f0, (unsigned long)f1,
               (unsigned long)f2, (unsigned long)f3);
    }
    if (hw2 & HWCAP2_FLAGM2_) {
        /* axflag and xaflag from each NZCV value */
        unsigned long ax = 0, xa = 0;
        for (uint64_t n = 0; n < 16; n++) {
            uint64_t a, b;
            __asm__ volatile("msr nzcv, %2\n\t.inst 0xd500405f\n\tmrs %0, nzcv\n\t"
                             "msr nzcv, %2\n\t.inst 0xd500403f\n\tmrs %1, nzcv"
                             : "=&r"(a), "=&r"(b) : "r"(n << 28) : "cc");
            ax = ax << 4 | a >> 28;
            xa = xa << 4 | b >> 28;
        }
        printf("flagm2 %#lx %#lx\n", ax, xa);
    }
    if (hw & HWCAP_FCMA_) {
        V("fcmla", 0x6e82cc20); V("fcadd", 0x6ec3f420); V("fcmla elem", 0x6f835820);
    }
    if (hw & HWCAP_ASIMDRDM_) {
        V("sqrdmlah", 0x6e428420); V("sqrdmlsh", 0x6e838c20); V("sqrdmlah elem", 0x6fa2d020);
        V("sqrdmlsh scalar", 0x7e428c20); V("sqrdmlsh scalar elem", 0x7f82f020);
    }
    if (hw2 & HWCAP2_I8MM_) {
        V("smmla", 0x4e82a420); V("ummla", 0x6e82a420); V("usmmla", 0x4e82ac20);
        V("usdot", 0x4e839c20); V("usdot elem", 0x4fa3f820); V("sudot elem", 0x0f23f020);
    }
    if (hw2 & HWCAP2_BF16_) {
        V("bfdot", 0x6e42fc20); V("bfdot elem", 0x4f63f820); V("bfmmla", 0x6e43ec20);
        V("bfmlalb", 0x2ec2fc20); V("bfmlalt", 0x6ec3fc20); V("bfmlalt elem", 0x4ff3f820);
        V("bfcvtn", 0x0ea16820); V("bfcvtn2", 0x4ea16820); V("bfcvt", 0x1e634060);
    }
    if (hw2 & HWCAP2_RNG_) {
        /* the numbers are random: print the flags (0: success) and whether two reads differ */
        uint64_t a, b, fa, fb;
        __asm__ volatile("msr nzcv, %4\n\tmrs %0, s3_3_c2_c4_0\n\tmrs %1, nzcv\n\t"
                         "msr nzcv, %4\n\tmrs %2, s3_3_c2_c4_1\n\tmrs %3, nzcv"
                         : "=&r"(a), "=&r"(fa), "=&r"(b), "=&r"(fb) : "r"(0xf0000000UL));
        printf("rndr nzcv %#lx rndrrs nzcv %#lx differ %d\n", (unsigned long)fa,
               (unsigned long)fb, a != b);
    }
    if (hw & HWCAP_SB) {
        __asm__ volatile(".inst 0xd50330ff");                              /* sb */
        printf("sb ok\n");
    }
    /* last: qemu-aarch64 7.2 user mode advertises DCPOP but raises SIGILL on DC CVAP */
    if (hw & HWCAP_DCPOP) {
        static char line[64];
        register char *x0 __asm__("x0") = line;
        __asm__ volatile(".inst 0xd50b7c20" : : "r"(x0) : "memory");     /* dc cvap, x0 */
        printf("dc cvap ok\n");
    }
    return 0;
}
