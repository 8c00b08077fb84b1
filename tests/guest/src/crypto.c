/* The Armv8 Cryptographic extension through arm_neon.h intrinsics (built with
 * -march=armv8-a+crypto): AES-128 encryption and decryption (FIPS-197 appendix C.1), SHA-1 and
 * SHA-256 of "abc" and of a longer message (FIPS 180-2 appendix A), and PMULL .1Q against a
 * scalar carry-less multiply. Prints every result and whether it is the published one. */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int bad;

static void hex(const char *label, const uint8_t *p, int n, const char *want)
{
    char buf[129];
    for (int i = 0; i < n; i++)
        sprintf(buf + 2 * i, "%02x", p[i]);
    int ok = !want || strcmp(buf, want) == 0;
    bad |= !ok;
    printf("%s %s%s\n", label, buf, ok ? "" : " MISMATCH");
}

/* ----- AES-128: key expansion in C, rounds with AESE/AESMC and AESD/AESIMC ----- */
static const uint8_t SBOX[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

static void aes128_expand(const uint8_t key[16], uint8_t rk[11][16])
{
    static const uint8_t rcon[10] = {1, 2, 4, 8, 16, 32, 64, 128, 0x1b, 0x36};
    memcpy(rk[0], key, 16);
    for (int i = 1; i < 11; i++) {
        const uint8_t *p = rk[i - 1];
        uint8_t t[4] = {SBOX[p[13]] ^ rcon[i - 1], SBOX[p[14]], SBOX[p[15]], SBOX[p[12]]};
        for (int j = 0; j < 16; j++) {
            rk[i][j] = p[j] ^ (j < 4 ? t[j] : rk[i][j - 4]);
        }
    }
}

static void aes_demo(void)
{
    uint8_t key[16], pt[16], rk[11][16], out[16];
    for (int i = 0; i < 16; i++) {
        key[i] = i;
        pt[i] = i * 0x11;
    }
    aes128_expand(key, rk);
    uint8x16_t s = vld1q_u8(pt);
    for (int r = 0; r < 9; r++)
        s = vaesmcq_u8(vaeseq_u8(s, vld1q_u8(rk[r])));
    s = veorq_u8(vaeseq_u8(s, vld1q_u8(rk[9])), vld1q_u8(rk[10]));
    vst1q_u8(out, s);
    hex("aes128 encrypt", out, 16, "69c4e0d86a7b0430d8cdb78070b4c55a");
    /* the equivalent inverse cipher: AESD with InvMixColumns applied to the round keys */
    s = vaesdq_u8(s, vld1q_u8(rk[10]));
    for (int r = 9; r > 0; r--)
        s = vaesdq_u8(vaesimcq_u8(s), vaesimcq_u8(vld1q_u8(rk[r])));
    s = veorq_u8(s, vld1q_u8(rk[0]));
    vst1q_u8(out, s);
    hex("aes128 decrypt", out, 16, "00112233445566778899aabbccddeeff");
    /* chained: 6000 encryptions of a block (a loop hot enough for tests/test_corpus.py's
     * --jit=auto to compile) */
    uint8x16_t c = vld1q_u8(pt);
    for (int n = 0; n < 6000; n++) {
        for (int r = 0; r < 9; r++)
            c = vaesmcq_u8(vaeseq_u8(c, vld1q_u8(rk[r])));
        c = veorq_u8(vaeseq_u8(c, vld1q_u8(rk[9])), vld1q_u8(rk[10]));
    }
    vst1q_u8(out, c);
    hex("aes128 x6000", out, 16, NULL);
}

/* ----- SHA-1 and SHA-256 over a padded message ----- */
static size_t pad(const char *msg, uint8_t *buf)
{
    size_t n = strlen(msg), total = (n + 9 + 63) & ~(size_t)63;
    memset(buf, 0, total);
    memcpy(buf, msg, n);
    buf[n] = 0x80;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        buf[total - 1 - i] = bits >> (8 * i);
    return total;
}

static void sha1(const char *msg, uint8_t digest[20])
{
    uint32_t st[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    uint8_t buf[256];
    size_t total = pad(msg, buf);
    for (size_t off = 0; off < total; off += 64) {
        uint32x4_t abcd = vld1q_u32(st), abcd0 = abcd, w[4];
        uint32_t e = st[4], e0 = e;
        for (int i = 0; i < 4; i++)
            w[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(buf + off + 16 * i)));
        for (int g = 0; g < 20; g++) {
            static const uint32_t K[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
            uint32x4_t wk = vaddq_u32(w[g % 4], vdupq_n_u32(K[g / 5]));
            uint32_t e1 = vsha1h_u32(vgetq_lane_u32(abcd, 0));
            if (g < 5)
                abcd = vsha1cq_u32(abcd, e, wk);
            else if (g >= 10 && g < 15)
                abcd = vsha1mq_u32(abcd, e, wk);
            else
                abcd = vsha1pq_u32(abcd, e, wk);
            e = e1;
            if (g < 16)     /* the schedule for group g + 4 */
                w[g % 4] = vsha1su1q_u32(vsha1su0q_u32(w[g % 4], w[(g + 1) % 4], w[(g + 2) % 4]),
                                         w[(g + 3) % 4]);
        }
        vst1q_u32(st, vaddq_u32(abcd, abcd0));
        st[4] = e + e0;
    }
    for (int i = 0; i < 20; i++)
        digest[i] = st[i / 4] >> (24 - 8 * (i % 4));
}

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void sha256(const char *msg, uint8_t digest[32])
{
    uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint8_t buf[256];
    size_t total = pad(msg, buf);
    for (size_t off = 0; off < total; off += 64) {
        uint32x4_t abcd = vld1q_u32(st), efgh = vld1q_u32(st + 4), w[4];
        uint32x4_t abcd0 = abcd, efgh0 = efgh;
        for (int i = 0; i < 4; i++)
            w[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(buf + off + 16 * i)));
        for (int g = 0; g < 16; g++) {
            uint32x4_t wk = vaddq_u32(w[g % 4], vld1q_u32(K256 + 4 * g));
            uint32x4_t prev = abcd;
            abcd = vsha256hq_u32(abcd, efgh, wk);
            efgh = vsha256h2q_u32(efgh, prev, wk);
            if (g < 12)
                w[g % 4] = vsha256su1q_u32(vsha256su0q_u32(w[g % 4], w[(g + 1) % 4]),
                                           w[(g + 2) % 4], w[(g + 3) % 4]);
        }
        vst1q_u32(st, vaddq_u32(abcd, abcd0));
        vst1q_u32(st + 4, vaddq_u32(efgh, efgh0));
    }
    for (int i = 0; i < 32; i++)
        digest[i] = st[i / 4] >> (24 - 8 * (i % 4));
}

/* ----- PMULL .1Q against a scalar carry-less multiply ----- */
static void clmul(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    *lo = *hi = 0;
    for (int i = 0; i < 64; i++)
        if (b >> i & 1) {
            *lo ^= a << i;
            if (i)
                *hi ^= a >> (64 - i);
        }
}

static void pmull_demo(void)
{
    uint64_t a = 0x243f6a8885a308d3ULL, b = 0x13198a2e03707344ULL, acc = 0;
    for (int n = 0; n < 64; n++) {
        poly128_t p = vmull_p64((poly64_t)a, (poly64_t)b);
        uint64_t lo, hi, plo = (uint64_t)p, phi = (uint64_t)(p >> 64);
        clmul(a, b, &lo, &hi);
        if (lo != plo || hi != phi) {
            printf("pmull %#lx * %#lx: %#lx:%#lx, want %#lx:%#lx MISMATCH\n", (unsigned long)a,
                   (unsigned long)b, (unsigned long)phi, (unsigned long)plo, (unsigned long)hi,
                   (unsigned long)lo);
            bad = 1;
        }
        acc ^= plo + 3 * phi;
        a = a * 6364136223846793005ULL + 1442695040888963407ULL;
        b ^= b << 13, b ^= b >> 7, b ^= b << 17;
    }
    poly64x2_t v = vreinterpretq_p64_u64(vcombine_u64(vcreate_u64(a), vcreate_u64(b)));
    poly128_t p2 = vmull_high_p64(v, v);
    printf("pmull checksum %#lx high %#lx\n", (unsigned long)acc, (unsigned long)(p2 >> 64));
}

int main(void)
{
    uint8_t d[32];
    aes_demo();
    sha1("abc", d);
    hex("sha1 abc", d, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", d);
    hex("sha1 448", d, 20, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    sha256("abc", d);
    hex("sha256 abc", d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", d);
    hex("sha256 448", d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    pmull_demo();
    printf("%s\n", bad ? "FAILED" : "all ok");
    return bad;
}
