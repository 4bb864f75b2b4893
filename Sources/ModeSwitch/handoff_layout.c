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
_Static_assert(offsetof(struct handoff_block, entry) == 264, "ENTRY");
_Static_assert(offsetof(struct handoff_block, stack_pointer) == 268, "STACK_POINTER");
_Static_assert(offsetof(struct handoff_block, mxcsr) == 272, "MXCSR");
_Static_assert(offsetof(struct handoff_block, failure_message_length) == 276, "FAILURE_LENGTH");
_Static_assert(offsetof(struct handoff_block, failure_message) == 280, "FAILURE_MESSAGE");
