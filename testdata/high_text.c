/* An ET_EXEC linked with -Wl,-Ttext-segment=0x70000000 (static, and dynamic -no-pie): its image must
 * be where its headers say, mapped from its file; brk, malloc and calls must work as usual. */
#include <elf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testlib.h"

#define MiB (1024 * 1024)
#define TEXT_BASE 0x70000000u

extern const char __executable_start[]; /* first byte of the image, from the linker */
extern const Elf32_Ehdr __ehdr_start;   /* the ELF header, mapped with the first PT_LOAD */
extern char end;                        /* first address past the program's .bss */

static int in_image_range(uintptr_t a)
{
    return a >= TEXT_BASE && a < TEXT_BASE + 0x100000u;
}

static int compare_chars(const void *a, const void *b)
{
    return *(const char *)a - *(const char *)b;
}

__attribute__((noinline)) static unsigned fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv)
{
    /* brk first, before stdio allocates anything */
    char *start = sbrk(0);
    char *grown = sbrk(16 * MiB);
    int brk_ok = grown != (char *)-1 && grown == start && sbrk(0) == start + 16 * MiB;
    if (brk_ok) {
        for (size_t off = 0; off < 16 * MiB; off += 4096) {
            if (grown[off] != 0)
                brk_ok = 0;
            grown[off] = (char)(off >> 12);
        }
        for (size_t off = 0; off < 16 * MiB; off += 4096)
            if (grown[off] != (char)(off >> 12))
                brk_ok = 0;
    }
    char *shrunk = grown != (char *)-1 ? sbrk(-16 * MiB) : (char *)-1;
    int shrink_ok = shrunk != (char *)-1 && sbrk(0) == start;

    printf("high_text: an ET_EXEC linked at 0x70000000\n");

    uintptr_t main_addr = (uintptr_t)&main, exe_start = (uintptr_t)__executable_start;
    check("ELF type ET_EXEC", __ehdr_start.e_type == ET_EXEC);
    check("__executable_start == 0x70000000", exe_start == TEXT_BASE);
    check("&main in [0x70000000, 0x70100000)", in_image_range(main_addr));
    check("&fib in [0x70000000, 0x70100000)", in_image_range((uintptr_t)&fib));
    check("&end above 0x70000000", (uintptr_t)&end > TEXT_BASE);

    /* /proc/self/maps: the image's first page and main's page are mappings of the program's file */
    char resolved[PATH_MAX], name[PATH_MAX];
    int have_path = realpath(argv[0], resolved) != NULL;
    unsigned long long s = 0, e = 0;
    int found = find_mapping(TEXT_BASE, &s, &e, name, sizeof name);
    check("a mapping starts at 0x70000000", found && s == TEXT_BASE);
    check("it maps the program's file", found && have_path && strcmp(name, resolved) == 0);
    found = find_mapping(main_addr, NULL, NULL, name, sizeof name);
    check("main's page maps the program's file", found && have_path && strcmp(name, resolved) == 0);

    /* brk: placed above the image (ET_EXEC: at most 32 MiB of randomisation above &end,
       plus what glibc's start-up took before main: the TLS block and malloc's first
       132 KiB; 4096 alone failed one run in about 250) */
    uintptr_t b = (uintptr_t)start, en = (uintptr_t)&end;
    check("sbrk(0) above &end, within 32 MiB", b >= en && b - en <= 33 * MiB);
    check("sbrk(+16 MiB) grows the break, zero-filled and writable", brk_ok);
    check("sbrk(-16 MiB) shrinks it back", shrink_ok);

    /* malloc: small (brk) and large (mmap) */
    char *small = malloc(100);
    check("malloc(100)", small != NULL);
    if (small) {
        snprintf(small, 100, "%s-%d", "zyxwvu", 42);
        qsort(small, 6, 1, compare_chars);
        check("snprintf and qsort on it", strcmp(small, "uvwxyz-42") == 0);
        free(small);
    }
    check_malloc_every_page("malloc(8 MiB)", 8 * MiB);

    /* calls: recursion, a call through a pointer, libc */
    unsigned (*volatile f)(unsigned) = fib;
    check("fib(20) == 6765 through a function pointer", f(20) == 6765);
    check("strlen(argv[0]) > 0", argc > 0 && strlen(argv[0]) > 0);

    printf("high_text: done\n");
    return finish_checks();
}
