/* Start-up reference: an i386 program without any libc, which exits at its
 * first instruction: what an exec of an i386 program costs by itself, and
 * under elf32-exec, what the loader adds. Built with -m32 -nostdlib -static. */
void _start(void) {
    __asm__ volatile("mov $1, %eax\n\t"   /* exit */
                     "xor %ebx, %ebx\n\t"  /* status 0 */
                     "int $0x80");
}
