/* Pseudo-random FP operands for the corpus programs that compare FP results with qemu: an
 * xorshift stream (each program seeds it with FPRAND_SEED, defined before the include) and
 * values in a format given by its fraction width: one of the format's special values a quarter
 * of the time, else random bits, half of them with an exponent in a moderate band (so that
 * products and sums stay in range and exercise rounding), the others with any exponent. */
#include <stdint.h>

static uint64_t rng = FPRAND_SEED;

static uint32_t next32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* v (a value `width` bits wide) with its sign and fraction kept and an exponent in the band
 * exp_base + (bits 28:24 of r & exp_mask) */
static uint32_t moderate(uint32_t v, int width, int frac_bits, uint32_t exp_base,
                         uint32_t exp_mask, uint32_t r)
{
    uint32_t keep = (1u << (width - 1)) | ((1u << frac_bits) - 1);
    return (v & keep) | ((exp_base + ((r >> 24) & exp_mask)) << frac_bits);
}

/* a 16-bit format: BFloat16 (7 fraction bits) or half (10) */
static uint16_t rand16(const uint16_t *special, unsigned n, int frac_bits, uint32_t exp_base,
                       uint32_t exp_mask)
{
    uint32_t r = next32();
    if ((r & 3) == 0)
        return special[(r >> 2) % n];
    uint16_t v = (uint16_t)(r >> 8);
    if (r & 4)
        v = (uint16_t)moderate(v, 16, frac_bits, exp_base, exp_mask, r);
    return v;
}

/* a single, its moderate exponents those of rand16's BFloat16 band */
static uint32_t rand32(const uint32_t *special, unsigned n)
{
    uint32_t r = next32();
    if ((r & 3) == 0)
        return special[(r >> 2) % n];
    uint32_t v = next32();
    if (r & 4)
        v = moderate(v, 32, 23, 0x70, 0x1f, r);
    return v;
}

static void set_fpcr(uint64_t v)
{
    __asm__ volatile("msr fpcr, %0" : : "r"(v));
}
