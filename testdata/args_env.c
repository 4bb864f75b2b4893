/* Checks that argc, argv and envp reach main intact and in order, and that environ == envp. */
#include <stdio.h>
#include <unistd.h>

/* Print s in double quotes; escape quote, backslash and non-printable bytes. */
static void print_quoted(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=", i);
        print_quoted(argv[i]);
        putchar('\n');
    }
    printf("argv[argc] == NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    int n = 0;
    for (char **e = envp; *e; e++, n++) {
        printf("envp[%d]=", n);
        print_quoted(*e);
        putchar('\n');
    }
    printf("envc=%d\n", n);
    printf("environ == envp: %s\n", environ == envp ? "yes" : "no");
    return 0;
}
