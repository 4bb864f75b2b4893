/* Checks epoll on a stream socketpair, SCM_RIGHTS fd passing over a datagram socketpair, poll and select. */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testlib.h"

#define NMESSAGES 100
#define COOKIE 0x1122334455667788ULL

static int make_message(char *buf, int i)
{
    /* message i is i+10 bytes long: "msg<i>:" then filler letters */
    int len = i + 10;
    int n = snprintf(buf, len + 1, "msg%03d:", i);
    for (int k = n; k < len; k++)
        buf[k] = 'a' + (i + k) % 26;
    return len;
}

int main(void)
{
    /* ---- epoll on a SOCK_STREAM socketpair ---- */
    int sv[2];
    check("socketpair(AF_UNIX, SOCK_STREAM)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    check("epoll_create1", ep >= 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = COOKIE };
    check("epoll_ctl ADD EPOLLIN", epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) == 0);
    struct epoll_event out[4];
    check("epoll_wait with nothing to read returns 0", epoll_wait(ep, out, 4, 0) == 0);

    int ok_events = 1, ok_sizes = 1, ok_contents = 1;
    for (int i = 0; i < NMESSAGES; i++) {
        char msg[128], got[128];
        int len = make_message(msg, i);
        if (write(sv[0], msg, len) != len)
            ok_sizes = 0;
        memset(out, 0, sizeof out);
        int n = epoll_wait(ep, out, 4, 1000);
        if (n != 1 || out[0].events != EPOLLIN || out[0].data.u64 != COOKIE)
            ok_events = 0;
        ssize_t r = read(sv[1], got, sizeof got);
        if (r != len)
            ok_sizes = 0;
        else if (memcmp(got, msg, len) != 0)
            ok_contents = 0;
    }
    check("100 epoll_wait calls: 1 event, EPOLLIN, 64-bit data intact", ok_events);
    check("100 messages read with the written sizes, in order", ok_sizes);
    check("100 messages contents match", ok_contents);
    check("nothing left afterwards", epoll_wait(ep, out, 4, 0) == 0);

    /* a burst: all 100 written first, then read back as one byte stream */
    char all[NMESSAGES * 128], got_all[NMESSAGES * 128];
    size_t total = 0;
    for (int i = 0; i < NMESSAGES; i++) {
        int len = make_message(all + total, i);
        if (write(sv[0], all + total, len) != len)
            ok_sizes = 0;
        total += len;
    }
    size_t have = 0;
    while (have < total && epoll_wait(ep, out, 4, 1000) == 1) {
        ssize_t r = read(sv[1], got_all + have, sizeof got_all - have);
        if (r <= 0)
            break;
        have += r;
    }
    printf("burst: wrote %zu bytes, read %zu\n", total, have);
    check("burst stream intact", have == total && memcmp(all, got_all, total) == 0);
    close(ep);
    close(sv[0]);
    close(sv[1]);

    /* ---- SCM_RIGHTS over a SOCK_DGRAM socketpair ---- */
    int dv[2], p[2];
    check("socketpair(AF_UNIX, SOCK_DGRAM)", socketpair(AF_UNIX, SOCK_DGRAM, 0, dv) == 0);
    check("pipe", pipe(p) == 0);
    {
        char data[] = "here is a pipe";
        struct iovec iov = { data, sizeof data };
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        memset(&ctl, 0, sizeof ctl);
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                             .msg_controllen = sizeof ctl.buf };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &p[1], sizeof(int)); /* send the pipe's write end */
        check("sendmsg with SCM_RIGHTS", sendmsg(dv[0], &mh, 0) == (ssize_t)sizeof data);
    }
    {
        char data[64];
        struct iovec iov = { data, sizeof data };
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int)) + 64];
        } ctl;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                             .msg_controllen = sizeof ctl.buf };
        ssize_t r = recvmsg(dv[1], &mh, 0);
        check("recvmsg got the data", r == 15 && strcmp(data, "here is a pipe") == 0);
        check("no truncation flags", (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        int newfd = -1;
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&newfd, CMSG_DATA(c), sizeof(int));
        check("one SCM_RIGHTS descriptor received (cmsg_len == CMSG_LEN(4))", newfd >= 0);
        check("no further control message", c && CMSG_NXTHDR(&mh, c) == NULL);
        check("received descriptor is a new number", newfd >= 0 && newfd != p[1]);
        struct stat a, b;
        check("received descriptor is the same pipe",
              newfd >= 0 && fstat(newfd, &a) == 0 && fstat(p[1], &b) == 0 && a.st_ino == b.st_ino &&
                  S_ISFIFO(a.st_mode));
        char rb[8] = "";
        check("writing through it reaches the pipe",
              newfd >= 0 && write(newfd, "via fd", 6) == 6 && read(p[0], rb, sizeof rb) == 6 &&
                  memcmp(rb, "via fd", 6) == 0);
        if (newfd >= 0)
            close(newfd);
    }
    close(dv[0]);
    close(dv[1]);

    /* ---- poll and select on the pipe ---- */
    struct pollfd pfd = { .fd = p[0], .events = POLLIN };
    check("poll on empty pipe times out (0)", poll(&pfd, 1, 0) == 0);
    check("poll: write end is POLLOUT",
          poll(&(struct pollfd){ .fd = p[1], .events = POLLOUT }, 1, 0) == 1);
    check("write 1 byte to the pipe", write(p[1], "x", 1) == 1);
    check("poll after write: 1 ready, POLLIN", poll(&pfd, 1, 1000) == 1 && pfd.revents == POLLIN);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = { 1, 0 };
    check("select after write: 1 ready, read end set",
          select(p[0] + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &rs));
    char ch;
    check("read it back", read(p[0], &ch, 1) == 1 && ch == 'x');
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    tv.tv_sec = 0;
    tv.tv_usec = 1000;
    check("select on empty pipe times out (0)", select(p[0] + 1, &rs, NULL, NULL, &tv) == 0);
    close(p[1]);
    pfd.revents = 0;
    check("poll after closing the write end: POLLHUP", poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLHUP));
    close(p[0]);

    return finish_checks();
}
