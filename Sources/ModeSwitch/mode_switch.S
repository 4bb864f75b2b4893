// The handoff trampoline (see ModeSwitch.h): copied into an anonymous page
// with its handoff_block right after it, entered with the block in %rdi.
// It unmaps the loader's image, heap and stack first, so it uses no stack,
// no libc, nothing outside its own page: raw system calls only.

// Offsets into struct handoff_block; checked against the C layout in
// handoff_layout.c.
    .equ UNMAP_START, 0
    .equ UNMAP_LENGTH, 8
    .equ MEMORY_MAP, 16
    .equ MEMORY_MAP_SIZE, 104
    .equ EXE_FD, 224
    .equ DROP_CAPABILITIES, 228
    .equ CAPABILITY_HEADER, 232
    .equ CAPABILITY_DATA, 240
    .equ START_IP, 264
    .equ START_SP, 268
    .equ START_EAX, 272
    .equ START_EBX, 276
    .equ START_ECX, 280
    .equ MXCSR, 284
    .equ FAILURE_LENGTH, 288
    .equ FAILURE_MESSAGE, 292
    .equ PEAK_RESET_PATH, 548
    .equ PEAK_RESET_VALUE, 572

// x86-64 system call numbers.
    .equ SYS_write, 1
    .equ SYS_open, 2
    .equ SYS_close, 3
    .equ SYS_munmap, 11
    .equ SYS_capset, 126
    .equ SYS_close_range, 436
    .equ SYS_prctl, 157
    .equ SYS_exit_group, 231
    .equ PR_SET_MM, 35
    .equ PR_SET_MM_MAP, 14
    .equ O_WRONLY, 1

    .text
    .globl  handoff_trampoline_start
    .globl  handoff_trampoline_end
handoff_trampoline_start:
    movq    %rdi, %rbx                  // %rbx = the block; syscall keeps it (it clobbers rcx, r11)

    // The loader: everything above 4 GiB (its image, heap, stack, TLS and
    // what is left of the 64-bit vDSO). From here on only this page runs.
    movl    $SYS_munmap, %eax
    movq    UNMAP_START(%rbx), %rdi
    movq    UNMAP_LENGTH(%rbx), %rsi
    syscall

    // The process memory map, with the program as /proc/self/exe if the
    // kernel allows it (the loader's image is gone now, so no EBUSY).
    xorl    %r12d, %r12d                // r12 = offset of the memory map to try
4:  movl    $SYS_prctl, %eax
    movl    $PR_SET_MM, %edi
    movl    $PR_SET_MM_MAP, %esi
    leaq    MEMORY_MAP(%rbx,%r12), %rdx
    movl    $MEMORY_MAP_SIZE, %r10d
    xorl    %r8d, %r8d
    syscall
    testq   %rax, %rax
    jz      5f                          // set
    addq    $MEMORY_MAP_SIZE, %r12      // refused: try the map without exe_fd
    cmpq    $2*MEMORY_MAP_SIZE, %r12
    jb      4b
    movl    $SYS_write, %eax            // refused both ways: say so and give up
    movl    $2, %edi
    leaq    FAILURE_MESSAGE(%rbx), %rsi
    movl    FAILURE_LENGTH(%rbx), %edx
    syscall
    movl    $SYS_exit_group, %eax
    movl    $126, %edi
    syscall
5:
    // VmHWM still holds the loader's peak: reset it to what is resident now,
    // if asked (a path given). Without /proc (or if refused) it stays as it is.
    movl    $-1, %r12d                  // r12 = the clear_refs descriptor, -1 if none
    cmpb    $0, PEAK_RESET_PATH(%rbx)
    je      6f                          // no reset asked
    movl    $SYS_open, %eax
    leaq    PEAK_RESET_PATH(%rbx), %rdi
    movl    $O_WRONLY, %esi
    syscall
    testl   %eax, %eax
    js      6f                          // no descriptor: nothing to write
    movl    %eax, %r12d
    movl    $SYS_write, %eax
    movl    %r12d, %edi
    leaq    PEAK_RESET_VALUE(%rbx), %rsi
    movl    $1, %edx                    // "5": CLEAR_REFS_MM_HIWATER_RSS
    syscall
