/* FEAT_I8MM and FEAT_BF16 through the ACLE intrinsics of arm_neon.h (built with
 * -march=armv8.6-a+bf16+i8mm): SMMLA, UMMLA, USMMLA, USDOT and SUDOT (vector and by element),
 * BFCVT, BFCVTN/BFCVTN2, BFDOT (vector and by element), BFMMLA, BFMLALB/BFMLALT (vector and
 * by element), on pseudo-random inputs mixed with the values whose handling the architecture
 * spells out (zeros, denormals, infinities, quiet and signalling NaNs, values near the top of
 * the range), under each FPCR rounding mode and with FZ and DN. Every result and the FPSR flags
 * of each FP operation are printed in hex, to be compared with qemu-aarch64 -cpu max. */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define FPRAND_SEED 0x9e3779b97f4a7c15UL
#include "fprand.h"

/* BFloat16 values the pseudocode treats specially, and their single-precision counterparts */
static const uint16_t BF_SPECIAL[] = {
    0x0000, 0x8000, 0x0001, 0x807f, 0x0080, 0x8080, 0x7f7f, 0xff7f, 0x7f80, 0xff80,
    0x7fc0, 0xffc1, 0x7f81, 0xff9f, 0x3f80, 0xbf80, 0x7f00, 0x0100, 0x1f80, 0x5f80,
};
static const uint32_t F_SPECIAL[] = {
    0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff,
    0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00123, 0x7f800001, 0xff812345,
    0x3f800000, 0xbf800000, 0x7f7f8000, 0x7f7f7fff, 0x3f808000, 0x3f818000, 0x3f808001,
    0x007f8000, 0x00008000, 0x00018000, 0x80007fff, 0x4b000000, 0x01000000, 0x33800000,
};
#define NB (sizeof BF_SPECIAL / sizeof BF_SPECIAL[0])
#define NF (sizeof F_SPECIAL / sizeof F_SPECIAL[0])

static uint16_t rand_bf(void)
{
    return rand16(BF_SPECIAL, NB, 7, 0x70, 0x1f);
}

static uint32_t rand_f(void)
{
    return rand32(F_SPECIAL, NF);
}

static void fill_bf(uint16_t *p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = rand_bf();
}

static void fill_f(uint32_t *p, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = rand_f();
}

static void fill_b(uint8_t *p, int n)
{
    for (int i = 0; i < n; i++) {
        uint32_t r = next32();
        p[i] = (r & 7) == 0 ? (uint8_t[]){0x00, 0x7f, 0x80, 0xff}[(r >> 3) & 3] : (uint8_t)r;
    }
}

static void clear_fpsr(void)
{
    __asm__ volatile("msr fpsr, xzr");
}

static uint64_t get_fpsr(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr" : "=r"(v));
    return v;
}

/* keep the FP operation between the FPSR clear and the FPSR read */
#define BARRIER(x) __asm__ volatile("" : "+w"(x))

static void pq(const char *label, int i, uint32x4_t v, uint64_t fpsr)
{
    uint32_t o[4];
    vst1q_u32(o, v);
    printf("%s %d %08x %08x %08x %08x fpsr %lx\n", label, i, o[0], o[1], o[2], o[3],
           (unsigned long)fpsr);
}

