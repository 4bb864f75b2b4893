/* A busybox-style multi-call program: applets chosen by basename(argv[0]), the driver re-executing
 * itself through /proc/self/exe as a shell would run a pipeline of applets. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testlib.h"

extern char **environ;

/* applet-upper TEXT: prints TEXT upper-cased, then its environment size and X if set; exits 3 */
static int applet_upper(int argc, char **argv)
{
    const char *text = argc > 1 ? argv[1] : "";
    for (const char *p = text; *p; p++)
        putchar(toupper((unsigned char)*p));
    putchar('\n');
    printf("environment entries: %d\n", count_strings(environ));
    const char *x = getenv("X");
    if (x)
        printf("X=%s\n", x);
    return 3;
}

/* applet-count: reads standard input, prints its byte count and the text; exits 4 */
static int applet_count(void)
{
    static char buf[65536];
    size_t total = read_fd(0, buf, sizeof buf);
    printf("count: %zu bytes\n", total);
    printf("text: %.*s", (int)total, buf);
    if (total == 0 || buf[total - 1] != '\n')
        printf("\n");
    return 4;
}

/* In a child: execve /proc/self/exe with argv and envp; on failure say why and _exit(127). */
static void exec_self(char *const argv[], char *const envp[])
{
    execve("/proc/self/exe", argv, envp);
    fprintf(stderr, "reexec: execve /proc/self/exe as %s failed: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int main(int argc, char **argv)
{
    const char *applet = argc > 0 ? base_name(argv[0]) : "";
    if (strcmp(applet, "applet-upper") == 0)
        return applet_upper(argc, argv);
    if (strcmp(applet, "applet-count") == 0)
        return applet_count();

    /* the driver: applet-upper 'hello world' | applet-count, both through /proc/self/exe */
    printf("pipeline: applet-upper 'hello world' | applet-count\n");
    fflush(stdout);
    int a[2], b[2];
    if (pipe(a) != 0 || pipe(b) != 0) {
        check("pipe", 0);
        return finish_checks();
    }
    pid_t upper = fork();
    if (upper == 0) {
        dup2(a[1], 1);
        close(a[0]), close(a[1]), close(b[0]), close(b[1]);
        char *args[] = { "applet-upper", "hello world", NULL };
        exec_self(args, environ);
    }
    pid_t count = fork();
    if (count == 0) {
        dup2(a[0], 0);
        dup2(b[1], 1);
        close(a[0]), close(a[1]), close(b[0]), close(b[1]);
        char *args[] = { "applet-count", NULL };
        exec_self(args, environ);
    }
    close(a[0]), close(a[1]), close(b[1]);
    static char back[65536];
    size_t total = read_fd(b[0], back, sizeof back);
    close(b[0]);
    int upper_status = -1, count_status = -1;
    check("fork applet-upper", upper > 0);
    check("fork applet-count", count > 0);
    check("waitpid(applet-upper)", upper > 0 && waitpid(upper, &upper_status, 0) == upper);
    check("waitpid(applet-count)", count > 0 && waitpid(count, &count_status, 0) == count);
    printf("came back (%zu bytes):\n%s", total, back);
    if (total == 0 || back[total - 1] != '\n')
        printf("\n");
    print_status("applet-upper", upper_status);
    print_status("applet-count", count_status);
    check("applet-upper exited with 3", WIFEXITED(upper_status) && WEXITSTATUS(upper_status) == 3);
    check("applet-count exited with 4", WIFEXITED(count_status) && WEXITSTATUS(count_status) == 4);
    check("applet-count saw applet-upper's output", strstr(back, "text: HELLO WORLD\n") != NULL);

    /* the driver execs itself directly, with its own small environment */
    printf("direct: applet-upper direct, environment X=1\n");
    fflush(stdout);
    pid_t direct = fork();
    if (direct == 0) {
        char *args[] = { "applet-upper", "direct", NULL };
        char *env[] = { "X=1", NULL };
        exec_self(args, env);
    }
    int direct_status = -1;
    check("fork", direct > 0);
    check("waitpid", direct > 0 && waitpid(direct, &direct_status, 0) == direct);
    print_status("applet-upper", direct_status);
    check("applet-upper exited with 3", WIFEXITED(direct_status) && WEXITSTATUS(direct_status) == 3);

    return finish_checks();
}
