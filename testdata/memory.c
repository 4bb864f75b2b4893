/* Checks large memory use: brk past 1 GiB and back, 1 GiB of 16 MiB mmaps, mremap growth to 256 MiB,
 * a 300 MiB malloc, stack recursion up to RLIMIT_STACK - 1 MiB, and what /proc/self/maps names. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include "testlib.h"

#define KiB 1024u
#define MiB (1024u * 1024u)
#define GiB (1024u * MiB)

/* What /proc/self/maps says, gathered without stdio or malloc (they would move the break). */
struct maps_summary {
    int ok;
    int stack, heap, vdso;
    int high;           /* mappings starting at or above 4 GiB, [vsyscall] aside */
    char high_names[8][64];
};

static char maps_buf[256 * 1024];

static void summarize_maps(struct maps_summary *s)
{
    memset(s, 0, sizeof *s);
    s->ok = read_file("/proc/self/maps", maps_buf, sizeof maps_buf) > 0;
    for (char *rest = maps_buf, *line; (line = next_line(&rest));) {
        unsigned long long start = strtoull(line, NULL, 16);
        /* the name is the sixth field: skip five fields and the blanks after them */
        char *p = line;
        for (int field = 0; field < 5 && *p; field++) {
            while (*p && *p != ' ')
                p++;
            while (*p == ' ')
                p++;
        }
        if (strcmp(p, "[stack]") == 0)
            s->stack++;
        if (strcmp(p, "[heap]") == 0)
            s->heap++;
        if (strcmp(p, "[vdso]") == 0)
            s->vdso++;
        /* [vsyscall] is the kernel's, above any user address, and shown for every
           process started as 64-bit (a loader's process is): not counted. */
        if (start >= 0x100000000ULL && strcmp(p, "[vsyscall]") != 0) {
            if (s->high < 8) {
                const char *name = *p ? p : "(anonymous)";
                size_t len = strnlen(name, sizeof s->high_names[0] - 1);
                memcpy(s->high_names[s->high], name, len);
                s->high_names[s->high][len] = 0;
            }
            s->high++;
        }
    }
}

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 151 + (i >> 11));
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    volatile char local = 0;

    /* ---- brk: every sbrk call first, before stdio allocates anything ---- */
    char *start = sbrk(0);
    /* the first full page of the brk area: written while grown, must read 0 once regrown */
    char *first_page = (char *)(((uintptr_t)start + 4095) & ~(uintptr_t)4095);
    size_t total = 0;
    int step_ok = 1, grow_failed = 0;
    while (total <= GiB) {
        char *p = sbrk(64 * MiB);
        if (p == (char *)-1) {
            grow_failed = 1;
            break;
        }
        if (p != start + total)
            step_ok = 0;
        p[64 * MiB - 1] = 1; /* one byte per step */
        total += 64 * MiB;
    }
    if (total > 0)
        *first_page = 1;
    char *after_grow = sbrk(0);
    char *shrunk = total > 0 ? sbrk(-(intptr_t)total) : start;
    char *after_shrink = sbrk(0);
    char *again = sbrk(4096);
    int again_zero = again != (char *)-1;
    for (int i = 0; again_zero && i < 4096; i++)
        if (again[i] != 0)
            again_zero = 0;
    char *given_back = again != (char *)-1 ? sbrk(-4096) : (char *)-1;
    char *restored = sbrk(0);
    struct maps_summary maps;
    summarize_maps(&maps);

    printf("brk:\n");
    check("sbrk(0) valid", start != NULL && start != (char *)-1);
    check("brk grew past 1 GiB", !grow_failed && total > GiB);
    check("every sbrk(+64 MiB) returned the previous break", step_ok);
    check("break after growth == start + total", after_grow == start + total);
    check("sbrk(-total) succeeds", shrunk != (char *)-1);
    check("sbrk(0) back at the start", after_shrink == start);
    check("sbrk(+1 page) returns the start", again == start);
    check("regrown page zero-filled", again_zero);
    check("sbrk(-1 page) succeeds", given_back != (char *)-1);
    check("break restored to the start", restored == start);

    printf("/proc/self/maps (right after the brk test):\n");
    check("readable", maps.ok);
    printf("mappings starting at or above 4 GiB (besides [vsyscall]): %d\n", maps.high);
    for (int i = 0; i < maps.high && i < 8; i++)
        printf("  %s\n", maps.high_names[i]);
    printf("mappings named [stack]: %d\n", maps.stack);
    printf("mappings named [heap]: %d\n", maps.heap);
    printf("[vdso] present: %s\n", maps.vdso ? "yes" : "no");

    /* ---- 1 GiB of anonymous mmap in 16 MiB chunks ---- */
    printf("mmap:\n");
    enum { CHUNKS = GiB / (16 * MiB) };
    static uintptr_t chunk[CHUNKS];
    int mapped = 0, below4g = 1, readback = 1, unmapped = 1;
    for (int i = 0; i < CHUNKS; i++) {
        void *p = mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        ((unsigned char *)p)[i * 4096] = (unsigned char)(i + 1); /* one byte per chunk */
        chunk[mapped++] = (uintptr_t)p;
        if ((unsigned long long)(uintptr_t)p + 16 * MiB > 0x100000000ULL)
            below4g = 0;
    }
    for (int i = 0; i < mapped; i++)
        if (((unsigned char *)chunk[i])[i * 4096] != (unsigned char)(i + 1))
            readback = 0;
    for (int i = 0; i < mapped; i++)
        if (munmap((void *)chunk[i], 16 * MiB) != 0)
            unmapped = 0;
    qsort(chunk, mapped, sizeof chunk[0], cmp_ptr);
    int distinct = 1;
    for (int i = 0; i + 1 < mapped; i++)
        if (chunk[i] + 16 * MiB > chunk[i + 1])
            distinct = 0;
    printf("16 MiB chunks mapped: %d of %d\n", mapped, (int)CHUNKS);
    check("all 64 chunks mapped", mapped == CHUNKS);
    check("all below 4 GiB", below4g);
    check("chunks distinct and not overlapping", distinct);
    check("touched bytes read back", readback);
    check("all unmapped", unmapped);

    /* ---- mremap growth ---- */
    printf("mremap:\n");
    unsigned char *m = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap(1 MiB)", m != MAP_FAILED);
    if (m != MAP_FAILED) {
        for (size_t i = 0; i < MiB; i++)
            m[i] = pattern(i);
        unsigned char *m64 = mremap(m, MiB, 64 * MiB, MREMAP_MAYMOVE);
        check("mremap to 64 MiB", m64 != MAP_FAILED);
        if (m64 != MAP_FAILED) {
            int ok = 1;
            for (size_t i = 0; i < MiB; i++)
                if (m64[i] != pattern(i))
                    ok = 0;
            check("pattern kept", ok);
            check("grown part zero", m64[MiB] == 0 && m64[64 * MiB - 1] == 0);
            m64[64 * MiB - 1] = 0x5a;
            unsigned char *m256 = mremap(m64, 64 * MiB, 256 * MiB, MREMAP_MAYMOVE);
            check("mremap to 256 MiB", m256 != MAP_FAILED);
            if (m256 != MAP_FAILED) {
                ok = 1;
                for (size_t i = 0; i < MiB; i++)
                    if (m256[i] != pattern(i))
                        ok = 0;
                check("pattern kept", ok);
                check("byte written at 64 MiB - 1 kept", m256[64 * MiB - 1] == 0x5a);
                check("grown part zero", m256[64 * MiB] == 0 && m256[256 * MiB - 1] == 0);
                m256[256 * MiB - 1] = 1;
                check("last byte writable", m256[256 * MiB - 1] == 1);
                check("below 4 GiB", (unsigned long long)(uintptr_t)m256 + 256 * MiB <= 0x100000000ULL);
                check("munmap(256 MiB)", munmap(m256, 256 * MiB) == 0);
            }
        }
    }

    /* ---- a large malloc, every page touched ---- */
    printf("malloc:\n");
    check_malloc_every_page("malloc(300 MiB)", 300 * MiB);

    /* ---- stack ---- */
    printf("stack:\n");
    struct rlimit rl;
    check("getrlimit(RLIMIT_STACK)", getrlimit(RLIMIT_STACK, &rl) == 0);
    unsigned long long limit = rl.rlim_cur;
    if (rl.rlim_cur == RLIM_INFINITY)
        printf("RLIMIT_STACK: unlimited\n");
    else
        printf("RLIMIT_STACK: %llu KiB\n", limit / KiB);
    unsigned long long usable = limit == RLIM_INFINITY || limit > 64ULL * MiB ? 64ULL * MiB : limit;
    int depth = usable > MiB ? (int)((usable - MiB) / KiB) : 0;
    printf("recursion depth (1 KiB frames): %d\n", depth);
    int r = recurse(depth);
    check("recursion completed", r == depth);
    check("initial stack in the top GiB (&local >= 0xC0000000)", (uintptr_t)&local >= 0xC0000000u);

    return finish_checks();
}
