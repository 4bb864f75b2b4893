// The trampoline's bounds, and the offsets mode_switch.S uses kept in step
// with struct handoff_block.
#include <stddef.h>
#include "ModeSwitch.h"

extern const uint8_t handoff_trampoline_start[], handoff_trampoline_end[];
extern const uint8_t __executable_start[], _end[];

const void *handoff_trampoline_code(uint64_t *size) {
    *size = (uint64_t)(handoff_trampoline_end - handoff_trampoline_start);
    return handoff_trampoline_start;
}

void loader_image_bounds(uint64_t *start, uint64_t *end) {
    *start = (uint64_t)__executable_start;
    *end = (uint64_t)_end;
}

_Static_assert(offsetof(struct handoff_block, unmap) == 0, "UNMAP");
_Static_assert(offsetof(struct handoff_block, heap_start) == 48, "HEAP_START");
_Static_assert(offsetof(struct handoff_block, memory_map) == 56, "MEMORY_MAP");
_Static_assert(sizeof(struct prctl_mm_map) == 104, "MEMORY_MAP_SIZE");
_Static_assert(offsetof(struct handoff_block, exe_fd) == 264, "EXE_FD");
_Static_assert(offsetof(struct handoff_block, drop_capabilities) == 268, "DROP_CAPABILITIES");
_Static_assert(offsetof(struct handoff_block, capability_header) == 272, "CAPABILITY_HEADER");
_Static_assert(offsetof(struct handoff_block, capability_data) == 280, "CAPABILITY_DATA");
_Static_assert(offsetof(struct handoff_block, entry) == 304, "ENTRY");
_Static_assert(offsetof(struct handoff_block, stack_pointer) == 308, "STACK_POINTER");
_Static_assert(offsetof(struct handoff_block, mxcsr) == 312, "MXCSR");
_Static_assert(offsetof(struct handoff_block, failure_message_length) == 316, "FAILURE_LENGTH");
_Static_assert(offsetof(struct handoff_block, failure_message) == 320, "FAILURE_MESSAGE");
