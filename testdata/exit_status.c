/* Checks exit status propagation: exits with argv[1] via exit(), or via _exit() if argv[2] is "_exit". */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 0;
    if (argc > 2 && strcmp(argv[2], "_exit") == 0)
        _exit(status);
    exit(status);
}
