/* strings: glibc string routines (AdvSIMD strlen/memchr/strchr, memcpy, memset, strcmp, strstr,
 * strcpy) over generated text. */
#include <stdio.h>
#include <string.h>
#include "common.h"

#define LEN 4096

static char text[LEN + 64], copy[LEN + 64], word[32];

int main(int argc, char **argv)
{
    long rounds = size_arg(argc, argv, 6000);
    uint64_t ck = 0;
    for (int i = 0; i < LEN; i++)
        text[i] = 'a' + (char)(rng() % 26);
    text[LEN] = 0;
    for (long r = 0; r < rounds; r++) {
        int pos = (int)(rng() % (LEN - 16));
        int wl = 3 + (int)(rng() % 4);
        memcpy(word, text + pos, wl);
        word[wl] = 0;
        char *hit = strstr(text, word);
        ck = ck * 131 + (uint64_t)(hit ? hit - text : -1);
        ck = ck * 131 + strlen(text + (r & 1023));
        char *ch = strchr(text, 'a' + (int)(r % 26));
        ck = ck * 131 + (uint64_t)(ch ? ch - text : -1);
        char *mc = memchr(text + pos, word[0] ^ 1, LEN - pos);
        ck = ck * 131 + (uint64_t)(mc ? mc - text : -1);
        memcpy(copy, text, LEN + 1);
        copy[LEN - 1 - (r % 512)] ^= 1;
        ck = ck * 131 + (uint64_t)(strcmp(text, copy) + 2);
        memset(copy + (r % 256), 'z', 512);
        strcpy(copy + 1024, text + 2048);
        ck = ck * 131 + (uint64_t)(unsigned char)copy[LEN - 1 - (r % 300)];
        ck = ck * 131 + (uint64_t)(memcmp(text, copy, 200) > 0);
    }
    printf("strings: rounds=%ld checksum=%016llx\n", rounds, (unsigned long long)ck);
    return 0;
}
