/* FEAT_FHM (built with -march=armv8.2-a+fp16fml): FMLAL, FMLSL, FMLAL2, FMLSL2, vector (.2S
 * and .4S) and by element (every index of Vm's halves), through inline asm, on pseudo-random
 * halves and singles mixed with the values the pseudocode treats specially (zeros, half and
 * single denormals, infinities, quiet and signalling NaNs, values near the top of the half
 * range), under each FPCR rounding mode and with FZ, FZ16 and DN. Every result and the FPSR
 * flags of each operation are printed in hex, to be compared with qemu-aarch64 -cpu max. */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>

#define FPRAND_SEED 0x2545f4914f6cdd1dUL
#include "fprand.h"

static const uint16_t H_SPECIAL[] = {
    0x0000, 0x8000, 0x0001, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00,
    0xfe01, 0x7c01, 0xfd55, 0x3c00, 0xbc00, 0x3555, 0x5bff, 0x1400,
};
static const uint32_t F_SPECIAL[] = {
    0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff800000,
    0x7f800000, 0x7fc00000, 0xffc00123, 0x7f800001, 0x3f800000, 0xbf800000, 0x33800000,
};
#define NH (sizeof H_SPECIAL / sizeof H_SPECIAL[0])
#define NF (sizeof F_SPECIAL / sizeof F_SPECIAL[0])

static uint16_t rand_h(void)
{
    return rand16(H_SPECIAL, NH, 10, 8, 15);
}

static uint32_t rand_f(void)
{
    return rand32(F_SPECIAL, NF);
}

static void pq(const char *mode, const char *op, int i, uint32x4_t v, uint64_t fpsr)
{
    uint32_t o[4];
    vst1q_u32(o, v);
    printf("%s %s %d %08x %08x %08x %08x fpsr %lx\n", mode, op, i, o[0], o[1], o[2], o[3],
           (unsigned long)fpsr);
}

/* one instruction on d, n, m between clearing and reading FPSR; Vm in V0-V15 for the
 * by-element forms ("x" constraint) */
#define OP(name, text)                                                                \
    do {                                                                              \
        uint32x4_t r = d;                                                             \
        uint64_t f;                                                                   \
        __asm__ volatile("msr fpsr, xzr\n\t" text "\n\tmrs %1, fpsr"                  \
                         : "+w"(r), "=r"(f) : "w"(n), "x"(m));                        \
        pq(mode, name, i, r, f);                                                      \
    } while (0)

static void fhm_ops(const char *mode)
{
    for (int i = 0; i < 24; i++) {
        uint16_t hn[8], hm[8];
        uint32_t fd[4];
        for (int k = 0; k < 8; k++) {
            hn[k] = rand_h();
            hm[k] = rand_h();
        }
        for (int k = 0; k < 4; k++)
            fd[k] = rand_f();
        uint16x8_t n = vld1q_u16(hn), m = vld1q_u16(hm);
        uint32x4_t d = vld1q_u32(fd);
        OP("fmlal.4s", "fmlal %0.4s, %2.4h, %3.4h");
        OP("fmlal.2s", "fmlal %0.2s, %2.2h, %3.2h");
        OP("fmlsl.4s", "fmlsl %0.4s, %2.4h, %3.4h");
        OP("fmlsl.2s", "fmlsl %0.2s, %2.2h, %3.2h");
        OP("fmlal2.4s", "fmlal2 %0.4s, %2.4h, %3.4h");
        OP("fmlal2.2s", "fmlal2 %0.2s, %2.2h, %3.2h");
        OP("fmlsl2.4s", "fmlsl2 %0.4s, %2.4h, %3.4h");
        OP("fmlsl2.2s", "fmlsl2 %0.2s, %2.2h, %3.2h");
        OP("fmlal.h[0]", "fmlal %0.4s, %2.4h, %3.h[0]");
        OP("fmlal.h[5]", "fmlal %0.2s, %2.2h, %3.h[5]");
        OP("fmlsl.h[7]", "fmlsl %0.4s, %2.4h, %3.h[7]");
        OP("fmlsl.h[2]", "fmlsl %0.2s, %2.2h, %3.h[2]");
        OP("fmlal2.h[3]", "fmlal2 %0.4s, %2.4h, %3.h[3]");
        OP("fmlal2.h[6]", "fmlal2 %0.2s, %2.2h, %3.h[6]");
        OP("fmlsl2.h[1]", "fmlsl2 %0.4s, %2.4h, %3.h[1]");
        OP("fmlsl2.h[4]", "fmlsl2 %0.2s, %2.2h, %3.h[4]");
    }
}

int main(void)
{
    /* FPCR: FZ16 (19), RMode (23:22), FZ (24), DN (25) */
    static const struct { const char *name; uint64_t fpcr; } MODES[] = {
        {"rn", 0}, {"rp", 1UL << 22}, {"rm", 2UL << 22}, {"rz", 3UL << 22},
        {"fz", 1UL << 24}, {"fz16", 1UL << 19}, {"dn", 1UL << 25},
        {"fz-fz16-dn-rp", (1UL << 24) | (1UL << 19) | (1UL << 25) | (1UL << 22)},
    };
    for (unsigned k = 0; k < sizeof MODES / sizeof MODES[0]; k++) {
        set_fpcr(MODES[k].fpcr);
        fhm_ops(MODES[k].name);
    }
    set_fpcr(0);
    return 0;
}
