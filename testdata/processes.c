/* Checks process creation: fork, vfork, posix_spawn and execve of itself, and a 1 MiB pipe transfer. */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testlib.h"

#define PIPE_BYTES (1024 * 1024)

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 131 + (i >> 9));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        printf("child ok\n");
        return 5;
    }
    if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
        printf("exec child ok\n");
        return 0;
    }

    int status;
    pid_t pid;

    /* fork: the child exits 7 */
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(7);
    check("fork", pid > 0);
    check("waitpid(fork child)", waitpid(pid, &status, 0) == pid);
    print_status("fork child", status);

    /* vfork: the child _exits 9 */
    fflush(stdout);
    pid = vfork();
    if (pid == 0)
        _exit(9);
    check("vfork", pid > 0);
    check("waitpid(vfork child)", waitpid(pid, &status, 0) == pid);
    print_status("vfork child", status);

    /* posix_spawn of our own argv[0] in "child" mode: prints "child ok", exits 5 */
    char *spawn_argv[] = { argv[0], "child", NULL };
    fflush(stdout);
    int rc = posix_spawn(&pid, argv[0], NULL, NULL, spawn_argv, environ);
    pid_t waited = rc == 0 ? waitpid(pid, &status, 0) : -1; /* wait before printing: keeps the order */
    check("posix_spawn", rc == 0);
    if (rc == 0) {
        check("waitpid(spawned child)", waited == pid);
        print_status("spawned child", status);
    }

    /* pipe: a forked child writes 1 MiB, the parent reads it and compares a checksum */
    int fds[2];
    check("pipe", pipe(fds) == 0);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        static unsigned char buf[PIPE_BYTES];
        close(fds[0]);
        for (size_t i = 0; i < PIPE_BYTES; i++)
            buf[i] = pattern(i);
        size_t off = 0;
        while (off < PIPE_BYTES) {
            ssize_t n = write(fds[1], buf + off, PIPE_BYTES - off);
            if (n <= 0)
                _exit(1);
            off += n;
        }
        _exit(0);
    }
    close(fds[1]);
    uint32_t sum = 2166136261u, expected = 2166136261u;
    size_t got = 0, mismatches = 0;
    unsigned char chunk[65536];
    ssize_t n;
    while ((n = read(fds[0], chunk, sizeof chunk)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (chunk[i] != pattern(got + i))
                mismatches++;
            sum = (sum ^ chunk[i]) * 16777619u; /* FNV-1a */
        }
        got += n;
    }
    close(fds[0]);
    for (size_t i = 0; i < PIPE_BYTES; i++)
        expected = (expected ^ pattern(i)) * 16777619u;
    waitpid(pid, &status, 0);
    print_status("pipe writer child", status);
    printf("pipe bytes received: %zu, checksum 0x%08x (expected 0x%08x)\n", got, sum, expected);
    check("pipe transfer intact", got == PIPE_BYTES && sum == expected && mismatches == 0);

    /* execve of our own argv[0] in "exec-child" mode: replaces this process, exits 0 */
    if (failures) {
        printf("SOME CHECKS FAILED\n");
        return 1;
    }
    printf("all checks passed, now execve\n");
    char *exec_argv[] = { argv[0], "exec-child", NULL };
    fflush(stdout);
    execve(argv[0], exec_argv, environ);
    printf("execve failed\n");
    return 1;
}
