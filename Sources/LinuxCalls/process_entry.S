// The freestanding elf32-exec's ELF entry point (the link sets `-e
// process_entry`): it keeps the stack pointer the kernel started the process
// with, where argc, argv, envp and the auxiliary vector lie exactly as the
// kernel wrote them, then goes on to libc's own entry with every register as
// the kernel left it (%rdx included: the dynamic linker's exit hook, if any).

    .text
    .globl  process_entry
    .type   process_entry, @function
process_entry:
    movq    %rsp, process_initial_stack(%rip)   // PC-relative: no relocation needed yet
    jmp     _start                              // libc's entry (crt1)

    .bss
    .globl  process_initial_stack
    .balign 8
process_initial_stack:
    .quad   0

    .section .note.GNU-stack, "", @progbits     // this object needs no executable stack
