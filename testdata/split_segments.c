/* An ET_EXEC laid out like wine-preloader: its usual PT_LOADs at 0x08048000 and two more far above
 * (.wine_high_text at 0x7d400000, .wine_high_data at 0x7d410000, placed with --section-start).
 * The kernel maps an ET_EXEC segment by segment, so the gap between them is free: the program claims
 * parts of it with MAP_FIXED_NOREPLACE, uses them, and calls the code and reads the data up high. */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "testlib.h"

#define MiB (1024 * 1024)
#define LOW_BASE 0x08048000u
#define HIGH_TEXT 0x7d400000u
#define HIGH_DATA 0x7d410000u

#define HIGH_CODE __attribute__((section(".wine_high_text"), used, noinline))
#define HIGH_DATA_ATTR __attribute__((section(".wine_high_data"), used))

extern const char __executable_start[]; /* first byte of the image, from the linker */
extern const Elf32_Ehdr __ehdr_start;   /* the ELF header, mapped with the first PT_LOAD */
extern char end;                        /* first address past the low part's .bss */

/* ---- up high ---- */

HIGH_DATA_ATTR unsigned high_table[16] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53};
HIGH_DATA_ATTR unsigned high_calls = 0;
HIGH_DATA_ATTR char high_message[32] = "hello from 0x7d410000";

HIGH_CODE unsigned high_sum(void)
{
    unsigned sum = 0;
    for (int i = 0; i < 16; i++)
        sum += high_table[i];
    high_calls++;
    return sum;
}

/* calls back into the low segment and into libc */
HIGH_CODE int high_format(char *buf, size_t size, unsigned (*low)(unsigned), unsigned x)
{
    high_calls++;
    return snprintf(buf, size, "%s: %u", high_message, low(x));
}

/* ---- down low ---- */

__attribute__((noinline)) static unsigned low_square(unsigned x)
{
    return x * x;
}

static int in_range(uintptr_t a, uintptr_t lo, uintptr_t hi)
{
    return a >= lo && a < hi;
}

/* Number of /proc/self/maps mappings that overlap [lo, hi). */
static int mappings_in(unsigned long long lo, unsigned long long hi)
{
    static char maps[256 * 1024];
    int n = 0;
    if (read_file("/proc/self/maps", maps, sizeof maps) <= 0)
        return -1;
    for (char *rest = maps, *line; (line = next_line(&rest));) {
        unsigned long long s, e;
        if (sscanf(line, "%llx-%llx", &s, &e) == 2 && s < hi && e > lo)
            n++;
    }
    return n;
}

static void *claim(uintptr_t addr, size_t len, int prot, int extra)
{
    return mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | extra, -1, 0);
}

/* Claims [addr, addr + len) read-write; checks it is there, zero-filled, writable, and anonymous. */
static void claim_and_use(const char *what, uintptr_t addr, size_t len)
{
    char line[128];
    unsigned char *p = claim(addr, len, PROT_READ | PROT_WRITE, 0);
    snprintf(line, sizeof line, "MAP_FIXED_NOREPLACE of %zu MiB at %s succeeds", len / MiB, what);
    check(line, p != MAP_FAILED);
    check("  it returns exactly the address asked for", p == (unsigned char *)addr);
    if (p != (unsigned char *)addr)
        return;
    int zero = 1, same = 1;
    for (size_t off = 0; off < len; off += 4096) {
        if (p[off] != 0 || p[off + 4095] != 0)
            zero = 0;
        p[off] = (unsigned char)(off >> 12);
        p[off + 4095] = (unsigned char)~(off >> 12);
    }
    for (size_t off = 0; off < len; off += 4096)
        if (p[off] != (unsigned char)(off >> 12) || p[off + 4095] != (unsigned char)~(off >> 12))
            same = 0;
    check("  zero-filled", zero);
    check("  every page written and read back", same);
    unsigned long long s = 0, e = 0;
    char name[PATH_MAX];
    int found = find_mapping(addr, &s, &e, name, sizeof name);
    check("  /proc/self/maps: an anonymous mapping exactly there", found && s == addr && e == addr + len && name[0] == 0);
    void *again = claim(addr + len / 2, 4096, PROT_READ, 0);
    check("  claiming a page inside it again fails with EEXIST", again == MAP_FAILED && errno == EEXIST);
    if (again != MAP_FAILED)
        munmap(again, 4096);
}

