#ifndef ELF32_EXEC_MODE_SWITCH_H
#define ELF32_EXEC_MODE_SWITCH_H

#include <stdint.h>

#include "KernelCalls.h"

/// Leaves 64-bit mode for good: enters 32-bit compatibility mode (CS 0x23) at
/// `entry` with the stack pointer `stack`, in the state a native i386 exec gives
/// `_start`: DS/ES/SS 0x2b, FS/GS 0, every general register 0, EFLAGS 0x202,
/// x87 reset (control word 0x37f), MXCSR 0x1f80, XMM registers zeroed.
/// Implemented in mode_switch.S.
__attribute__((noreturn))
void mode_switch_enter_compat(uint32_t entry, uint32_t stack);

#endif
