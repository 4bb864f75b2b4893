/* runas UID GID PROGRAM [ARGS...]: drops every supplementary group, sets the
 * real, effective and saved gid and uid, then execs PROGRAM (no PATH search).
 * The guest's busybox has no setpriv --reuid; built static by kernel-matrix.sh. */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: runas UID GID PROGRAM [ARGS...]\n"); return 2; }
    uid_t uid = (uid_t)strtoul(argv[1], 0, 10);
    gid_t gid = (gid_t)strtoul(argv[2], 0, 10);
    if (setgroups(0, 0) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) { perror("runas"); return 125; }
    execv(argv[3], argv + 3);
    perror(argv[3]);
    return 127;
}
