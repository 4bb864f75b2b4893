#define _GNU_SOURCE
#include "LinuxCalls.h"

#include <sys/prctl.h>
#include <sys/syscall.h>

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

int kernel_has_effective_capability(int capability) {
    struct { uint32_t version; int pid; } header = { 0x20080522, 0 };  // _LINUX_CAPABILITY_VERSION_3
    struct { uint32_t effective, permitted, inheritable; } data[2] = { { 0 } };
    if (syscall(SYS_capget, &header, data) != 0 || capability < 0 || capability >= 64)
        return 0;
    return (data[capability / 32].effective >> (capability % 32)) & 1;
}

uintptr_t process_current_break(void) {
    return (uintptr_t)syscall(SYS_brk, 0);
}

extern char _end[];
extern const char __ehdr_start[];

uintptr_t process_image_start(void) {
    return (uintptr_t)__ehdr_start;
}

uintptr_t process_image_end(void) {
    return (uintptr_t)_end;
}
