/* Compute kernels built at -O0 (opt_O0) and -O3 (opt_O3); both binaries
 * must print identical output. -O3 auto-vectorises several loops here. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 24

static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static int32_t A[N][N], B[N][N], C[N][N];
static int16_t s16a[256], s16b[256];
static uint8_t u8a[512];

static uint32_t isqrt(uint32_t x)
{
    uint32_t r = 0, bit = 1u << 30;
    while (bit > x) bit >>= 2;
    while (bit) {
        if (x >= r + bit) { x -= r + bit; r = (r >> 1) + bit; }
        else r >>= 1;
        bit >>= 2;
    }
    return r;
}

int main(void)
{
    crc32_init();
    static const char text[] = "The quick brown fox jumps over the lazy dog";
    printf("crc32(text)=%08x\n", crc32((const unsigned char *)text, strlen(text)));
    printf("crc32(123456789)=%08x\n", crc32((const unsigned char *)"123456789", 9));

    uint32_t s = 7;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            s = s * 1103515245u + 12345u;
            A[i][j] = (int32_t)(s >> 20) - 2048;
            s = s * 1103515245u + 12345u;
            B[i][j] = (int32_t)(s >> 22) - 512;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < N; k++)
                acc += A[i][k] * B[k][j];
            C[i][j] = acc;
        }
    int64_t trace = 0;
    uint32_t mck = 0;
    for (int i = 0; i < N; i++) {
        trace += C[i][i];
        for (int j = 0; j < N; j++)
            mck = mck * 31 + (uint32_t)C[i][j];
    }
    printf("matmul: trace=%lld C[0][0]=%d C[N-1][N-1]=%d ck=%08x\n", (long long)trace, C[0][0],
           C[N - 1][N - 1], mck);
    printf("crc32(C)=%08x\n", crc32((const unsigned char *)C, sizeof C));

    /* vectorisable reductions / element-wise ops on narrow types */
    for (int i = 0; i < 256; i++) {
        s = s * 1103515245u + 12345u;
        s16a[i] = (int16_t)(s >> 16);
        s16b[i] = (int16_t)(s >> 3);
    }
    for (int i = 0; i < 512; i++)
        u8a[i] = (uint8_t)(i * 37 + (i >> 3));
    int64_t dot = 0;
    int32_t mx = INT32_MIN, mn = INT32_MAX;
    for (int i = 0; i < 256; i++) {
        dot += (int32_t)s16a[i] * s16b[i];
        int32_t d = s16a[i] - s16b[i];
        if (d > mx) mx = d;
        if (d < mn) mn = d;
    }
    uint32_t bsum = 0, bmax = 0, xorall = 0;
    for (int i = 0; i < 512; i++) {
        bsum += u8a[i];
        if (u8a[i] > bmax) bmax = u8a[i];
        xorall ^= (uint32_t)u8a[i] << (i & 7);
    }
    int16_t sat[256];
    for (int i = 0; i < 256; i++) {
        int32_t v = (int32_t)s16a[i] + s16b[i];
        sat[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v;
    }
    uint32_t satck = crc32((const unsigned char *)sat, sizeof sat);
    printf("dot=%lld max=%d min=%d bsum=%u bmax=%u xor=%08x sat=%08x\n", (long long)dot, mx, mn, bsum,
           bmax, xorall, satck);

    /* bit tricks */
    uint64_t bt = 0;
    for (uint32_t x = 1; x < 5000; x += 7) {
        uint32_t pow2 = x & (x - 1) ? 0 : 1;
        uint32_t lowbit = x & -x;
        uint32_t next = x;
        next--; next |= next >> 1; next |= next >> 2; next |= next >> 4; next |= next >> 8; next |= next >> 16; next++;
        uint32_t pop = x - ((x >> 1) & 0x55555555u);
        pop = (pop & 0x33333333u) + ((pop >> 2) & 0x33333333u);
        pop = (((pop + (pop >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
        int32_t sx = (int32_t)(x * 2654435761u);
        uint32_t absx = (uint32_t)((sx ^ (sx >> 31)) - (sx >> 31));
        bt = bt * 1099511628211ull + (pow2 ^ lowbit ^ next ^ pop ^ absx ^ isqrt(x * 1000u));
    }
    printf("bittricks=%016llx\n", (unsigned long long)bt);
    return 0;
}
