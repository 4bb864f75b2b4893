/* Checks signal delivery: SA_SIGINFO, sigaltstack, SIGSEGV/SIGFPE recovery, itimer SIGALRM, masking. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
#include "testlib.h"

/* ---- SA_SIGINFO for SIGUSR1 ---- */
static volatile sig_atomic_t usr1_signo, usr1_code, usr1_pid_ok;

static void usr1_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    usr1_signo = sig == si->si_signo ? si->si_signo : -1;
    usr1_code = si->si_code;
    usr1_pid_ok = si->si_pid == getpid();
}

/* ---- sigaltstack ---- */
static char *alt_base;
static size_t alt_size;
static volatile sig_atomic_t on_alt, ss_flags_onstack;

static void usr2_alt_handler(int sig)
{
    char local;
    stack_t cur;
    (void)sig;
    on_alt = (uintptr_t)&local >= (uintptr_t)alt_base && (uintptr_t)&local < (uintptr_t)alt_base + alt_size;
    if (sigaltstack(NULL, &cur) == 0)
        ss_flags_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
}

/* ---- SIGSEGV / SIGFPE recovery ---- */
static sigjmp_buf jump_back;
static volatile uintptr_t fault_addr;
static volatile int fault_signo, fault_code;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_signo = sig;
    fault_code = si->si_code;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(jump_back, 1);
}

/* ---- SIGALRM from an interval timer ---- */
static volatile sig_atomic_t alarms;

static void alrm_handler(int sig)
{
    (void)sig;
    alarms++;
}

/* ---- masked delivery ---- */
static volatile sig_atomic_t usr2_count;

static void usr2_count_handler(int sig)
{
    (void)sig;
    usr2_count++;
}

int main(void)
{
    struct sigaction sa;

    /* 1. SA_SIGINFO handler, raise() */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = usr1_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("SIGUSR1 si_signo=%d si_code=%d (SI_TKILL=%d)\n", (int)usr1_signo, (int)usr1_code, SI_TKILL);
    check("SIGUSR1 si_signo == SIGUSR1", usr1_signo == SIGUSR1);
    check("SIGUSR1 si_code == SI_TKILL", usr1_code == SI_TKILL);
    check("SIGUSR1 si_pid == getpid()", usr1_pid_ok);

    /* 2. handler on an alternate signal stack */
    alt_size = 64 * 1024;
    alt_base = malloc(alt_size);
    stack_t ss = { .ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0 };
    check("sigaltstack set", sigaltstack(&ss, NULL) == 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr2_alt_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    check("handler local lies inside the alternate stack", on_alt);
    check("sigaltstack in handler reports SS_ONSTACK", ss_flags_onstack);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(alt_base);

    /* 3. SIGSEGV: write to a PROT_NONE page, recover with siglongjmp */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap PROT_NONE page", page != MAP_FAILED);
    fault_signo = 0;
    if (sigsetjmp(jump_back, 1) == 0) {
        *(volatile char *)(page + 100) = 1;
        printf("write to PROT_NONE page did not fault\n");
        failures++;
    }
    printf("SIGSEGV signo=%d si_code=%d (SEGV_ACCERR=%d)\n", fault_signo, fault_code, SEGV_ACCERR);
    check("SIGSEGV delivered", fault_signo == SIGSEGV);
    check("SIGSEGV si_code == SEGV_ACCERR", fault_code == SEGV_ACCERR);
    check("SIGSEGV si_addr == faulting address", fault_addr == (uintptr_t)page + 100);
    munmap(page, 4096);

    /* 4. SIGFPE: integer division by zero */
    volatile int num = 42, den = 0, quot = 0;
    fault_signo = 0;
    if (sigsetjmp(jump_back, 1) == 0) {
        quot = num / den;
        printf("division by zero did not trap (%d)\n", quot);
        failures++;
    }
    printf("SIGFPE signo=%d si_code=%d (FPE_INTDIV=%d)\n", fault_signo, fault_code, FPE_INTDIV);
    check("SIGFPE delivered", fault_signo == SIGFPE);
    check("SIGFPE si_code == FPE_INTDIV", fault_code == FPE_INTDIV);

    /* 5. setitimer(ITIMER_REAL) every 10 ms, count 5 SIGALRMs */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = alrm_handler;
    sigaction(SIGALRM, &sa, NULL);
    sigset_t block_alrm, old;
    sigemptyset(&block_alrm);
    sigaddset(&block_alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &block_alrm, &old);
    struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
    check("setitimer ITIMER_REAL 10 ms", setitimer(ITIMER_REAL, &it, NULL) == 0);
    while (alarms < 5)
        sigsuspend(&old); /* atomically unblock SIGALRM and wait */
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("SIGALRM count after waiting for 5: %d\n", (int)alarms);

    /* 6. block, raise, pending, unblock delivers */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr2_count_handler;
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t block_usr2, pending;
    sigemptyset(&block_usr2);
    sigaddset(&block_usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block_usr2, NULL);
    raise(SIGUSR2);
    check("blocked SIGUSR2 not delivered", usr2_count == 0);
    sigpending(&pending);
    check("SIGUSR2 pending while blocked", sigismember(&pending, SIGUSR2) == 1);
    sigprocmask(SIG_UNBLOCK, &block_usr2, NULL);
    check("SIGUSR2 delivered once after unblock", usr2_count == 1);
    sigpending(&pending);
    check("nothing pending afterwards", sigismember(&pending, SIGUSR2) == 0);

    return finish_checks();
}
