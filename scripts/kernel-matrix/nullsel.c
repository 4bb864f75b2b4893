/* i386 probe: what this kernel's ia32 rt_sigreturn does with a null FS
 * selector. Kernels before the FRED-era fixup_rpl() change OR the RPL bits
 * into every selector, so a frame's FS=0 comes back as 3; later kernels keep
 * 0-3 as given. elf32-exec's handoff returns through rt_sigreturn, so on the
 * older kernels a program starts with FS=GS=3 where natively they are 0.
 * Prints "null selector after sigreturn: N". */
#include <signal.h>
#include <stdio.h>

static void handler(int signal) { (void)signal; }

int main(void) {
    unsigned short fs;
    signal(SIGUSR1, handler);
    __asm__ volatile("mov %0, %%fs" : : "r"(0));  /* the frame saves FS=0 */
    raise(SIGUSR1);
    __asm__ volatile("mov %%fs, %0" : "=r"(fs));
    printf("null selector after sigreturn: %u\n", fs);
    return 0;
}
