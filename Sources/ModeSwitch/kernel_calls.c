#define _GNU_SOURCE
#include "KernelCalls.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

long kernel_set_mm_map(const struct prctl_mm_map *map) {
    return prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)map, sizeof *map, 0);
}

long kernel_set_task_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

long kernel_arch_prctl(int code, uint64_t address) {
    return syscall(SYS_arch_prctl, code, address);
}

long kernel_compat_map_probe(uint32_t length) {
    // mmap2(NULL, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0): the
    // i386 system call numbers and registers; the kernel sees a compat call.
    uint32_t result;
    __asm__ volatile(
        "push %%rbp\n\t"
        "xor %%ebp, %%ebp\n\t"
        "int $0x80\n\t"
        "pop %%rbp"
        : "=a"(result)
        : "a"(192), "b"(0), "c"(length), "d"(0), "S"(0x22), "D"(-1)
        : "memory", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15");
    if (result > 0xfffff000u) {  // -4095..-1: an errno
        errno = -(int32_t)result;
        return -1;
    }
    return result;
}

// The kernel's struct sigaction for rt_sigaction on x86-64.
struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

long kernel_reset_signal_handler(int signal) {
    struct kernel_sigaction action;
    if (syscall(SYS_rt_sigaction, signal, NULL, &action, sizeof action.mask) != 0)
        return -1;
    if (action.handler == SIG_DFL || action.handler == SIG_IGN)
        return 0;
    struct kernel_sigaction reset = { .handler = SIG_DFL };
    return syscall(SYS_rt_sigaction, signal, &reset, NULL, sizeof reset.mask);
}

// Static, not on the stack: when the stack is this tight, the two contexts
// (about 2 KiB) are what would overflow it.
static ucontext_t caller_context, body_context;

void run_with_adequate_stack(void (*body)(void)) {
    enum { TIGHT = 1 << 20, PRIVATE_STACK = 8 << 20 };
    struct rlimit limit;
    if (getrlimit(RLIMIT_STACK, &limit) != 0 || limit.rlim_cur >= TIGHT) {
        body();
        return;
    }
    void *stack = mmap(NULL, PRIVATE_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED || getcontext(&body_context) != 0) {
        body();
        return;
    }
    body_context.uc_stack.ss_sp = stack;
    body_context.uc_stack.ss_size = PRIVATE_STACK;
    body_context.uc_link = &caller_context;  // back here when body returns
    makecontext(&body_context, body, 0);
    swapcontext(&caller_context, &body_context);
    munmap(stack, PRIVATE_STACK);
}

static int saved_argc;
static char **saved_argv;

// glibc calls ELF constructors with (argc, argv, envp), static binaries included.
__attribute__((constructor)) static void save_arguments(int argc, char **argv) {
    saved_argc = argc;
    saved_argv = argv;
}

int loader_argument_count(void) { return saved_argc; }
char **loader_arguments(void) { return saved_argv; }

int kernel_has_effective_capability(int capability) {
    struct { uint32_t version; int pid; } header = { 0x20080522, 0 };  // _LINUX_CAPABILITY_VERSION_3
    struct { uint32_t effective, permitted, inheritable; } data[2] = { { 0 } };
    if (syscall(SYS_capget, &header, data) != 0 || capability < 0 || capability >= 64)
        return 0;
    return (data[capability / 32].effective >> (capability % 32)) & 1;
}

// glibc (2.35+) exports where its rseq area lives relative to the thread pointer.
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

long kernel_unregister_rseq(void) {
    if (&__rseq_size == NULL || __rseq_size == 0)
        return 0;
    enum { RSEQ_FLAG_UNREGISTER = 1, RSEQ_SIGNATURE = 0x53053053, RSEQ_AREA_SIZE = 32 };
    char *area = (char *)__builtin_thread_pointer() + __rseq_offset;
    // glibc registers its whole 32-byte area; __rseq_size may name less.
    long result = syscall(SYS_rseq, area, RSEQ_AREA_SIZE, RSEQ_FLAG_UNREGISTER, RSEQ_SIGNATURE);
    if (result != 0 && errno == EINVAL)
        result = syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIGNATURE);
    return result;
}
