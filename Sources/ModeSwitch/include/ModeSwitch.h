#ifndef ELF32_EXEC_MODE_SWITCH_H
#define ELF32_EXEC_MODE_SWITCH_H

#include <stdint.h>
#include <linux/prctl.h>

/// Everything the handoff trampoline needs, laid out right after its code in
/// one anonymous page. By the time the trampoline reads it, the loader's
/// image, heap and stack are gone: nothing here may point into them.
struct handoff_block {
    /// The loader's memory, all of it above 4 GiB (image, heap, stack,
    /// TLS, 64-bit vDSO): unmapped as [start, start + length).
    uint64_t unmap_start, unmap_length;
    /// The process memory map to set: first with exe_fd, then, should the
    /// kernel refuse that (no CAP_CHECKPOINT_RESTORE), without it.
    struct prctl_mm_map memory_map[2];
    /// The program file, closed after the prctl; -1 if none.
    int32_t exe_fd;
    /// Drop every capability before the jump (the loader's file capabilities).
    uint32_t drop_capabilities;
    struct { uint32_t version; int32_t pid; } capability_header;
    struct { uint32_t effective, permitted, inheritable; } capability_data[2];
    /// Where 32-bit mode starts, its stack pointer, and the three registers
    /// that need not start at 0 (Handoff.Ending): the vDSO's system call
    /// making munmap from 0 to the end of this page (EAX the call, EBX 0, ECX
    /// the length) with the stack pointer on what the landing pad pops
    /// before it returns to the entry; or __kernel_vsyscall making munmap of
    /// this page (EBX the page, ECX its size) with the stack pointer on a
    /// StartFrame, which rt_sigreturn turns into the program's start; or the
    /// program's entry and initial stack (all three 0).
    uint32_t start_ip;
    uint32_t start_sp;
    uint32_t start_eax, start_ebx, start_ecx;
    uint32_t mxcsr;
    /// Written to standard error, followed by exit status 126, if the process
    /// memory map cannot be set at all.
    uint32_t failure_message_length;
    char failure_message[256];
    /// "/proc/self/clear_refs" and "5": resets VmHWM, the peak the loader's
    /// own pages set, to what is resident once they are gone; an empty path:
    /// no reset.
    char peak_reset_path[24];
    char peak_reset_value[4];
    /// The auxiliary vector memory_map[*].auxv points to.
    uint8_t auxv[512];
};

/// The block's copy of the auxiliary vector, where memory_map[*].auxv points.
static inline uint64_t *handoff_block_auxv(struct handoff_block *block) {
    return (uint64_t *)block->auxv;
}

/// The trampoline's code (mode_switch.S): position independent, to be copied
/// into its own page, `*size` bytes. Entered with the block's address, it
/// unmaps the loader, sets the process memory
/// map, resets VmHWM if asked, closes the program file, drops capabilities if asked,
/// and enters 32-bit compatibility mode (CS 0x23) at `start_ip` with
/// DS/ES/SS 0x2b, FS/GS 0, general registers 0 but the three start_*
/// ones, EFLAGS 0x202, x87 reset (control word 0x37f), MXCSR 0x1f80, XMM
/// registers (all 16) zeroed: the state a native i386 exec gives `_start`. It never
/// returns.
const void *handoff_trampoline_code(uint64_t *size);

#endif
