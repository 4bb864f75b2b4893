#ifndef ELF32_EXEC_KERNEL_CALLS_H
#define ELF32_EXEC_KERNEL_CALLS_H

// The kernel calls Swift cannot make itself: glibc declares prctl and syscall
// as variadic (Swift imports no variadic C function), and a compat system call
// from 64-bit code needs `int $0x80`. Each returns what the system call
// returns, with glibc's convention: -1 and errno on failure.

#include <stdint.h>
#include <linux/prctl.h>
// Declared here because Swift's Glibc module leaves these headers out.
#include <sys/auxv.h>         // getauxval
#include <sys/personality.h>  // personality
#include <sys/random.h>       // getrandom

/// prctl(PR_SET_MM, PR_SET_MM_MAP, map, sizeof *map, 0).
long kernel_set_mm_map(const struct prctl_mm_map *map);

/// prctl(PR_SET_NAME, name): the task's comm.
long kernel_set_task_name(const char *name);

/// arch_prctl(code, address), e.g. ARCH_MAP_VDSO_32.
long kernel_arch_prctl(int code, uint64_t address);

/// A compat (ia32) mmap2 through `int $0x80` of `length` bytes of PROT_NONE
/// anonymous memory: the kernel places it where it would place a native i386
/// process's mapping, top-down from the compat mmap base. Returns the address.
long kernel_compat_map_probe(uint32_t length);

/// Sets `signal`'s disposition back to SIG_DFL if a handler is installed, as
/// execve does; an ignored signal stays ignored. Uses rt_sigaction directly so
/// that the signals glibc reserves for itself (32, 33) are reset too.
long kernel_reset_signal_handler(int signal);

/// The argc and argv glibc handed the constructors: the loader's own
/// arguments, without Swift's CommandLine, which reads /proc/self/cmdline
/// (and so sees none when no descriptor can be opened).
int loader_argument_count(void);
char **loader_arguments(void);

/// Calls `body`, on a private 8 MiB stack if RLIMIT_STACK is below 1 MiB:
/// the limit is the program's, and the Swift runtime's type lookups need
/// more stack than a tight one leaves. Such a stack lies above 4 GiB, where
/// the handoff unmaps everything.
void run_with_adequate_stack(void (*body)(void));

/// Whether `capability` (e.g. CAP_SYS_ADMIN 21, CAP_CHECKPOINT_RESTORE 40)
/// is in this process's effective set; capget has no glibc wrapper.
int kernel_has_effective_capability(int capability);

/// Unregisters the rseq area glibc registered for the loader's thread, so the
/// kernel stops writing to the loader's memory and the program's libc can
/// register its own. Returns 0 when nothing was registered.
long kernel_unregister_rseq(void);

#endif
