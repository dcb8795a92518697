/* Descriptors for event loops (rshm_channel_fd): readable exactly when the
 * next receive would not block, in epoll beside other descriptors; only the
 * endpoint with a message; level-triggered; quiet once drained; readable
 * when the sender is SIGKILLed; closed with their handles; and no lost
 * wake-up over a long stream while the receiver alternates between spinning
 * and waiting in epoll. */
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

#define STREAM 1000000ULL
#define BOUND_MS 10000 /* a readiness that never comes fails here instead of hanging */

static int readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int open_fds(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

/* Two channels and a listening socket in one epoll set: each event names
 * the endpoint it is for. */
static void epoll_set(void) {
    char a[96], b[96];
    check_name(a, sizeof a, "ev-a");
    check_name(b, sizeof b, "ev-b");
    rshm_channel *txa = rshm_channel_create(a, 4096, 0600), *txb = rshm_channel_create(b, 4096, 0600);
    rshm_channel *rxa = rshm_channel_open(a, 0), *rxb = rshm_channel_open(b, 0);
    CHECK(txa && txb && rxa && rxb);
    int fa = rshm_channel_fd(rxa), fb = rshm_channel_fd(rxb);
    CHECK(fa >= 0 && fb >= 0 && fa != fb);
    CHECK(rshm_channel_fd(rxa) == fa);
    int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "rshm-test-%ld-listen", (long)getpid());
    CHECK(bind(lsock, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(lsock, 1) == 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.u32 = 1;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fa, &ev) == 0);
    ev.data.u32 = 2;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fb, &ev) == 0);
    ev.data.u32 = 3;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, lsock, &ev) == 0);
    struct epoll_event got[4];
    CHECK(epoll_wait(ep, got, 4, 0) == 0);

    CHECK(rshm_channel_send(txb, "b", 1, 0) == 0);
    CHECK(epoll_wait(ep, got, 4, BOUND_MS) == 1 && got[0].data.u32 == 2);
    CHECK(epoll_wait(ep, got, 4, 0) == 1 && got[0].data.u32 == 2); /* level-triggered */
    char buf[16];
    CHECK(rshm_channel_recv(rxb, buf, sizeof buf, 0) == 1);
    CHECK(epoll_wait(ep, got, 4, 0) == 0); /* drained */

    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(connect(c, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(epoll_wait(ep, got, 4, BOUND_MS) == 1 && got[0].data.u32 == 3);
    close(c);

    CHECK(rshm_channel_send(txa, "aa", 2, 0) == 0 && rshm_channel_send(txa, "a", 1, 0) == 0);
    CHECK(readable(fa) && !readable(fb));
    CHECK(rshm_channel_recv(rxa, buf, sizeof buf, 0) == 2);
    CHECK(readable(fa));
    CHECK(rshm_channel_recv(rxa, buf, sizeof buf, 0) == 1);
    CHECK(!readable(fa));
    CHECK_ERR(rshm_channel_recv(rxa, buf, sizeof buf, 0), -1, EAGAIN);
    CHECK(!readable(fa));

    close(ep);
    close(lsock);
    rshm_channel_close(txa);
    rshm_channel_close(txb);
    CHECK(readable(fa) && readable(fb)); /* the senders closed */
    CHECK_ERR(rshm_channel_recv(rxa, buf, sizeof buf, 0), -1, EPIPE);
    rshm_channel_close(rxa);
    rshm_channel_close(rxb);
    rshm_channel_unlink(a);
    rshm_channel_unlink(b);
}

/* A sender killed with SIGKILL announces nothing; the descriptor tells. */
static void killed_sender(void) {
    char n[96];
    check_name(n, sizeof n, "ev-kill");
    rshm_channel *rx = rshm_channel_create(n, 4096, 0600);
    CHECK(rx != NULL);
    int fd = rshm_channel_fd(rx);
    CHECK(fd >= 0 && !readable(fd));
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        rshm_channel *tx = rshm_channel_open(n, 1000);
        char one = 1;
        if (!tx || rshm_channel_send(tx, "hi", 2, 0) != 0 || write(ready[1], &one, 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char one;
    CHECK(read(ready[0], &one, 1) == 1);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK(poll(&p, 1, BOUND_MS) == 1);
    char buf[8];
    CHECK(rshm_channel_recv(rx, buf, sizeof buf, 0) == 2);
    CHECK(!readable(fd)); /* drained, the sender alive */
    CHECK_ERR(rshm_channel_recv(rx, buf, sizeof buf, 0), -1, EAGAIN);
    kill(pid, SIGKILL);
    CHECK(poll(&p, 1, BOUND_MS) == 1 && (p.revents & POLLIN)); /* a zombie has exited too */
    /* At once, not after the ring's own once-a-millisecond look. */
    CHECK_ERR(rshm_channel_recv(rx, buf, sizeof buf, 0), -1, EPIPE);
    CHECK(readable(fd)); /* and it stays readable: EPIPE does not block */
    waitpid(pid, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    rshm_channel_close(rx);
    rshm_channel_unlink(n);
}

/* 10 000 handles, each with its descriptor, opened and closed. */
static void no_leak(void) {
    char n[96];
    check_name(n, sizeof n, "ev-leak");
    rshm_channel *keep = rshm_channel_create(n, 64, 0600);
    rshm_channel *tx = rshm_channel_open(n, 0);
    CHECK(keep && tx && rshm_channel_send(tx, "", 0, 0) == 0); /* the sender's socket exists from here */
    int before = open_fds();
    int ok = 1;
    for (int i = 0; i < 10000 && ok; i++) {
        rshm_channel *rx = rshm_channel_open(n, 0);
        ok = rx && rshm_channel_fd(rx) >= 0 && rshm_channel_close(rx) == 0;
    }
    CHECK(ok);
    CHECK(open_fds() == before);
    rshm_channel_close(tx);
    rshm_channel_close(keep);
    rshm_channel_unlink(n);
}

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A stream from another process; the receiver alternates at random between
 * trying (spinning) and waiting in epoll, the sender between sending flat
 * out and pausing, so that the receiver keeps arming and the sender keeps
 * finding it armed. Every message arrives in order; no wait runs past the
 * bound. */
static void stream(void) {
    char n[96];
    check_name(n, sizeof n, "ev-stream");
    /* The child opens by name (waiting for it), so it holds no copy of
     * the receiver's handle. */
    pid_t pid = fork();
    if (pid == 0) {
        rshm_channel *tx = rshm_channel_open(n, 1000);
        uint64_t s = 88172645463325252ULL;
        for (uint64_t i = 0; tx && i < STREAM; i++) {
            if (rshm_channel_send(tx, &i, sizeof i, -1) != 0)
                _exit(1);
            if (rnd(&s) % 4096 == 0) {
                struct timespec t = {0, (long)(rnd(&s) % 50000)};
                nanosleep(&t, NULL);
            }
        }
        _exit(tx && rshm_channel_close(tx) == 0 ? 0 : 1);
    }
    rshm_channel *rx = rshm_channel_create(n, 1024, 0600);
    CHECK(rx != NULL);
    int fd = rshm_channel_fd(rx);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN}, got;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    uint64_t next = 0, s = 0x9e3779b97f4a7c15ULL, polls = 0;
    int ok = 1;
    while (next < STREAM && ok) {
        uint64_t v;
        int64_t r = rshm_channel_recv(rx, &v, sizeof v, 0);
        if (r == 8) {
            ok = v == next++;
        } else if (r < 0 && errno == EAGAIN) {
            if (rnd(&s) % 2) {
                polls++;
                ok = epoll_wait(ep, &got, 1, BOUND_MS) == 1;
                if (!ok)
                    fprintf(stderr, "no readiness for %d ms with message %llu due\n", BOUND_MS,
                            (unsigned long long)next);
            }
        } else {
            ok = 0;
        }
    }
    CHECK(ok && next == STREAM);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("# stream: %llu messages, %llu epoll waits\n", (unsigned long long)next, (unsigned long long)polls);
    close(ep);
    rshm_channel_close(rx);
    rshm_channel_unlink(n);
}

int main(void) {
    epoll_set();
    killed_sender();
    no_leak();
    stream();
    CHECK_ERR(rshm_channel_fd(NULL), -1, EFAULT);
    return check_done("events");
}
