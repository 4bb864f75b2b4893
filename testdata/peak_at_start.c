/* Prints the VmHWM and VmRSS lines of /proc/self/status from the earliest code a libc program can
 * run: an IFUNC resolver (static: before libc's own start-up; dynamic: while ld.so relocates).
 * After a native exec the two are equal there. Raw int $0x80 calls only: libc is not ready yet. */

static char status[8192];

static int system_call(int number, int a, int b, int c) {
    int result;
    __asm__ volatile("int $0x80" : "=a"(result) : "a"(number), "b"(a), "c"(b), "d"(c) : "memory");
    return result;
}

static void print_peak_and_resident(void) {
    int fd = system_call(5, (int)"/proc/self/status", 0, 0);  // open
    int n = fd < 0 ? 0 : system_call(3, fd, (int)status, sizeof status - 1);  // read
    if (fd >= 0) system_call(6, fd, 0, 0);  // close
    for (int i = 0; i < n; i++) {
        int start = i;
        while (i < n && status[i] != '\n') i++;
        if (i - start > 5 && status[start] == 'V' && status[start + 1] == 'm' &&
            ((status[start + 2] == 'H' && status[start + 3] == 'W') || (status[start + 2] == 'R' && status[start + 3] == 'S')))
            system_call(4, 1, (int)&status[start], i - start + 1);  // write the line
    }
}

static int answer(void) { return 0; }

static int (*resolve_answer(void))(void) {
    print_peak_and_resident();
    return answer;
}

int resolved_answer(void) __attribute__((ifunc("resolve_answer")));

int main(void) { return resolved_answer(); }
