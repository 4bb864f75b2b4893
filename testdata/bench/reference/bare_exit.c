/* Start-up reference: an x86-64 program without any libc, which exits at its
 * first instruction. Its start-up is what exec, exit and wait cost by
 * themselves. Built with -nostdlib -static. */
void _start(void) {
    __asm__ volatile("mov $60, %eax\n\t"  /* exit */
                     "xor %edi, %edi\n\t"  /* status 0 */
                     "syscall");
}
