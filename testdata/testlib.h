/* Header-only helpers shared by the i386 test programs in testdata/: check reporting, /proc readers, auxv. */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- checks: one "what: yes/no" line each, then a verdict line ---- */

/* Printed before every check line; a program whose checks sit under headings defines it as "  ". */
#ifndef CHECK_INDENT
#define CHECK_INDENT ""
#endif

__attribute__((unused)) static int failures;

static inline void check(const char *what, int ok)
{
    printf(CHECK_INDENT "%s: %s\n", what, ok ? "yes" : "no");
    if (!ok)
        failures++;
}

/* The last line of a program's output; returns its exit status (1 if any check failed). */
static inline int finish_checks(void)
{
    printf("%s\n", failures ? "SOME CHECKS FAILED" : "all checks passed");
    return failures ? 1 : 0;
}

/* ---- processes and paths ---- */

static inline void print_status(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("%s: exited with %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("%s: status 0x%x\n", what, status);
}

static inline const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Number of entries in a NULL-terminated string vector (argv, envp, environ; NULL counts 0). */
static inline int count_strings(char **v)
{
    int n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* ---- reading files (system calls only: no stdio, no malloc, so the break does not move) ---- */

/* Reads fd to end of file, or until buf holds size - 1 bytes; NUL-terminates; returns the length. */
static inline size_t read_fd(int fd, char *buf, size_t size)
{
    size_t total = 0;
    ssize_t n;
    while (total < size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
        total += n;
    buf[total] = 0;
    return total;
}

/* The whole file into buf (NUL-terminated); returns its length, or -1 (buf empty) if it cannot be opened. */
static inline long read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    buf[0] = 0;
    if (fd < 0)
        return -1;
    size_t total = read_fd(fd, buf, size);
    close(fd);
    return (long)total;
}

/* Splits a NUL-terminated buffer into lines in place: returns the next line without its '\n' and
 * advances *rest, or returns NULL at the end. Use: for (char *rest = buf, *line; (line = next_line(&rest));) */
static inline char *next_line(char **rest)
{
    char *line = *rest;
    if (!line || !*line)
        return NULL;
    char *eol = strchr(line, '\n');
    if (eol)
        *eol = 0;
    *rest = eol ? eol + 1 : NULL;
    return line;
}

/* The /proc/self/maps mapping containing addr: returns 1 and fills its bounds (where start and end
 * are not NULL) and its name ("" for an anonymous one); 0 if there is none. */
static inline int find_mapping(unsigned long long addr, unsigned long long *start, unsigned long long *end,
                               char *name, size_t size)
{
    static char maps[256 * 1024];
    if (read_file("/proc/self/maps", maps, sizeof maps) <= 0)
        return 0;
    for (char *rest = maps, *line; (line = next_line(&rest));) {
        unsigned long long s, e;
        int pos = 0;
        if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &s, &e, &pos) >= 2 && addr >= s && addr < e) {
            if (start)
                *start = s;
            if (end)
                *end = e;
            snprintf(name, size, "%s", pos ? line + pos : "");
            return 1;
        }
    }
    return 0;
}

/* Number of entries in a directory, not counting names that start with '.' (so not "." and ".."). */
static inline int count_entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

static inline int compare_ints(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Prints "open descriptors:" and the sorted numbers in /proc/self/fd, without the directory's own. */
static inline void print_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int fds[1024], nfds = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        if (fd != dirfd(d) && nfds < 1024)
            fds[nfds++] = fd;
    }
    if (d)
        closedir(d);
    qsort(fds, nfds, sizeof fds[0], compare_ints);
    printf("open descriptors:");
    for (int i = 0; i < nfds; i++)
        printf(" %d", fds[i]);
    printf("\n");
}

/* ---- the auxiliary vector ---- */

/* The auxv on the initial stack, right after envp's NULL; *count gets its entries without AT_NULL. */
static inline Elf32_auxv_t *find_auxv(char **envp, int *count)
{
    Elf32_auxv_t *auxv = (Elf32_auxv_t *)(envp + count_strings(envp) + 1);
    int n = 0;
    while (auxv[n].a_type != AT_NULL)
        n++;
    *count = n;
    return auxv;
}

/* Reads /proc/self/auxv as 32-bit (type, value) pairs up to AT_NULL; *pairs (if pairs is not NULL)
 * gets how many it read, AT_NULL included. Returns whether they equal the nauxv entries of auxv and its AT_NULL. */
static inline int proc_auxv_equals(const Elf32_auxv_t *auxv, int nauxv, int *pairs)
{
    static char buf[4096];
    long total = read_file("/proc/self/auxv", buf, sizeof buf);
    int equal = 1, k = 0;
    for (;; k++) {
        if ((k + 1) * 8 > total) {
            equal = 0;
            break;
        }
        uint32_t t, v;
        memcpy(&t, buf + k * 8, 4);
        memcpy(&v, buf + k * 8 + 4, 4);
        if (k > nauxv || t != auxv[k].a_type || v != auxv[k].a_un.a_val)
            equal = 0;
        if (t == AT_NULL)
            break;
    }
    if (pairs)
        *pairs = k + 1;
    return equal && k == nauxv;
}

/* ---- memory ---- */

/* depth + 1 calls with a 1 KiB frame each; returns depth. The work after the call keeps it from
 * becoming a loop. */
__attribute__((noinline, unused)) static int recurse(int depth)
{
    volatile char frame[1024];
    frame[0] = (char)depth;
    frame[1023] = (char)(depth >> 8);
    if (depth == 0)
        return 0;
    return recurse(depth - 1) + (frame[0] == (char)depth && frame[1023] == (char)(depth >> 8));
}

/* Checks a malloc of size bytes (named what), then writes a byte to every page and reads it back. */
static inline void check_malloc_every_page(const char *what, size_t size)
{
    unsigned char *m = malloc(size);
    check(what, m != NULL);
    if (!m)
        return;
    for (size_t off = 0; off < size; off += 4096)
        m[off] = (unsigned char)(off >> 12);
    int ok = 1;
    for (size_t off = 0; off < size; off += 4096)
        if (m[off] != (unsigned char)(off >> 12))
            ok = 0;
    check("every page written and read back", ok);
    free(m);
}

#endif
