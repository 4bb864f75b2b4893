/* Prints /proc/self/status as its first act: right after a native exec, VmHWM equals VmRSS. */

// Built with -nostdlib: no libc, no relocations (position independent), so it also links as static-pie.
// A program this small is resident in a few pages: it sees any peak the loader left in VmHWM.

        .section .note.GNU-stack,"",@progbits   // mark the stack non-executable (no READ_IMPLIES_EXEC)

        .text
        .globl  _start
        .type   _start, @function
_start:
        call    1f
1:      popl    %ebp                    // EBP = the address of 1b: data is addressed from it
        subl    $4096, %esp             // the buffer, on the stack
        movl    $5, %eax                // open("/proc/self/status", O_RDONLY)
        leal    (path - 1b)(%ebp), %ebx
        xorl    %ecx, %ecx
        int     $0x80
        testl   %eax, %eax
        js      fail
        movl    %eax, %ebx              // read(fd, buffer, 4096)
        movl    $3, %eax
        movl    %esp, %ecx
        movl    $4096, %edx
        int     $0x80
        testl   %eax, %eax
        jle     fail
        movl    %eax, %edx              // write(1, buffer, what was read)
        movl    $4, %eax
        movl    $1, %ebx
        movl    %esp, %ecx
        int     $0x80
        movl    $1, %eax                // exit(0)
        xorl    %ebx, %ebx
        int     $0x80
fail:
        movl    $1, %eax                // exit(1)
        movl    $1, %ebx
        int     $0x80

path:   .asciz  "/proc/self/status"
