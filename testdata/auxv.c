/* Checks the auxiliary vector and the initial stack layout that Linux's create_elf_tables builds. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#define CHECK_INDENT "  " /* check lines stand under their section headings */
#include "testlib.h"

#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif
#ifndef AT_RSEQ_ALIGN
#define AT_RSEQ_ALIGN 28
#endif
#ifndef AT_HWCAP3
#define AT_HWCAP3 29
#endif
#ifndef AT_HWCAP4
#define AT_HWCAP4 30
#endif

extern const Elf32_Ehdr __ehdr_start; /* our own ELF header, provided by the linker */
extern char _start[];                 /* our entry point */
extern void *__libc_stack_end;

static const char *at_name(uint32_t t)
{
    switch (t) {
    case AT_NULL: return "AT_NULL";
    case AT_IGNORE: return "AT_IGNORE";
    case AT_EXECFD: return "AT_EXECFD";
    case AT_PHDR: return "AT_PHDR";
    case AT_PHENT: return "AT_PHENT";
    case AT_PHNUM: return "AT_PHNUM";
    case AT_PAGESZ: return "AT_PAGESZ";
    case AT_BASE: return "AT_BASE";
    case AT_FLAGS: return "AT_FLAGS";
    case AT_ENTRY: return "AT_ENTRY";
    case AT_NOTELF: return "AT_NOTELF";
    case AT_UID: return "AT_UID";
    case AT_EUID: return "AT_EUID";
    case AT_GID: return "AT_GID";
    case AT_EGID: return "AT_EGID";
    case AT_PLATFORM: return "AT_PLATFORM";
    case AT_HWCAP: return "AT_HWCAP";
    case AT_CLKTCK: return "AT_CLKTCK";
    case AT_SECURE: return "AT_SECURE";
    case AT_BASE_PLATFORM: return "AT_BASE_PLATFORM";
    case AT_RANDOM: return "AT_RANDOM";
    case AT_HWCAP2: return "AT_HWCAP2";
    case AT_RSEQ_FEATURE_SIZE: return "AT_RSEQ_FEATURE_SIZE";
    case AT_RSEQ_ALIGN: return "AT_RSEQ_ALIGN";
    case AT_HWCAP3: return "AT_HWCAP3";
    case AT_HWCAP4: return "AT_HWCAP4";
    case AT_EXECFN: return "AT_EXECFN";
    case AT_SYSINFO: return "AT_SYSINFO";
    case AT_SYSINFO_EHDR: return "AT_SYSINFO_EHDR";
    case AT_MINSIGSTKSZ: return "AT_MINSIGSTKSZ";
    default: return NULL;
    }
}

