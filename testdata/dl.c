// Dynamic loading: dlopen/dlsym of libm, getauxval(AT_BASE) against the
// interpreter's mapping; with SHOW_INTERP=1 also prints that mapping's path.
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

// The path of the file mapped at `address` according to /proc/self/maps, or "".
static const char *mapped_file(unsigned long address) {
    static char path[4096];
    char line[4096 + 128];
    FILE *maps = fopen("/proc/self/maps", "r");
    path[0] = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char name[4096] = "";
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %4095[^\n]", &start, &end, name) >= 2 && start <= address && address < end) {
            snprintf(path, sizeof path, "%s", name);
            break;
        }
    }
    if (maps) fclose(maps);
    return path;
}

int main(void) {
    int failed = 0;
    unsigned long base = getauxval(AT_BASE);
    printf("AT_BASE nonzero: %s\n", base ? "yes" : "no");
    if (base) {
        const Elf32_Ehdr *header = (const Elf32_Ehdr *)base;
        int elf = memcmp(header->e_ident, ELFMAG, SELFMAG) == 0;
        printf("AT_BASE is an i386 ET_DYN ELF header: %s\n", elf && header->e_machine == EM_386 && header->e_type == ET_DYN ? "yes" : "no");
        const char *interp = mapped_file(base);
        printf("AT_BASE mapping is a file: %s\n", interp[0] == '/' ? "yes" : "no");
        if (getenv("SHOW_INTERP")) printf("interpreter mapped from: %s\n", interp);
    }

    void *libm = dlopen("libm.so.6", RTLD_NOW);
    printf("dlopen libm.so.6: %s\n", libm ? "ok" : "failed");
    if (libm) {
        double (*cosine)(double) = (double (*)(double))dlsym(libm, "cos");
        printf("dlsym cos: %s\n", cosine ? "ok" : "failed");
        if (cosine) printf("cos(1.0) = %a\n", cosine(1.0));
        Dl_info info;
        if (cosine && dladdr((void *)cosine, &info) && info.dli_fname)
            printf("cos lives in a libm: %s\n", strstr(info.dli_fname, "libm") ? "yes" : "no");
        failed |= dlsym(libm, "no_such_symbol_here") != NULL;
        printf("dlsym of a missing symbol fails: %s\n", failed ? "no" : "yes");
        dlclose(libm);
    }
    void *missing = dlopen("libdoes-not-exist.so.9", RTLD_NOW);
    printf("dlopen of a missing library fails: %s\n", missing ? "no" : "yes");
    failed |= missing != NULL;
    if (failed) printf("SOME CHECKS FAILED\n");
    return failed;
}