int main(int argc, char **argv)
{
    printf("split_segments: an ET_EXEC at 0x08048000 with segments at 0x7d400000 and 0x7d410000\n");

    check("ELF type ET_EXEC", __ehdr_start.e_type == ET_EXEC);
    check("__executable_start == 0x08048000", (uintptr_t)__executable_start == LOW_BASE);
    check("&main in the low part", in_range((uintptr_t)&main, LOW_BASE, LOW_BASE + 0x1000000u));
    check("&high_sum in [0x7d400000, 0x7d410000)", in_range((uintptr_t)&high_sum, HIGH_TEXT, HIGH_DATA));
    check("&high_table in [0x7d410000, 0x7d411000)", in_range((uintptr_t)high_table, HIGH_DATA, HIGH_DATA + 4096));

    /* both ends are mappings of the program's file */
    char resolved[PATH_MAX], name[PATH_MAX];
    int have_path = realpath(argv[0], resolved) != NULL;
    unsigned long long s = 0, e = 0;
    int found = find_mapping(LOW_BASE, &s, &e, name, sizeof name);
    check("a mapping of the program's file starts at 0x08048000",
          found && s == LOW_BASE && have_path && strcmp(name, resolved) == 0);
    found = find_mapping(HIGH_TEXT, &s, &e, name, sizeof name);
    check("a mapping of the program's file starts at 0x7d400000",
          found && s == HIGH_TEXT && have_path && strcmp(name, resolved) == 0);
    found = find_mapping(HIGH_DATA, &s, &e, name, sizeof name);
    check("a mapping of the program's file starts at 0x7d410000",
          found && s == HIGH_DATA && have_path && strcmp(name, resolved) == 0);

    /* the gap: from the low part's end to the high text nothing is mapped */
    uintptr_t gap_start = ((uintptr_t)&end + 4095) & ~(uintptr_t)4095;
    check("nothing mapped between the low part's end and 0x7d400000", mappings_in(gap_start, HIGH_TEXT) == 0);

    /* claims in the gap, like wine-preloader's reservations */
    claim_and_use("0x10000000", 0x10000000u, 4 * MiB);
    claim_and_use("0x60000000", 0x60000000u, 4 * MiB);
    void *big = claim(0x20000000u, 0x38000000u, PROT_NONE, MAP_NORESERVE);
    check("MAP_FIXED_NOREPLACE PROT_NONE reservation of 0x20000000-0x58000000 returns exactly that",
          big == (void *)0x20000000u);

    /* claims over the program's own segments fail */
    void *p = claim(LOW_BASE, 4096, PROT_READ, 0);
    check("MAP_FIXED_NOREPLACE at 0x08048000 fails with EEXIST", p == MAP_FAILED && errno == EEXIST);
    p = claim(HIGH_TEXT, 4096, PROT_READ, 0);
    check("MAP_FIXED_NOREPLACE at 0x7d400000 fails with EEXIST", p == MAP_FAILED && errno == EEXIST);
    p = claim(HIGH_TEXT - 4096, 2 * 4096, PROT_READ, 0);
    check("MAP_FIXED_NOREPLACE of the page below 0x7d400000 and the one at it fails with EEXIST",
          p == MAP_FAILED && errno == EEXIST);
    p = claim(HIGH_TEXT - 4096, 4096, PROT_READ, 0);
    check("MAP_FIXED_NOREPLACE of just the page below 0x7d400000 succeeds", p == (void *)(HIGH_TEXT - 4096));
    if (p != MAP_FAILED)
        munmap(p, 4096);

    /* the code and data up high */
    check("high_message reads \"hello from 0x7d410000\"", strcmp(high_message, "hello from 0x7d410000") == 0);
    unsigned (*volatile sum)(void) = high_sum;
    check("high_sum() == 381 (primes in the high data)", sum() == 381);
    high_table[0] = 1002;
    check("after writing the high data, high_sum() == 1381", high_sum() == 1381);
    char buf[64];
    int n = high_format(buf, sizeof buf, low_square, 12);
    printf("high_format: %s\n", n > 0 ? buf : "(failed)");
    check("high code calling back low code and snprintf", strcmp(buf, "hello from 0x7d410000: 144") == 0);
    check("high_calls == 3", high_calls == 3);

    /* malloc and brk still work */
    char *m = malloc(1000);
    check("malloc(1000)", m != NULL);
    free(m);
    check_malloc_every_page("malloc(8 MiB)", 8 * MiB);
    char *b0 = sbrk(0), *b1 = sbrk(MiB);
    check("sbrk(+1 MiB) returns the old break", b1 == b0 && b1 != (char *)-1);
    if (b1 != (char *)-1) {
        b1[0] = b1[MiB - 1] = 1;
        sbrk(-MiB);
    }

    /* given back, the claims can be made again */
    int unmapped = munmap((void *)0x10000000u, 4 * MiB) == 0 && munmap((void *)0x60000000u, 4 * MiB) == 0 &&
                   (big == MAP_FAILED || munmap(big, 0x38000000u) == 0);
    check("munmap of the claims", unmapped);
    check("nothing mapped in the gap afterwards", mappings_in(gap_start, HIGH_TEXT) == 0);
    p = claim(0x10000000u, 4 * MiB, PROT_READ | PROT_WRITE, 0);
    check("0x10000000 can be claimed again", p == (void *)0x10000000u);
    if (p != MAP_FAILED)
        munmap(p, 4 * MiB);

    (void)argc;
    printf("split_segments: done\n");
    return finish_checks();
}
