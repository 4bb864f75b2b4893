/* Checks what /proc says about the process: cmdline, environ, exe, comm, the memory-map fields of
 * /proc/self/stat, identity lines of /proc/self/status, tasks, open descriptors, /proc/self/auxv. */
#include <elf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testlib.h"

extern const Elf32_Ehdr __ehdr_start; /* our own ELF header, provided by the linker */
extern char **environ;

/* Strings joined as the kernel stores them: each followed by its NUL. */
static size_t join(char **strings, char *out, size_t size)
{
    size_t len = 0;
    for (; *strings; strings++) {
        size_t n = strlen(*strings) + 1;
        if (len + n > size)
            return (size_t)-1;
        memcpy(out + len, *strings, n);
        len += n;
    }
    return len;
}

static char cmdline[64 * 1024], expected[64 * 1024];

int main(int argc, char **argv, char **envp)
{
    uint32_t *argcp = (uint32_t *)argv - 1; /* the kernel's start_stack: the slot holding argc */
    int envc = count_strings(envp), nauxv;
    Elf32_auxv_t *auxv = find_auxv(envp, &nauxv);
    uint32_t at_phdr = 0, at_phnum = 0;
    for (int i = 0; i < nauxv; i++) {
        if (auxv[i].a_type == AT_PHDR)
            at_phdr = auxv[i].a_un.a_val;
        if (auxv[i].a_type == AT_PHNUM)
            at_phnum = auxv[i].a_un.a_val;
    }

    /* ---- /proc/self/cmdline ---- */
    printf("/proc/self/cmdline:\n");
    long n = read_file("/proc/self/cmdline", cmdline, sizeof cmdline);
    size_t len = join(argv, expected, sizeof expected);
    check("equals argv joined with NULs", n >= 0 && (size_t)n == len && memcmp(cmdline, expected, len) == 0);
    printf("contents (NUL as |): ");
    for (long i = 0; i < n; i++)
        putchar(cmdline[i] ? cmdline[i] : '|');
    printf("\n");

    /* ---- /proc/self/environ ---- */
    printf("/proc/self/environ:\n");
    n = read_file("/proc/self/environ", cmdline, sizeof cmdline);
    len = join(environ, expected, sizeof expected);
    check("equals environ joined with NULs", n >= 0 && (size_t)n == len && memcmp(cmdline, expected, len) == 0);
    printf("environment entries: %d\n", envc);

    /* ---- /proc/self/exe ---- */
    printf("/proc/self/exe:\n");
    char exe[PATH_MAX + 1], real[PATH_MAX];
    ssize_t exelen = readlink("/proc/self/exe", exe, PATH_MAX);
    if (exelen >= 0)
        exe[exelen] = 0;
    check("equals realpath(argv[0])", exelen > 0 && realpath(argv[0], real) && strcmp(exe, real) == 0);

    /* ---- /proc/self/comm ---- */
    printf("/proc/self/comm:\n");
    char comm_expected[16];
    snprintf(comm_expected, sizeof comm_expected, "%s", base_name(argv[0])); /* truncated to 15 bytes */
    char comm[64];
    n = read_file("/proc/self/comm", comm, sizeof comm);
    if (n > 0 && comm[n - 1] == '\n')
        comm[--n] = 0;
    check("equals basename(argv[0]) truncated to 15 bytes", n >= 0 && strcmp(comm, comm_expected) == 0);
    printf("comm: %s\n", comm);

    /* ---- /proc/self/stat ---- */
    printf("/proc/self/stat:\n");
    static char statbuf[4096];
    n = read_file("/proc/self/stat", statbuf, sizeof statbuf);
    char *open_paren = strchr(statbuf, '('), *close_paren = strrchr(statbuf, ')');
    unsigned long long field[53] = { 0 };
    char state = '?';
    int nfields = 2;
    if (n > 0 && open_paren && close_paren && close_paren > open_paren) {
        *close_paren = 0;
        check("field 2 (comm) as above", strcmp(open_paren + 1, comm_expected) == 0);
        char *p = close_paren + 1;
        while (*p == ' ')
            p++;
        state = *p;
        nfields = 3;
        p = strchr(p, ' ');
        while (p && nfields < 52) {
            nfields++;
            field[nfields] = strtoull(p + 1, NULL, 10); /* negative fields wrap; none used are */
            p = strchr(p + 1, ' ');
        }
    } else {
        check("readable and parsable", 0);
    }
    printf("fields: %d\n", nfields);
    printf("state: %c\n", state);

    /* the text and data bounds the kernel's load_elf_binary records, from our own program headers */
    const Elf32_Phdr *ph = (const Elf32_Phdr *)(uintptr_t)at_phdr;
    uint32_t phdr_vaddr = 0;
    int have_phdr_vaddr = 0;
    for (uint32_t i = 0; ph && i < at_phnum; i++)
        if (ph[i].p_type == PT_PHDR) {
            phdr_vaddr = ph[i].p_vaddr;
            have_phdr_vaddr = 1;
        }
    for (uint32_t i = 0; ph && !have_phdr_vaddr && i < at_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= __ehdr_start.e_phoff &&
            __ehdr_start.e_phoff < ph[i].p_offset + ph[i].p_filesz) {
            phdr_vaddr = ph[i].p_vaddr + (__ehdr_start.e_phoff - ph[i].p_offset);
            have_phdr_vaddr = 1;
        }
    uint32_t bias = at_phdr - phdr_vaddr;
    check("load bias from AT_PHDR agrees with __ehdr_start",
          have_phdr_vaddr && (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff == at_phdr);
    uint32_t start_code = ~0u, end_code = 0, start_data = 0, end_data = 0;
    for (uint32_t i = 0; ph && i < at_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        uint32_t lo = ph[i].p_vaddr, hi = ph[i].p_vaddr + ph[i].p_filesz;
        if ((ph[i].p_flags & PF_X) && lo < start_code)
            start_code = lo;
        if ((ph[i].p_flags & PF_X) && hi > end_code)
            end_code = hi;
        if (lo > start_data)
            start_data = lo;
        if (hi > end_data)
            end_data = hi;
    }
    start_code += bias, end_code += bias, start_data += bias, end_data += bias;

    check("startcode (26) == lowest PF_X p_vaddr + bias", field[26] == start_code);
    check("endcode (27) == highest PF_X p_vaddr + p_filesz + bias", field[27] == end_code);
    check("startstack (28) == &argc", field[28] == (uintptr_t)argcp);
    char name[256] = "";
    check("startstack inside the mapping named [stack]",
          find_mapping(field[28], NULL, NULL, name, sizeof name) && strcmp(name, "[stack]") == 0);
    check("start_data (45) == highest PT_LOAD p_vaddr + bias", field[45] == start_data);
    check("end_data (46) == highest PT_LOAD p_vaddr + p_filesz + bias", field[46] == end_data);
    uintptr_t brk_now = (uintptr_t)sbrk(0);
    check("start_brk (47) <= sbrk(0) < start_brk + 1 MiB", field[47] <= brk_now && brk_now < field[47] + (1u << 20));
    const char *last_arg = argv[argc - 1], *last_env = envc ? envp[envc - 1] : NULL;
    check("arg_start (48) == argv[0]", field[48] == (uintptr_t)argv[0]);
    check("arg_end (49) == one past the last argv string's NUL", field[49] == (uintptr_t)(last_arg + strlen(last_arg) + 1));
    if (envc) {
        check("env_start (50) == envp[0]", field[50] == (uintptr_t)envp[0]);
        check("env_end (51) == one past the last envp string's NUL", field[51] == (uintptr_t)(last_env + strlen(last_env) + 1));
    } else {
        check("env_start (50) == env_end (51) == arg_end", field[50] == field[49] && field[51] == field[49]);
    }

    /* ---- /proc/self/status ---- */
    printf("/proc/self/status:\n");
    static char status[16 * 1024];
    n = read_file("/proc/self/status", status, sizeof status);
    check("readable", n > 0);
    int threads_one = 0, name_ok = 0;
    for (char *rest = status, *line; (line = next_line(&rest));) {
        if (strncmp(line, "Name:\t", 6) == 0)
            name_ok = strcmp(line + 6, comm_expected) == 0;
        if (strcmp(line, "Threads:\t1") == 0)
            threads_one = 1;
        static const char *const shown[] = { "Threads:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:",
                                             "CapAmb:", "NoNewPrivs:", "Seccomp:" };
        for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
            if (strncmp(line, shown[i], strlen(shown[i])) == 0)
                printf("%s\n", line);
    }
    check("Name: equals comm", name_ok);
    check("Threads:\\t1", threads_one);

    /* ---- /proc/self/task ---- */
    printf("/proc/self/task:\n");
    int tasks = count_entries("/proc/self/task");
    printf("entries: %d\n", tasks);
    check("one task", tasks == 1);

    /* ---- open descriptors, without the directory's own ---- */
    printf("/proc/self/fd:\n");
    print_open_fds();

    /* ---- /proc/self/auxv ---- */
    printf("/proc/self/auxv:\n");
    int pairs;
    int equal = proc_auxv_equals(auxv, nauxv, &pairs);
    printf("pairs (with AT_NULL): %d\n", pairs);
    check("parsed as 32-bit pairs, equals the in-memory auxv", equal);

    return finish_checks();
}
