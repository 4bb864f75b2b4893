/* Checks the register state handed to _start: GPRs, EFLAGS, selectors, x87 CW/SW/TW, MXCSR, ESP%16, argc. */

// Built with -nostdlib: no libc, no relocations (position independent), so it also links as static-pie.
// Output lines are "NAME=0x%08x", written with the int $0x80 write system call.

        .section .note.GNU-stack,"",@progbits   // mark the stack non-executable (no READ_IMPLIES_EXEC)

        .text
        .globl  _start
        .type   _start, @function
_start:
        // ---- Save everything before any instruction can change it. ----
        pushfl                          // EFLAGS (push changes neither flags nor registers)
        pushl   %eax                    // general registers, in a fixed order
        pushl   %ebx
        pushl   %ecx
        pushl   %edx
        pushl   %esi
        pushl   %edi
        pushl   %ebp
        movl    %cs, %eax               // EAX is saved, so use it to read selectors;
        pushl   %eax                    // a 32-bit mov from a selector zero-extends
        movl    %ds, %eax
        pushl   %eax
        movl    %es, %eax
        pushl   %eax
        movl    %fs, %eax
        pushl   %eax
        movl    %gs, %eax
        pushl   %eax
        movl    %ss, %eax
        pushl   %eax
        pushl   $0                      // zeroed slot for the 16-bit x87 control word
        fnstcw  (%esp)                  // x87 control word
        subl    $28, %esp               // room for the 28-byte protected-mode x87 environment
        fnstenv (%esp)                  // CW at +0, SW at +4, TW at +8 (this also masks x87 exceptions)
        pushl   $0                      // slot for MXCSR
        stmxcsr (%esp)                  // SSE control/status register
        movl    %esp, %ebp              // EBP = base of the saved frame (offsets below)
        cld                             // string instructions count upwards from here on

// Frame layout relative to EBP (entry ESP = EBP + 92):
//   0 MXCSR | 4 env CW | 8 env SW | 12 env TW | 16..31 rest of env | 32 FNSTCW | 36 SS | 40 GS
//  44 FS | 48 ES | 52 DS | 56 CS | 60 EBP | 64 EDI | 68 ESI | 72 EDX | 76 ECX | 80 EBX | 84 EAX
//  88 EFLAGS | 92 argc (what ESP pointed to at entry)

// PRINT_EAX name: print "name=0x" followed by EAX as 8 hex digits and a newline.
.macro PRINT_EAX name
        call    8f                      // pushes the address of the string below, skips over it
7:      .ascii  "\name=0x"              // the line prefix, stored inline in .text
8:      popl    %esi                    // ESI = address of the prefix
        movl    $(8b - 7b), %ecx        // ECX = length of the prefix
        call    print_line              // print prefix + hex(EAX) + "\n"
.endm

// REG name, offset, mask: print the saved value at offset(EBP), ANDed with mask.
.macro REG name, off, mask=0xffffffff
        movl    \off(%ebp), %eax        // load the saved value
        andl    $\mask, %eax            // selectors and x87 words are 16 bits wide
        PRINT_EAX "\name"
.endm

        REG     "EAX", 84
        REG     "EBX", 80
        REG     "ECX", 76
        REG     "EDX", 72
        REG     "ESI", 68
        REG     "EDI", 64
        REG     "EBP", 60
        REG     "EFLAGS", 88
        REG     "CS", 56, 0xffff
        REG     "DS", 52, 0xffff
        REG     "ES", 48, 0xffff
        REG     "FS", 44, 0xffff
        REG     "GS", 40, 0xffff
        REG     "SS", 36, 0xffff
        REG     "FPU_CW", 32, 0xffff
        REG     "FPU_SW", 8, 0xffff
        REG     "FPU_TW", 12, 0xffff
        REG     "MXCSR", 0
        leal    92(%ebp), %eax          // EAX = ESP at entry
        andl    $15, %eax               // keep its low 4 bits
        PRINT_EAX "ESP%16"
        REG     "[ESP]", 92             // argc, the word ESP pointed to at entry

        movl    $1, %eax                // __NR_exit (i386)
        xorl    %ebx, %ebx              // status 0
        int     $0x80                   // does not return
        hlt                             // (never reached)

// print_line: ESI = prefix, ECX = prefix length (< 20), EAX = value. Clobbers EAX-EDI except EBP.
        .type   print_line, @function
print_line:
        subl    $32, %esp               // line buffer on the stack
        movl    %esp, %edi              // EDI = write position
        rep movsb                       // copy ECX prefix bytes from ESI to EDI
        movl    $8, %ecx                // 8 hex digits, most significant first
1:      roll    $4, %eax                // rotate the next nibble into the low 4 bits
        movl    %eax, %edx
        andl    $15, %edx               // EDX = nibble 0..15
        cmpl    $10, %edx
        jb      2f                      // 0..9 -> '0'..'9'
        addl    $('a' - '0' - 10), %edx // 10..15 -> 'a'..'f'
2:      addl    $'0', %edx
        movb    %dl, (%edi)             // store the digit
        incl    %edi
        decl    %ecx
        jnz     1b                      // next nibble
        movb    $'\n', (%edi)           // end of line
        incl    %edi
        movl    %edi, %edx              // EDX = length = end - start
        subl    %esp, %edx
        movl    %esp, %ecx              // ECX = buffer
        movl    $1, %ebx                // EBX = fd 1 (stdout)
        movl    $4, %eax                // __NR_write (i386)
        int     $0x80                   // write(1, buffer, length)
        addl    $32, %esp               // drop the buffer
        ret
