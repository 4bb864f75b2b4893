/* Checks file system calls: 1500 files with readdir/stat/rename/unlink, a 5 GiB sparse file, /proc/self/fd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testlib.h"

#define NFILES 1500

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], path2[PATH_MAX + 32];
    _Static_assert(sizeof(off_t) == 8, "needs _FILE_OFFSET_BITS=64");

    umask(022); /* the printed file mode must not depend on the caller's umask */

    /* a fresh directory under argv[1], or under /tmp */
    snprintf(dir, sizeof dir, "%s/elf32-files-XXXXXX", argc > 1 ? argv[1] : "/tmp");
    if (!mkdtemp(dir)) {
        printf("mkdtemp failed: %s\n", strerror(errno));
        return 1;
    }

    /* 1500 files */
    int created = 1;
    for (int i = 0; i < NFILES; i++) {
        snprintf(path, sizeof path, "%s/f%04d", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 || write(fd, "hello\n", 6) != 6)
            created = 0;
        if (fd >= 0)
            close(fd);
    }
    check("created 1500 files", created);

    /* readdir them back */
    DIR *d = opendir(dir);
    char **names = calloc(NFILES + 16, sizeof *names);
    int count = 0, dots = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            dots++;
            continue;
        }
        if (count < NFILES + 16)
            names[count] = strdup(de->d_name);
        count++;
    }
    if (d)
        closedir(d);
    printf("readdir entries: %d (plus %d dot entries)\n", count, dots);
    check("readdir found 1500 files", count == NFILES);
    int sorted_ok = count == NFILES;
    if (sorted_ok) {
        qsort(names, count, sizeof *names, cmp_names);
        for (int i = 0; i < count; i++) {
            char want[16];
            snprintf(want, sizeof want, "f%04d", i);
            if (strcmp(names[i], want) != 0)
                sorted_ok = 0;
        }
    }
    check("sorted names are f0000..f1499", sorted_ok);
    for (int i = 0; i < count && i < NFILES + 16; i++)
        free(names[i]);
    free(names);

    /* stat one */
    struct stat st;
    snprintf(path, sizeof path, "%s/f0042", dir);
    check("stat f0042", stat(path, &st) == 0);
    printf("f0042: regular=%s size=%lld nlink=%ld mode=%o\n", S_ISREG(st.st_mode) ? "yes" : "no",
           (long long)st.st_size, (long)st.st_nlink, (unsigned)(st.st_mode & 07777));

    /* rename */
    snprintf(path2, sizeof path2, "%s/renamed", dir);
    check("rename f0042 -> renamed", rename(path, path2) == 0);
    check("old name gone (ENOENT)", stat(path, &st) == -1 && errno == ENOENT);
    check("new name present, size 6", stat(path2, &st) == 0 && st.st_size == 6);

    /* unlink all, rmdir */
    int unlinked = unlink(path2) == 0;
    for (int i = 0; i < NFILES; i++) {
        if (i == 42)
            continue;
        snprintf(path, sizeof path, "%s/f%04d", dir, i);
        if (unlink(path) != 0)
            unlinked = 0;
    }
    check("unlinked all files", unlinked);

    /* sparse file: 4096 bytes at offset 5 GiB */
    const off_t big = 5LL << 30;
    char wbuf[4096], rbuf[4096];
    for (int i = 0; i < 4096; i++)
        wbuf[i] = (char)(i * 7 + 3);
    snprintf(path, sizeof path, "%s/sparse", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    check("open sparse file", fd >= 0);
    check("pwrite 4096 bytes at 5 GiB", pwrite(fd, wbuf, sizeof wbuf, big) == (ssize_t)sizeof wbuf);
    check("fstat", fstat(fd, &st) == 0);
    printf("sparse size: %lld (expected %lld)\n", (long long)st.st_size, (long long)(big + 4096));
    check("size is 5 GiB + 4096", st.st_size == big + 4096);
    memset(rbuf, 0, sizeof rbuf);
    check("pread back 4096 bytes, same contents",
          pread(fd, rbuf, sizeof rbuf, big) == (ssize_t)sizeof rbuf && memcmp(rbuf, wbuf, sizeof rbuf) == 0);
    static const char zeros[16];
    check("hole reads as zeros", pread(fd, rbuf, 16, big - 16) == 16 && memcmp(rbuf, zeros, 16) == 0);
    check("lseek SEEK_END returns 5 GiB + 4096", lseek(fd, 0, SEEK_END) == big + 4096);
    check("ftruncate to 1 MiB", ftruncate(fd, 1 << 20) == 0 && fstat(fd, &st) == 0 && st.st_size == 1 << 20);
    close(fd);
    check("unlink sparse file", unlink(path) == 0);
    check("rmdir", rmdir(dir) == 0);

    /* /proc/self/fd as a directory */
    int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    check("open /proc/self/fd O_DIRECTORY", dfd >= 0);
    d = dfd >= 0 ? fdopendir(dfd) : NULL;
    int have0 = 0, have1 = 0, have2 = 0, havedfd = 0;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        int n = atoi(de->d_name);
        have0 |= n == 0;
        have1 |= n == 1;
        have2 |= n == 2;
        havedfd |= n == dfd;
    }
    if (d)
        closedir(d);
    check("/proc/self/fd lists 0, 1, 2 and its own descriptor", have0 && have1 && have2 && havedfd);

    return finish_checks();
}