6:
    // Close the program file and clear_refs: one close_range when clear_refs
    // got the next descriptor (the usual case), else one close each.
    movslq  EXE_FD(%rbx), %rdi          // rdi = the program file, -1 if none
    testl   %edi, %edi
    js      8f                          // no program file: only clear_refs
    leal    1(%rdi), %eax
    cmpl    %eax, %r12d
    jne     7f                          // not adjacent
    movl    $SYS_close_range, %eax      // close_range(program, clear_refs, 0)
    movl    %r12d, %esi
    xorl    %edx, %edx
    syscall
    testq   %rax, %rax
    jz      9f                          // both closed
    movslq  EXE_FD(%rbx), %rdi          // no close_range (before Linux 5.9): close each
7:
    movl    $SYS_close, %eax            // the program file
    syscall
8:
    testl   %r12d, %r12d
    js      9f
    movl    $SYS_close, %eax            // clear_refs
    movl    %r12d, %edi
    syscall
9:
    cmpl    $0, DROP_CAPABILITIES(%rbx) // capabilities the loader's file gave it
    je      10f
    movl    $SYS_capset, %eax
    leaq    CAPABILITY_HEADER(%rbx), %rdi
    leaq    CAPABILITY_DATA(%rbx), %rsi
    syscall
10:
    // The mode switch. The iretq frame goes just below the 32-bit start's
    // stack pointer, the only stack left.
    movl    START_SP(%rbx), %esp        // zero-extends into %rsp
    fninit                              // x87: control word 0x37f, status 0, all tags empty
    ldmxcsr MXCSR(%rbx)                 // MXCSR 0x1f80: exceptions masked, round to nearest
    pxor    %xmm0, %xmm0                // no SSE register keeps the loader's data (it has
                                        //   no AVX code: the upper halves are still clear)
    pxor    %xmm1, %xmm1
    pxor    %xmm2, %xmm2
    pxor    %xmm3, %xmm3
    pxor    %xmm4, %xmm4
    pxor    %xmm5, %xmm5
    pxor    %xmm6, %xmm6
    pxor    %xmm7, %xmm7
    pxor    %xmm8, %xmm8                // xmm8-15: invisible in 32-bit mode, visible to ptrace
    pxor    %xmm9, %xmm9
    pxor    %xmm10, %xmm10
    pxor    %xmm11, %xmm11
    pxor    %xmm12, %xmm12
    pxor    %xmm13, %xmm13
    pxor    %xmm14, %xmm14
    pxor    %xmm15, %xmm15
    movl    START_IP(%rbx), %eax        // zero-extended start address
    pushq   $0x2b                       // iretq frame, SS: user data selector
    pushq   %rsp                        // RSP: pushes the value before this push...
    addq    $8, (%rsp)                  // ...so correct it back to START_SP
    pushq   $0x202                      // RFLAGS: IF plus the always-one bit 1
    pushq   $0x23                       // CS: 32-bit user code selector
    pushq   %rax                        // RIP: START_IP

    movl    $0x2b, %eax                 // 32-bit code addresses memory through DS and ES,
    movl    %eax, %ds                   //   which are null in a 64-bit process
    movl    %eax, %es
    xorl    %eax, %eax                  // FS and GS null, as a fresh i386 process has them
    movl    %eax, %fs
    movl    %eax, %gs

    movl    START_EAX(%rbx), %eax       // the three start registers (0 when entering
    movl    START_ECX(%rbx), %ecx       //   the program directly)...
    movl    START_EBX(%rbx), %ebx       // ...EBX last: it held the block
    xorl    %edx, %edx                  // every other register 0, as after execve
                                        //   (EDX 0 also means "no rtld_fini" to _start)
    xorl    %esi, %esi
    xorl    %edi, %edi
    xorl    %ebp, %ebp
    xorl    %r8d, %r8d                  // r8-r15 are invisible in 32-bit mode; clear them anyway
    xorl    %r9d, %r9d
    xorl    %r10d, %r10d
    xorl    %r11d, %r11d
    xorl    %r12d, %r12d
    xorl    %r13d, %r13d
    xorl    %r14d, %r14d
    xorl    %r15d, %r15d
    iretq                               // loads CS:RIP, RFLAGS, SS:RSP at once: now in 32-bit mode
handoff_trampoline_end:

    .section .note.GNU-stack, "", @progbits   // this object needs no executable stack
