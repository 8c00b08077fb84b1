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

#define MRS(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " name : "=r"(v_)); v_; })

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    printf("AT_HWCAP %#lx\nAT_HWCAP2 %#lx\n", hw, hw2);
    if (hw & HWCAP_CPUID) {
        printf("ID_AA64PFR0_EL1 %#lx\n", (unsigned long)MRS("s3_0_c0_c4_0"));
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
    if (hw & HWCAP_CRC32) {
        uint32_t c = 0xffffffff, d = 0x12345678;
        /* crc32x w0, w0, x1 and crc32cb w0, w0, w1 by encoding (no +crc needed to build) */
        __asm__ volatile("mov w0, %w1\n\tmov x1, %2\n\t.inst 0x9ac14c00\n\t.inst 0x1ac15000\n\tmov %w0, w0"
                         : "=r"(c) : "r"(c), "r"((uint64_t)d) : "x0", "x1");
        printf("crc32 %#x\n", c);
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
