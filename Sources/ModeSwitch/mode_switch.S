// mode_switch_enter_compat(uint32_t entry /* %edi */, uint32_t stack /* %esi */)
// Leaves 64-bit mode for the i386 program; never returns. See ModeSwitch.h.

    .text
    .globl  mode_switch_enter_compat
    .type   mode_switch_enter_compat, @function
mode_switch_enter_compat:
    fninit                      // x87: control word 0x37f, status 0, all tags empty
    pushq   $0x1f80             // MXCSR default: all exceptions masked, round to nearest
    ldmxcsr (%rsp)              // load it from the stack slot
    addq    $8, %rsp            // drop the slot
    pxor    %xmm0, %xmm0        // no SSE register keeps the loader's data
    pxor    %xmm1, %xmm1
    pxor    %xmm2, %xmm2
    pxor    %xmm3, %xmm3
    pxor    %xmm4, %xmm4
    pxor    %xmm5, %xmm5
    pxor    %xmm6, %xmm6
    pxor    %xmm7, %xmm7

    movl    %edi, %edi          // zero-extend entry to 64 bits
    movl    %esi, %esi          // zero-extend stack to 64 bits
    pushq   $0x2b               // iretq frame, SS: user data selector
    pushq   %rsi                // RSP: the i386 initial stack (argc on top)
    pushq   $0x202              // RFLAGS: IF plus the always-one bit 1
    pushq   $0x23               // CS: 32-bit user code selector
    pushq   %rdi                // RIP: the program's (or interpreter's) entry

    movl    $0x2b, %eax         // 32-bit code addresses memory through DS and ES,
    movl    %eax, %ds           //   which are null in a 64-bit process
    movl    %eax, %es
    xorl    %eax, %eax          // FS and GS null, as a fresh i386 process has them
    movl    %eax, %fs
    movl    %eax, %gs

    xorl    %ebx, %ebx          // every general register 0, as after execve
    xorl    %ecx, %ecx          //   (EDX 0 also means "no rtld_fini" to _start)
    xorl    %edx, %edx
    xorl    %esi, %esi
    xorl    %edi, %edi
    xorl    %ebp, %ebp
    xorl    %r8d, %r8d          // r8-r15 are invisible in 32-bit mode; clear them anyway
    xorl    %r9d, %r9d
    xorl    %r10d, %r10d
    xorl    %r11d, %r11d
    xorl    %r12d, %r12d
    xorl    %r13d, %r13d
    xorl    %r14d, %r14d
    xorl    %r15d, %r15d
    iretq                       // loads CS:RIP, RFLAGS, SS:RSP at once: now in 32-bit mode
    .size   mode_switch_enter_compat, . - mode_switch_enter_compat

    .section .note.GNU-stack, "", @progbits   // this object needs no executable stack
