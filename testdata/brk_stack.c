/* Checks memory growth: brk/sbrk grow and shrink, brk placement, a 300 MiB malloc, 4 MiB of stack recursion. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testlib.h"

#define MiB (1024 * 1024)

extern char end; /* first address past the program's .bss, from the linker */

/* Field 47 of /proc/self/stat: where the kernel started the break. */
static uintptr_t start_brk(void)
{
    char text[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    char *field = strrchr(text, ')'); /* the command name may hold spaces */
    for (int index = 2; field && index < 47; index++)
        field = strchr(field + 1, ' ');
    return field ? strtoul(field + 1, NULL, 10) : 0;
}

int main(void)
{
    /* brk: do all the sbrk calls first, print afterwards (printf may itself move the break) */
    char *start = sbrk(0);
    char *grown = sbrk(64 * MiB);
    char *after_grow = sbrk(0);
    int zero = 1;
    if (grown != (char *)-1) {
        for (size_t off = 0; off < 64 * MiB; off += 4096) {
            if (grown[off] != 0 || grown[off + 4095] != 0)
                zero = 0;
            grown[off] = 1;
            grown[off + 4095] = 2;
        }
    }
    char *shrunk = grown != (char *)-1 ? sbrk(-64 * MiB) : (char *)-1;
    char *after_shrink = sbrk(0);
    /* grow again: the pages given back must come back zeroed */
    char *again = sbrk(4096);
    int again_zero = again != (char *)-1 && again[0] == 0 && again[4095] == 0;
    if (again != (char *)-1)
        sbrk(-4096);

    check("sbrk(0) non-null", start != NULL && start != (char *)-1);
    /* informational, not a check: for static-pie the kernel puts brk elsewhere
     * (ELF_ET_DYN_BASE). The kernel's start_brk (/proc/self/stat), not sbrk(0):
     * libc's start-up has already moved the break by a random-independent
     * amount, which would put a brk drawn near the top of its 32 MiB range
     * beyond it. */
    uintptr_t e = ((uintptr_t)&end + 4095) & ~(uintptr_t)4095, b = start_brk();
    printf("brk start just above the program's end (start_brk at most 32 MiB above the page after &end): %s\n",
           b >= e && b - e <= 32 * MiB ? "yes" : "no");
    check("sbrk(+64 MiB) succeeds", grown != (char *)-1);
    check("it returns the old break", grown == start);
    check("new break is old + 64 MiB", after_grow == start + 64 * MiB);
    check("grown memory zero-filled and writable", grown != (char *)-1 && zero);
    check("sbrk(-64 MiB) succeeds", shrunk != (char *)-1);
    check("break is back at the start", after_shrink == start);
    check("regrown page is zero again", again_zero);

    /* a large malloc, every page touched */
    check_malloc_every_page("malloc(300 MiB)", 300 * MiB);

    /* deep recursion: 4000 frames of 1 KiB */
    int r = recurse(4000);
    printf("recursion result: %d (expected 4000)\n", r);
    check("4000 x 1 KiB recursion", r == 4000);

    return finish_checks();
}
