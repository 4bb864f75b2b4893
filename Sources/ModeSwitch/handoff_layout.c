// The trampoline's bounds, and the offsets mode_switch.S uses kept in step
// with struct handoff_block.
#include <stddef.h>
#include "ModeSwitch.h"

extern const uint8_t handoff_trampoline_start[], handoff_trampoline_end[];

const void *handoff_trampoline_code(uint64_t *size) {
    *size = (uint64_t)(handoff_trampoline_end - handoff_trampoline_start);
    return handoff_trampoline_start;
}

_Static_assert(offsetof(struct handoff_block, unmap_start) == 0, "UNMAP_START");
_Static_assert(offsetof(struct handoff_block, unmap_length) == 8, "UNMAP_LENGTH");
_Static_assert(offsetof(struct handoff_block, memory_map) == 16, "MEMORY_MAP");
_Static_assert(sizeof(struct prctl_mm_map) == 104, "MEMORY_MAP_SIZE");
_Static_assert(offsetof(struct handoff_block, exe_fd) == 224, "EXE_FD");
_Static_assert(offsetof(struct handoff_block, drop_capabilities) == 228, "DROP_CAPABILITIES");
_Static_assert(offsetof(struct handoff_block, capability_header) == 232, "CAPABILITY_HEADER");
_Static_assert(offsetof(struct handoff_block, capability_data) == 240, "CAPABILITY_DATA");
_Static_assert(offsetof(struct handoff_block, start_ip) == 264, "START_IP");
_Static_assert(offsetof(struct handoff_block, start_sp) == 268, "START_SP");
_Static_assert(offsetof(struct handoff_block, start_eax) == 272, "START_EAX");
_Static_assert(offsetof(struct handoff_block, start_ebx) == 276, "START_EBX");
_Static_assert(offsetof(struct handoff_block, start_ecx) == 280, "START_ECX");
_Static_assert(offsetof(struct handoff_block, mxcsr) == 284, "MXCSR");
_Static_assert(offsetof(struct handoff_block, failure_message_length) == 288, "FAILURE_LENGTH");
_Static_assert(offsetof(struct handoff_block, failure_message) == 292, "FAILURE_MESSAGE");
_Static_assert(offsetof(struct handoff_block, peak_reset_path) == 548, "PEAK_RESET_PATH");
_Static_assert(offsetof(struct handoff_block, peak_reset_value) == 572, "PEAK_RESET_VALUE");
_Static_assert(offsetof(struct handoff_block, auxv) % 8 == 0, "auxv holds 64-bit words");
