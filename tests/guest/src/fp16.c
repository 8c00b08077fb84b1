/* FEAT_FP16 against qemu-aarch64: every class of half-precision instruction (scalar FP with
 * ftype = 3, the AdvSIMD FP16 groups, by element, across lanes, pairwise, fixed point, FMOV
 * immediate) on inputs with denormals, infinities and NaNs, under FPCR values that exercise
 * FZ16 (and FZ, which must not flush halves), DN, AHP and the rounding modes. Prints the result,
 * X0, FPSR and NZCV of each. First the Armv8.0 half conversions (FCVT, FCVTL, FCVTN), which every
 * model has, and what MSR FPCR keeps (FZ16 is RES0 without FP16); then the FP16 instructions:
 * a model without FEAT_FP16 gets SIGILL at the first, FADD h0, h1, h2.
 * Instructions are given by encoding so the default -march=armv8-a builds it. */
#include <stdint.h>
#include <stdio.h>

/* four register sets (v0-v3, each 16 bytes) and the X1 input of each */
static const uint16_t IN[4][32] __attribute__((aligned(16))) = {
    {0x3c00, 0x0001, 0x8000, 0x7bff, 0x3555, 0xc000, 0x0200, 0x4248,
     0x0001, 0x03ff, 0x7c00, 0x7e01, 0x7d00, 0x3c00, 0xc500, 0x0400,
     0x0200, 0x8001, 0x3555, 0xfc00, 0x3c01, 0x7bff, 0x0005, 0x4000,
     0x8400, 0x0000, 0x7c00, 0x3c00, 0xfe00, 0x03ff, 0x4900, 0x83ff},
    {0xcdef, 0x89ab, 0x4567, 0x0123, 0x3210, 0x7654, 0xba98, 0xfedc,
     0x08d3, 0x85a3, 0x6a88, 0x243f, 0x7344, 0x0370, 0x8a2e, 0x1319,
     0x31d0, 0x299f, 0x3822, 0xa409, 0x6c89, 0xec4e, 0xfa98, 0x082e,
     0x1377, 0x38d0, 0x21e6, 0x4528, 0x0c6c, 0x34e9, 0x66cf, 0xbe54},
    /* v1: singles 2**-24, 65504, 65520, 3.0517578e-05 (a half denormal); v2, v3: halves */
    {0x5bff, 0x3bff, 0x0401, 0x8401, 0x7bfe, 0xfbff, 0x3e00, 0xbe00,
     0x0000, 0x3380, 0xe000, 0x477f, 0xf000, 0x477f, 0x0000, 0x3800,
     0x3800, 0x3a00, 0x3b00, 0x3c00, 0x0400, 0x0800, 0x0c00, 0x7800,
     0x5640, 0xd640, 0x0010, 0x8010, 0x6400, 0xe400, 0x7000, 0x0400},
    /* v1: the double 6.0e-8 (rounds to a half denormal), then 1.0e10 as a double */
    {0x7bff, 0x7bff, 0x0001, 0x0001, 0x8000, 0x0000, 0x3c00, 0xbc00,
     0x692b, 0x29a4, 0x1b2b, 0x3e70, 0x0000, 0x2000, 0x2a05, 0x4202,
     0x7bff, 0x0001, 0xfbff, 0x8001, 0x7c01, 0xfc00, 0x1000, 0x5000,
     0x3c00, 0x3c00, 0x3c00, 0x3c00, 0x0000, 0x0000, 0x0000, 0x0000},
};
static const uint64_t X1[4] = {0xffffffffffff8001UL, 0x7fffffffffffffffUL, 1000, 65519};
/* FZ16, FZ, DN, AHP, RMode RP, RM, RZ and combinations */
static const uint64_t FPCR[8] = {0, 1UL << 19, 1UL << 24, 1UL << 25, 1UL << 26,
                                 1UL << 22 | 1UL << 19, 2UL << 22 | 1UL << 25, 3UL << 22 | 1UL << 19};

