#ifndef ELF32_EXEC_LINUX_CALLS_H
#define ELF32_EXEC_LINUX_CALLS_H

// The libc and kernel calls the loader's Swift code makes. Embedded Swift has
// no Glibc module, so both builds import this instead: the freestanding one
// links musl, the ordinary one glibc. The structures used here are the
// kernel's x86-64 ones, which both libcs share. Functions are declared
// here only where Swift cannot call libc itself: variadic functions (open,
// prctl, syscall), errno (a macro), and the compat system call (`int $0x80`).
// Each returns what the call returns: -1 and errno on failure.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/prctl.h>

/// errno, which libc defines as a macro.
static inline int linux_errno(void) { return errno; }

/// open(path, flags, mode): variadic in libc, and made directly: musl's
/// adds an fcntl(F_SETFD) to every O_CLOEXEC open, for kernels before 2.6.23.
static inline int linux_open(const char *path, int flags, unsigned mode) {
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

/// openat(directory, path, flags, mode), as linux_open.
static inline int linux_openat(int directory, const char *path, int flags, unsigned mode) {
    return (int)syscall(SYS_openat, directory, path, flags, mode);
}

/// The stack pointer the kernel started the process with: argc, argv, NULL,
/// envp, NULL, auxv. Saved by process_entry (process_entry.S) before libc's
/// start-up runs; null in a process that did not enter there (tests).
extern const uintptr_t *process_initial_stack;

/// brk(0): where the break is. In the freestanding loader that is still
/// where the kernel started it: its malloc (loader_heap.c) never moves it.
uintptr_t process_current_break(void);

/// Where this executable's image starts (its ELF header, the linker's
/// `__ehdr_start`): a static PIE's load address.
uintptr_t process_image_start(void);

/// The end of this executable's image (the linker's `_end`): where the kernel
/// starts the brk of a static PIE it did not move.
uintptr_t process_image_end(void);

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

/// Whether `capability` (e.g. CAP_SYS_ADMIN 21, CAP_CHECKPOINT_RESTORE 40)
/// is in this process's effective set; capget has no libc wrapper.
int kernel_has_effective_capability(int capability);

#endif