/* Field 28 of /proc/self/stat: the kernel's idea of the initial stack pointer (mm->start_stack). */
static unsigned long long proc_startstack(void)
{
    char buf[2048];
    if (read_file("/proc/self/stat", buf, sizeof buf) <= 0)
        return 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    for (int field = 2; field < 27 && p; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Size of an ELF image from its PT_LOAD headers (vaddr relative to the image start). */
static uint32_t elf_image_size(const Elf32_Ehdr *eh)
{
    const Elf32_Phdr *ph = (const Elf32_Phdr *)((const char *)eh + eh->e_phoff);
    uint32_t size = 0;
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > size)
            size = ph[i].p_vaddr + ph[i].p_memsz;
    return size;
}

static int is_elf32_i386(const Elf32_Ehdr *eh)
{
    return memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS32 &&
           eh->e_machine == EM_386;
}

int main(int argc, char **argv, char **envp)
{
    uint32_t *argcp = (uint32_t *)argv - 1;
    int envc = count_strings(envp), nauxv;
    Elf32_auxv_t *auxv = find_auxv(envp, &nauxv);

    /* Everything the later checks need from the vector. */
    uint32_t random = 0, platform = 0, execfn = 0, sysinfo = 0, ehdr = 0;
    for (int i = 0; i < nauxv; i++) {
        uint32_t v = auxv[i].a_un.a_val;
        switch (auxv[i].a_type) {
        case AT_RANDOM: random = v; break;
        case AT_PLATFORM: platform = v; break;
        case AT_EXECFN: execfn = v; break;
        case AT_SYSINFO: sysinfo = v; break;
        case AT_SYSINFO_EHDR: ehdr = v; break;
        }
    }
    const char *strings_start = argc > 0 ? argv[0] : (envc > 0 ? envp[0] : (char *)(uintptr_t)execfn);

    printf("auxv entries (without AT_NULL): %d\n", nauxv);
    for (int i = 0; i <= nauxv; i++) {
        uint32_t t = auxv[i].a_type, v = auxv[i].a_un.a_val;
        const char *name = at_name(t);
        if (name)
            printf("%s", name);
        else
            printf("AT_%u (unknown, value not printed)\n", t);
        switch (t) {
        case AT_MINSIGSTKSZ: case AT_HWCAP: case AT_PAGESZ: case AT_CLKTCK: case AT_PHENT:
        case AT_PHNUM: case AT_FLAGS: case AT_UID: case AT_EUID: case AT_GID: case AT_EGID:
        case AT_SECURE: case AT_HWCAP2: case AT_HWCAP3: case AT_HWCAP4:
        case AT_RSEQ_FEATURE_SIZE: case AT_RSEQ_ALIGN: case AT_EXECFD: case AT_NULL:
            printf("=0x%x\n", v);
            break;
        case AT_EXECFN:
        case AT_PLATFORM:
        case AT_BASE_PLATFORM:
            printf("=\"%s\"\n", (const char *)(uintptr_t)v);
            break;
        case AT_PHDR:
            printf("\n");
            check("AT_PHDR == &__ehdr_start + e_phoff",
                  v == (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff);
            break;
        case AT_ENTRY:
            printf("\n");
            check("AT_ENTRY == &_start", v == (uintptr_t)_start);
            break;
        case AT_BASE:
            if (v == 0) {
                printf("=0x0\n");
            } else {
                const Elf32_Ehdr *eh = (const Elf32_Ehdr *)(uintptr_t)v;
                printf(" (nonzero)\n");
                check("AT_BASE page aligned", (v & 0xfff) == 0);
                check("AT_BASE points to an i386 ELF32 ET_DYN header",
                      is_elf32_i386(eh) && eh->e_type == ET_DYN);
            }
            break;
        case AT_RANDOM: {
            const unsigned char *r = (const unsigned char *)(uintptr_t)v;
            int nonzero = 0;
            for (int k = 0; k < 16; k++)
                nonzero |= r[k];
            printf("\n");
            check("AT_RANDOM 16 bytes not all zero", nonzero);
            check("AT_RANDOM above the auxv array", v >= (uintptr_t)(auxv + nauxv + 1));
            check("AT_RANDOM bytes end below the argv strings", v + 16 <= (uintptr_t)strings_start);
            break;
        }
        case AT_SYSINFO_EHDR: {
            const Elf32_Ehdr *eh = (const Elf32_Ehdr *)(uintptr_t)v;
            printf("\n");
            check("AT_SYSINFO_EHDR page aligned", (v & 0xfff) == 0);
            check("AT_SYSINFO_EHDR has ELF magic", memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
            printf("  vDSO EI_CLASS=%d (ELFCLASS32=%d) e_machine=%d e_type=%d\n",
                   eh->e_ident[EI_CLASS], ELFCLASS32, eh->e_machine, eh->e_type);
            unsigned long long vs = 0, ve = 0;
            char vname[256] = "";
            check("a /proc/self/maps mapping named [vdso] starts at AT_SYSINFO_EHDR",
                  find_mapping(v, &vs, &ve, vname, sizeof vname) && vs == v &&
                      strcmp(vname, "[vdso]") == 0);
            break;
        }
        case AT_SYSINFO:
            printf("\n");
            if (ehdr) {
                const Elf32_Ehdr *eh = (const Elf32_Ehdr *)(uintptr_t)ehdr;
                check("AT_SYSINFO inside the vDSO image",
                      sysinfo >= ehdr && sysinfo < ehdr + elf_image_size(eh));
                check("AT_SYSINFO == vDSO base + vDSO e_entry", sysinfo == ehdr + eh->e_entry);
            } else {
                check("AT_SYSINFO_EHDR present", 0);
            }
            break;
        default:
            printf(" (value not printed)\n");
            break;
        }
    }

    printf("own ELF header: e_phnum=%d e_type=%d\n", __ehdr_start.e_phnum, __ehdr_start.e_type);
    printf("getauxval:\n");
    {
        int agree = 1;
        for (int i = 0; i < nauxv; i++) {
            /* glibc answers AT_HWCAP from its own dl_hwcap, not from the vector */
            if (auxv[i].a_type == AT_HWCAP)
                continue;
            if (getauxval(auxv[i].a_type) != auxv[i].a_un.a_val)
                agree = 0;
        }
        check("getauxval agrees with the vector after envp's NULL (all but AT_HWCAP)", agree);
    }

    printf("initial stack:\n");
    check("*(&argv[-1]) == argc", *argcp == (uint32_t)argc);
    check("&argc 16-byte aligned", ((uintptr_t)argcp & 15) == 0);
    check("argv == &argc + 4 bytes", (uintptr_t)argv == (uintptr_t)argcp + 4);
    check("envp == &argv[argc + 1]", envp == argv + argc + 1);
    check("/proc/self/stat startstack == &argc", proc_startstack() == (uintptr_t)argcp);
    printf("  __libc_stack_end - &argc = %d\n", (int)((char *)__libc_stack_end - (char *)argcp));
    check("stack pointer in top GiB (&argc >= 0xC0000000)", (uintptr_t)argcp >= 0xC0000000u);

    int contiguous = 1;
    for (int i = 0; i + 1 < argc; i++)
        if (argv[i + 1] != argv[i] + strlen(argv[i]) + 1)
            contiguous = 0;
    check("argv strings contiguous", contiguous);
    const char *after_args = argc > 0 ? argv[argc - 1] + strlen(argv[argc - 1]) + 1 : strings_start;
    if (envc > 0)
        check("envp strings start right after the argv strings", envp[0] == after_args);
    contiguous = 1;
    for (int i = 0; i + 1 < envc; i++)
        if (envp[i + 1] != envp[i] + strlen(envp[i]) + 1)
            contiguous = 0;
    check("envp strings contiguous", contiguous);
    const char *after_env = envc > 0 ? envp[envc - 1] + strlen(envp[envc - 1]) + 1 : after_args;
    check("AT_EXECFN string starts right after the envp strings", (uintptr_t)after_env == execfn);
    check("argv and envp strings above the auxv array",
          (uintptr_t)strings_start >= (uintptr_t)(auxv + nauxv + 1));

    unsigned long long ms = 0, me = 0;
    char mname[256] = "";
    if (find_mapping((uintptr_t)argcp, &ms, &me, mname, sizeof mname)) {
        printf("  mapping containing &argc is named \"%s\"\n", mname);
        check("stack mapping end page aligned", (me & 0xfff) == 0);
        if (execfn && execfn >= ms && execfn < me) {
            const char *p = (const char *)(uintptr_t)execfn;
            const char *q = p + strlen(p) + 1;
            int count = 0, allzero = 1;
            for (; (uintptr_t)q < me; q++, count++)
                if (*q)
                    allzero = 0;
            printf("  bytes after the AT_EXECFN string's NUL up to the stack mapping end: %d\n", count);
            check("those bytes all zero", allzero);
        } else {
            check("AT_EXECFN string inside the stack mapping", 0);
        }
    } else {
        check("&argc found in /proc/self/maps", 0);
    }

    if (platform && random) {
        check("AT_PLATFORM string starts right after the 16 AT_RANDOM bytes", platform == random + 16);
        const char *pe = (const char *)(uintptr_t)platform + strlen((const char *)(uintptr_t)platform) + 1;
        check("AT_PLATFORM string ends below the argv strings", pe <= strings_start);
        /* the kernel's arch_align_stack() inserts a random gap of 0..8191 bytes, rounded to 16 */
        check("gap between AT_PLATFORM string end and argv strings < 8208 bytes",
              strings_start - pe < 8208);
    }

    printf("/proc/self/auxv:\n");
    check("parsed as 32-bit pairs, equals the in-memory auxv (types and values)",
          proc_auxv_equals(auxv, nauxv, NULL));

    return finish_checks();
}
