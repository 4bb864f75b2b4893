// Runs argv[1] with the rest of argv through execve, as a shell's exec would:
// used to check that a program started by another i386 program (and so,
// under binfmt_misc, by another elf32-exec) sees what it would natively.
#include <stdio.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: launch PROGRAM [ARGS...]\n");
        return 2;
    }
    execve(argv[1], argv + 1, environ);
    perror("launch: execve");
    return 127;
}