/* ----- FEAT_I8MM ----- */
static void i8mm(void)
{
    for (int i = 0; i < 40; i++) {
        uint8_t a[16], b[16];
        uint32_t d[4];
        fill_b(a, 16);
        fill_b(b, 16);
        for (int k = 0; k < 4; k++)
            d[k] = next32();
        int8x16_t sa = vreinterpretq_s8_u8(vld1q_u8(a)), sb = vreinterpretq_s8_u8(vld1q_u8(b));
        uint8x16_t ua = vld1q_u8(a), ub = vld1q_u8(b);
        int32x4_t sd = vreinterpretq_s32_u32(vld1q_u32(d));
        uint32x4_t ud = vld1q_u32(d);
        pq("smmla", i, vreinterpretq_u32_s32(vmmlaq_s32(sd, sa, sb)), 0);
        pq("ummla", i, vmmlaq_u32(ud, ua, ub), 0);
        pq("usmmla", i, vreinterpretq_u32_s32(vusmmlaq_s32(sd, ua, sb)), 0);
        pq("usdotq", i, vreinterpretq_u32_s32(vusdotq_s32(sd, ua, sb)), 0);
        pq("usdot", i, vreinterpretq_u32_s32(vcombine_s32(
               vusdot_s32(vget_low_s32(sd), vget_low_u8(ua), vget_low_s8(sb)), vdup_n_s32(0))), 0);
#define USDOT_LANE(l) pq("usdotq_lane" #l, i, vreinterpretq_u32_s32(vusdotq_laneq_s32(sd, ua, sb, l)), 0); \
        pq("sudotq_lane" #l, i, vreinterpretq_u32_s32(vsudotq_laneq_s32(sd, sa, ub, l)), 0)
        USDOT_LANE(0);
        USDOT_LANE(1);
        USDOT_LANE(2);
        USDOT_LANE(3);
        pq("usdot_lane1", i, vreinterpretq_u32_s32(vcombine_s32(
               vusdot_lane_s32(vget_low_s32(sd), vget_low_u8(ua), vget_low_s8(sb), 1),
               vdup_n_s32(0))), 0);
        pq("sudot_lane0", i, vreinterpretq_u32_s32(vcombine_s32(
               vsudot_lane_s32(vget_low_s32(sd), vget_low_s8(sa), vget_low_u8(ub), 0),
               vdup_n_s32(0))), 0);
    }
}

/* ----- FEAT_BF16 ----- */
static bfloat16x8_t ld_bf(const uint16_t *p)
{
    return vreinterpretq_bf16_u16(vld1q_u16(p));
}

static void bf16_ops(const char *mode)
{
    for (int i = 0; i < 48; i++) {
        uint16_t a[8], b[8];
        uint32_t d[4], s[8];
        fill_bf(a, 8);
        fill_bf(b, 8);
        fill_f(d, 4);
        fill_f(s, 8);
        bfloat16x8_t va = ld_bf(a), vb = ld_bf(b);
        float32x4_t vd = vreinterpretq_f32_u32(vld1q_u32(d));
        float32x4_t s0 = vreinterpretq_f32_u32(vld1q_u32(s));
        float32x4_t s1 = vreinterpretq_f32_u32(vld1q_u32(s + 4));
        float32x4_t r;
        uint64_t f;
        char label[64];
#define BFOP(name, expr) do {                                                    \
            clear_fpsr();                                                        \
            BARRIER(va); BARRIER(vb); BARRIER(vd); BARRIER(s0); BARRIER(s1);                     \
            r = (expr);                                                          \
            BARRIER(r);                                                          \
            f = get_fpsr();                                                      \
            snprintf(label, sizeof label, "%s %s", name, mode);                  \
            pq(label, i, vreinterpretq_u32_f32(r), f);                           \
        } while (0)
        BFOP("bfdotq", vbfdotq_f32(vd, va, vb));
        BFOP("bfdot", vcombine_f32(vbfdot_f32(vget_low_f32(vd), vget_low_bf16(va),
                                              vget_low_bf16(vb)), vdup_n_f32(0)));
        BFOP("bfdotq_lane0", vbfdotq_laneq_f32(vd, va, vb, 0));
        BFOP("bfdotq_lane3", vbfdotq_laneq_f32(vd, va, vb, 3));
        BFOP("bfdot_lane1", vcombine_f32(vbfdot_lane_f32(vget_low_f32(vd), vget_low_bf16(va),
                                                         vget_low_bf16(vb), 1), vdup_n_f32(0)));
        BFOP("bfmmla", vbfmmlaq_f32(vd, va, vb));
        BFOP("bfmlalb", vbfmlalbq_f32(vd, va, vb));
        BFOP("bfmlalt", vbfmlaltq_f32(vd, va, vb));
        BFOP("bfmlalb_lane0", vbfmlalbq_laneq_f32(vd, va, vb, 0));
        BFOP("bfmlalb_lane5", vbfmlalbq_laneq_f32(vd, va, vb, 5));
        BFOP("bfmlalt_lane7", vbfmlaltq_laneq_f32(vd, va, vb, 7));
        BFOP("bfmlalt_lane2", vbfmlaltq_lane_f32(vd, va, vget_low_bf16(vb), 2));
        BFOP("bfcvtn", vreinterpretq_f32_u16(vcombine_u16(
                           vreinterpret_u16_bf16(vcvt_bf16_f32(s0)), vdup_n_u16(0))));
        BFOP("bfcvtn2", vreinterpretq_f32_bf16(vcvtq_high_bf16_f32(vcvtq_low_bf16_f32(s0), s1)));
        for (int k = 0; k < 8; k++) {
            float x;
            uint32_t u = s[k];
            memcpy(&x, &u, 4);
            clear_fpsr();
            BARRIER(x);
            bfloat16_t h = vcvth_bf16_f32(x);
            __asm__ volatile("" : "+w"(h));
            f = get_fpsr();
            uint16_t hb;
            memcpy(&hb, &h, 2);
            printf("bfcvt %s %d.%d %08x -> %04x fpsr %lx\n", mode, i, k, u, hb,
                   (unsigned long)f);
        }
    }
}

/* the BFCVT rounding of every special single and its neighbours */
static void bfcvt_specials(const char *mode)
{
    for (unsigned k = 0; k < NF; k++) {
        for (int dlt = -1; dlt <= 1; dlt++) {
            uint32_t u = F_SPECIAL[k] + dlt;
            float x;
            memcpy(&x, &u, 4);
            clear_fpsr();
            BARRIER(x);
            bfloat16_t h = vcvth_bf16_f32(x);
            __asm__ volatile("" : "+w"(h));
            uint64_t f = get_fpsr();
            uint16_t hb;
            memcpy(&hb, &h, 2);
            printf("bfcvt-special %s %08x -> %04x fpsr %lx\n", mode, u, hb, (unsigned long)f);
        }
    }
}

int main(void)
{
    i8mm();
    /* FPCR: RMode (23:22), FZ (24), DN (25) */
    static const struct { const char *name; uint64_t fpcr; } MODES[] = {
        {"rn", 0}, {"rp", 1UL << 22}, {"rm", 2UL << 22}, {"rz", 3UL << 22},
        {"fz", 1UL << 24}, {"dn", 1UL << 25}, {"fz-dn-rz", (1UL << 24) | (1UL << 25) | (3UL << 22)},
    };
    for (unsigned m = 0; m < sizeof MODES / sizeof MODES[0]; m++) {
        set_fpcr(MODES[m].fpcr);
        bf16_ops(MODES[m].name);
        bfcvt_specials(MODES[m].name);
    }
    set_fpcr(0);
    return 0;
}
