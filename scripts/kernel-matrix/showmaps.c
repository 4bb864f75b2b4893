/* i386 helper (informational, not compared): prints /proc/self/maps with each
 * mapping's smaps VmFlags, then the auxv entry types, so the matrix can show
 * what a kernel gives a native i386 process and a loaded one. */
#include <stdio.h>
#include <string.h>

int main(void) {
    char line[512], range[128] = "";
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) { perror("smaps"); return 1; }
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmFlags:", 8) == 0) {
            line[strcspn(line, "\n")] = 0;
            printf("%s  [%s ]\n", range, line + 8);
        } else {
            /* a mapping's header: its first word is START-END */
            size_t word = strcspn(line, " ");
            char *dash = memchr(line, '-', word);
            if (dash && !memchr(line, ':', word))
                snprintf(range, sizeof range, "%.*s", (int)strcspn(line, "\n"), line);
        }
    }
    fclose(f);
    unsigned int a[2];
    f = fopen("/proc/self/auxv", "rb");
    printf("auxv types:");
    while (f && fread(a, sizeof a, 1, f) == 1 && a[0]) printf(" %u", a[0]);
    printf("\n");
    return 0;
}