#define RUN(label, word) do {                                                             \
        for (int s_ = 0; s_ < 4; s_++)                                                    \
            for (int f_ = 0; f_ < 8; f_++) {                                              \
                uint64_t o_[2], x0_, sr_, nz_;                                            \
                __asm__ volatile("msr fpsr, xzr\n\tmsr fpcr, %[cr]\n\t"                   \
                                 "ldp q0, q1, [%[in]]\n\tldp q2, q3, [%[in], #32]\n\t"    \
                                 "mov x0, xzr\n\tmov x1, %[x1]\n\tmsr nzcv, %[nz0]\n\t"   \
                                 ".inst " #word "\n\t"                                    \
                                 "str q0, [%[out]]\n\tmov %[x0], x0\n\t"                  \
                                 "mrs %[sr], fpsr\n\tmrs %[nz], nzcv\n\tmsr fpcr, xzr"    \
                                 : [x0] "=&r"(x0_), [sr] "=&r"(sr_), [nz] "=&r"(nz_)      \
                                 : [out] "r"(o_), [in] "r"(IN[s_]), [cr] "r"(FPCR[f_]),   \
                                   [x1] "r"(X1[s_]), [nz0] "r"((uint64_t)(s_ & 1) << 31)  \
                                 : "x0", "x1", "v0", "v1", "v2", "v3", "cc", "memory");   \
                printf("%s [%d %#lx] %016lx %016lx x0=%lx fpsr=%lx nzcv=%lx\n", label, s_, \
                       (unsigned long)FPCR[f_], (unsigned long)o_[1],                     \
                       (unsigned long)o_[0], (unsigned long)x0_, (unsigned long)sr_,      \
                       (unsigned long)nz_);                                               \
            }                                                                             \
    } while (0)

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    uint64_t kept;
    __asm__ volatile("msr fpcr, %1\n\tmrs %0, fpcr\n\tmsr fpcr, xzr" : "=r"(kept) : "r"(~0UL));
    printf("fpcr writable %#lx\n", (unsigned long)kept);
    /* Armv8.0: conversions between half and single/double run on every model */
    RUN("fcvt s0, h1", 0x1ee24020);
    RUN("fcvt d0, h1", 0x1ee2c020);
    RUN("fcvt h0, s1", 0x1e23c020);
    RUN("fcvt h0, d1", 0x1e63c020);
    RUN("fcvtl v0.4s, v1.4h", 0x0e217820);
    RUN("fcvtn v0.4h, v1.4s", 0x0e216820);
    /* FEAT_FP16: the first one is SIGILL without it */
    RUN("fadd h0, h1, h2", 0x1ee22820);
    RUN("fmul h0, h1, h2", 0x1ee20820);
    RUN("fdiv h0, h1, h2", 0x1ee21820);
    RUN("fsub h0, h1, h2", 0x1ee23820);
    RUN("fmax h0, h1, h2", 0x1ee24820);
    RUN("fmin h0, h1, h2", 0x1ee25820);
    RUN("fmaxnm h0, h1, h2", 0x1ee26820);
    RUN("fminnm h0, h1, h2", 0x1ee27820);
    RUN("fnmul h0, h1, h2", 0x1ee28820);
    RUN("fmadd h0, h1, h2, h3", 0x1fc20c20);
    RUN("fmsub h0, h1, h2, h3", 0x1fc28c20);
    RUN("fnmadd h0, h1, h2, h3", 0x1fe20c20);
    RUN("fnmsub h0, h1, h2, h3", 0x1fe28c20);
    RUN("fabs h0, h1", 0x1ee0c020);
    RUN("fneg h0, h1", 0x1ee14020);
    RUN("fsqrt h0, h1", 0x1ee1c020);
    RUN("frintn h0, h1", 0x1ee44020);
    RUN("frintp h0, h1", 0x1ee4c020);
    RUN("frintm h0, h1", 0x1ee54020);
    RUN("frintz h0, h1", 0x1ee5c020);
    RUN("frinta h0, h1", 0x1ee64020);
    RUN("frintx h0, h1", 0x1ee74020);
    RUN("frinti h0, h1", 0x1ee7c020);
    RUN("fcmp h1, h2", 0x1ee22020);
    RUN("fcmpe h1, #0.0", 0x1ee02038);
    RUN("fccmpe h1, h2, #5, ge", 0x1ee2a435);
    RUN("fcsel h0, h1, h2, mi", 0x1ee24c20);
    RUN("fmov h0, #-1.25", 0x1efe9000);
    RUN("fcvtzs w0, h1", 0x1ef80020);
    RUN("fcvtau x0, h1", 0x9ee50020);
    RUN("fcvtms w0, h1", 0x1ef00020);
    RUN("scvtf h0, w1", 0x1ee20020);
    RUN("ucvtf h0, x1", 0x9ee30020);
    RUN("fmov w0, h1", 0x1ee60020);
    RUN("fmov h0, x1", 0x9ee70020);
    RUN("scvtf h0, x1, #20", 0x9ec2b020);
    RUN("fcvtzu w0, h1, #4", 0x1ed9f020);
    RUN("fmaxnm v0.8h, v1.8h, v2.8h", 0x4e420420);
    RUN("fmla v0.8h, v1.8h, v2.8h", 0x4e420c20);
    RUN("fadd v0.8h, v1.8h, v2.8h", 0x4e421420);
    RUN("fmulx v0.8h, v1.8h, v2.8h", 0x4e421c20);
    RUN("fcmeq v0.8h, v1.8h, v2.8h", 0x4e422420);
    RUN("fmax v0.8h, v1.8h, v2.8h", 0x4e423420);
    RUN("frecps v0.8h, v1.8h, v2.8h", 0x4e423c20);
    RUN("fminnm v0.8h, v1.8h, v2.8h", 0x4ec20420);
    RUN("fmls v0.8h, v1.8h, v2.8h", 0x4ec20c20);
    RUN("fsub v0.8h, v1.8h, v2.8h", 0x4ec21420);
    RUN("fmin v0.8h, v1.8h, v2.8h", 0x4ec23420);
    RUN("frsqrts v0.8h, v1.8h, v2.8h", 0x4ec23c20);
    RUN("fmaxnmp v0.8h, v1.8h, v2.8h", 0x6e420420);
    RUN("faddp v0.8h, v1.8h, v2.8h", 0x6e421420);
    RUN("fmul v0.8h, v1.8h, v2.8h", 0x6e421c20);
    RUN("fcmge v0.8h, v1.8h, v2.8h", 0x6e422420);
    RUN("facge v0.8h, v1.8h, v2.8h", 0x6e422c20);
    RUN("fmaxp v0.8h, v1.8h, v2.8h", 0x6e423420);
    RUN("fdiv v0.8h, v1.8h, v2.8h", 0x6e423c20);
    RUN("fminnmp v0.8h, v1.8h, v2.8h", 0x6ec20420);
    RUN("fabd v0.8h, v1.8h, v2.8h", 0x6ec21420);
    RUN("fcmgt v0.8h, v1.8h, v2.8h", 0x6ec22420);
    RUN("facgt v0.8h, v1.8h, v2.8h", 0x6ec22c20);
    RUN("fminp v0.8h, v1.8h, v2.8h", 0x6ec23420);
    RUN("fmulx h0, h1, h2", 0x5e421c20);
    RUN("fcmeq h0, h1, h2", 0x5e422420);
    RUN("frecps h0, h1, h2", 0x5e423c20);
    RUN("frsqrts h0, h1, h2", 0x5ec23c20);
    RUN("fcmge h0, h1, h2", 0x7e422420);
    RUN("facge h0, h1, h2", 0x7e422c20);
    RUN("fabd h0, h1, h2", 0x7ec21420);
    RUN("fcmgt h0, h1, h2", 0x7ec22420);
    RUN("facgt h0, h1, h2", 0x7ec22c20);
    RUN("frintn v0.8h, v1.8h", 0x4e798820);
    RUN("frintm v0.8h, v1.8h", 0x4e799820);
    RUN("fcvtns v0.8h, v1.8h", 0x4e79a820);
    RUN("fcvtms v0.8h, v1.8h", 0x4e79b820);
    RUN("fcvtas v0.8h, v1.8h", 0x4e79c820);
    RUN("scvtf v0.8h, v1.8h", 0x4e79d820);
    RUN("fcmgt0 v0.8h, v1.8h", 0x4ef8c820);
    RUN("fcmeq0 v0.8h, v1.8h", 0x4ef8d820);
    RUN("fcmlt0 v0.8h, v1.8h", 0x4ef8e820);
    RUN("fabs v0.8h, v1.8h", 0x4ef8f820);
    RUN("frintp v0.8h, v1.8h", 0x4ef98820);
    RUN("frintz v0.8h, v1.8h", 0x4ef99820);
    RUN("fcvtps v0.8h, v1.8h", 0x4ef9a820);
    RUN("fcvtzs v0.8h, v1.8h", 0x4ef9b820);
    RUN("frecpe v0.8h, v1.8h", 0x4ef9d820);
    RUN("frinta v0.8h, v1.8h", 0x6e798820);
    RUN("frintx v0.8h, v1.8h", 0x6e799820);
    RUN("fcvtnu v0.8h, v1.8h", 0x6e79a820);
    RUN("fcvtmu v0.8h, v1.8h", 0x6e79b820);
    RUN("fcvtau v0.8h, v1.8h", 0x6e79c820);
    RUN("ucvtf v0.8h, v1.8h", 0x6e79d820);
    RUN("fcmge0 v0.8h, v1.8h", 0x6ef8c820);
    RUN("fcmle0 v0.8h, v1.8h", 0x6ef8d820);
    RUN("fneg v0.8h, v1.8h", 0x6ef8f820);
    RUN("frinti v0.8h, v1.8h", 0x6ef99820);
    RUN("fcvtpu v0.8h, v1.8h", 0x6ef9a820);
    RUN("fcvtzu v0.8h, v1.8h", 0x6ef9b820);
    RUN("frsqrte v0.8h, v1.8h", 0x6ef9d820);
    RUN("fsqrt v0.8h, v1.8h", 0x6ef9f820);
    RUN("fcvtns h0, h1", 0x5e79a820);
    RUN("scvtf h0, h1", 0x5e79d820);
    RUN("fcmlt0 h0, h1", 0x5ef8e820);
    RUN("frecpe h0, h1", 0x5ef9d820);
    RUN("frecpx h0, h1", 0x5ef9f820);
    RUN("fcvtzu h0, h1", 0x7ef9b820);
    RUN("frsqrte h0, h1", 0x7ef9d820);
    RUN("fcmle0 h0, h1", 0x7ef8d820);
    RUN("fmaxnmv h0, v1.8h", 0x4e30c820);
    RUN("fmaxv h0, v1.8h", 0x4e30f820);
    RUN("fminnmv h0, v1.8h", 0x4eb0c820);
    RUN("fminv h0, v1.8h", 0x4eb0f820);
    RUN("fmaxnmp h0, v1.2h", 0x5e30c820);
    RUN("faddp h0, v1.2h", 0x5e30d820);
    RUN("fmaxp h0, v1.2h", 0x5e30f820);
    RUN("fminnmp h0, v1.2h", 0x5eb0c820);
    RUN("fminp h0, v1.2h", 0x5eb0f820);
    RUN("fmla v0.8h, v1.8h, v2.h[5]", 0x4f121820);
    RUN("fmls v0.8h, v1.8h, v3.h[2]", 0x4f235020);
    RUN("fmul v0.8h, v1.8h, v2.h[7]", 0x4f329820);
    RUN("fmulx v0.8h, v1.8h, v2.h[0]", 0x6f029020);
    RUN("fmla h0, h1, v2.h[3]", 0x5f321020);
    RUN("fmulx h0, h1, v2.h[6]", 0x7f229820);
    RUN("scvtf v0.8h, v1.8h, #3", 0x4f1de420);
    RUN("fcvtzu v0.8h, v1.8h, #9", 0x6f17fc20);
    RUN("ucvtf h0, h1, #16", 0x7f10e420);
    RUN("fmov v0.8h, #2.0", 0x4f00fc00);
    return 0;
}
