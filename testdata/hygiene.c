/* Checks the process state a fresh exec leaves: descriptors, signal dispositions, mask, threads, altstack, personality. */
#include <signal.h>
#include <stdio.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "testlib.h"

/* The kernel's struct sigaction for i386 rt_sigaction (glibc's sigaction() refuses signals 32 and 33). */
struct kernel_sigaction {
    unsigned long handler;
    unsigned long flags;
    unsigned long restorer;
    unsigned int mask[2];
};

int main(void)
{
    /* open descriptors, from /proc/self/fd, without the directory's own */
    print_open_fds();

    /* signal dispositions other than SIG_DFL, queried from the kernel */
    int nondefault = 0;
    for (int sig = 1; sig <= 64; sig++) {
        struct kernel_sigaction ka;
        if (syscall(SYS_rt_sigaction, sig, NULL, &ka, 8) != 0) {
            printf("signal %d: rt_sigaction query failed\n", sig);
            continue;
        }
        if (ka.handler == (unsigned long)SIG_DFL)
            continue;
        nondefault++;
        printf("signal %d: %s\n", sig, ka.handler == (unsigned long)SIG_IGN ? "ignored" : "handler");
    }
    printf("signals not SIG_DFL: %d\n", nondefault);

    /* blocked signal mask, from the kernel */
    unsigned int mask[2] = { 0, 0 };
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, mask, 8);
    printf("blocked signals:");
    int nblocked = 0;
    for (int sig = 1; sig <= 64; sig++)
        if (mask[(sig - 1) / 32] & (1u << ((sig - 1) % 32))) {
            printf(" %d", sig);
            nblocked++;
        }
    printf("%s\n", nblocked ? "" : " none");

    /* pending signals */
    sigset_t pend;
    sigpending(&pend);
    int npending = 0;
    for (int sig = 1; sig <= 64; sig++)
        if (sig != 32 && sig != 33 && sigismember(&pend, sig) == 1)
            npending++;
    printf("pending signals: %d\n", npending);

    /* threads */
    printf("threads: %d\n", count_entries("/proc/self/task"));

    /* alternate signal stack */
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0)
        printf("alternate signal stack: %s\n", (ss.ss_flags & SS_DISABLE) ? "disabled" : "enabled");
    else
        printf("alternate signal stack: query failed\n");

    printf("personality=0x%x\n", (unsigned)personality(0xffffffff));

    /* mappings that are both writable and executable */
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int wx = 0;
    while (f && fgets(line, sizeof line, f)) {
        char perms[8] = "";
        if (sscanf(line, "%*s %7s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x')
            wx++;
    }
    if (f)
        fclose(f);
    printf("writable+executable mappings: %d\n", wx);
    return 0;
}
