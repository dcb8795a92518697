/* Descriptors for event loops. First one epoll loop over two channels, a
 * value, a topic subscriber and a listening socket. rshm_channel_fd and
 * rshm_topic_fd: readable
 * exactly when the next receive would not block, in epoll beside other
 * descriptors; only the endpoint with a message (for a topic, every polling
 * subscriber of the topic published to); a polling and a blocking
 * subscriber both get everything, in both handshake protocols;
 * level-triggered; quiet once drained; readable when the sender is
 * SIGKILLed; closed with their handles; and no lost
 * wake-up over a long stream while the receiver alternates between spinning
 * and waiting in epoll. rshm_value_fd: readable exactly while the handle's
 * next read would return a version it has not read; only that value's;
 * level-triggered; quiet once read; unchanged by a writer's SIGKILL (a value
 * does not report it); working for a reader of another user, who may only
 * read the object; closed with its handle; no missed version over a long
 * stream while the reader alternates between reading and epoll. */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

#define STREAM 1000000ULL
#define VALUE_STREAM 200000ULL
#define NOBODY 65534
#define BOTH 200000ULL
#define BOUND_MS 10000 /* a readiness that never comes fails here instead of hanging */

static int readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Adds fd to the epoll set ep for reading; its events carry `tag`. */
static int watch(int ep, int fd, uint32_t tag) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
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
    CHECK(watch(ep, fa, 1) == 0);
    CHECK(watch(ep, fb, 2) == 0);
    CHECK(watch(ep, lsock, 3) == 0);
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

/* A sender killed and reaped before the receiver asks for its descriptor:
 * no pidfd can be had for it, and the descriptor must still say so once
 * the messages are taken (readable, the receive EPIPE), not go quiet. */
static void sender_gone_before_fd(void) {
    char n[96];
    check_name(n, sizeof n, "ev-gone");
    rshm_channel *rx = rshm_channel_create(n, 4096, 0600);
    CHECK(rx != NULL);
    pid_t pid = fork();
    if (pid == 0) {
        rshm_channel *tx = rshm_channel_open(n, 1000);
        if (!tx || rshm_channel_send(tx, "hi", 2, 0) != 0)
            _exit(1);
        raise(SIGKILL);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
    int fd = rshm_channel_fd(rx);
    CHECK(fd >= 0 && readable(fd));
    char buf[8];
    CHECK(rshm_channel_recv(rx, buf, sizeof buf, 0) == 2);
    CHECK(readable(fd)); /* nothing left, the sender gone: EPIPE is ready */
    CHECK_ERR(rshm_channel_recv(rx, buf, sizeof buf, 0), -1, EPIPE);
    CHECK(readable(fd));
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
    int before = check_open_fds();
    int ok = 1;
    for (int i = 0; i < 10000 && ok; i++) {
        rshm_channel *rx = rshm_channel_open(n, 0);
        ok = rx && rshm_channel_fd(rx) >= 0 && rshm_channel_close(rx) == 0;
    }
    CHECK(ok);
    CHECK(check_open_fds() == before);
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
    struct epoll_event got;
    CHECK(watch(ep, fd, 0) == 0);
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

static int readable_within(int fd, int ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static uint64_t read_version(rshm_value *r) {
    char buf[64];
    uint64_t ver = UINT64_MAX;
    if (rshm_value_read(r, buf, sizeof buf, &ver) < 0)
        return UINT64_MAX;
    return ver;
}

/* Two values in one epoll set: each event names the value written. */
static void value_epoll_set(void) {
    char a[96], b[96];
    check_name(a, sizeof a, "vev-a");
    check_name(b, sizeof b, "vev-b");
    rshm_value *wa = rshm_value_create(a, 64, 0600), *wb = rshm_value_create(b, 64, 0600);
    rshm_value *ra = rshm_value_open(a, RSHM_O_RDONLY, 0), *rb = rshm_value_open(b, RSHM_O_RDONLY, 0);
    CHECK(wa && wb && ra && rb);
    int fa = rshm_value_fd(ra), fb = rshm_value_fd(rb);
    CHECK(fa >= 0 && fb >= 0 && fa != fb);
    CHECK(rshm_value_fd(ra) == fa);
    CHECK((fcntl(fa, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(!readable(fa) && !readable(fb)); /* version 0, as read "before the first read" */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(watch(ep, fa, 1) == 0);
    CHECK(watch(ep, fb, 2) == 0);
    struct epoll_event got[4];
    CHECK(epoll_wait(ep, got, 4, 0) == 0);

    CHECK(rshm_value_write(wb, "b", 1) == 0);
    CHECK(epoll_wait(ep, got, 4, BOUND_MS) == 1 && got[0].data.u32 == 2);
    usleep(20000);
    CHECK(epoll_wait(ep, got, 4, 0) == 1 && got[0].data.u32 == 2); /* level-triggered */
    CHECK(!readable(fa));
    CHECK(read_version(rb) == 1);
    CHECK(epoll_wait(ep, got, 4, 0) == 0); /* read: quiet */
    CHECK(read_version(rb) == 1);
    CHECK(!readable(fb)); /* a read of the same version keeps it quiet */

    /* Several writes, one read of the latest: quiet after it. */
    CHECK(rshm_value_write(wa, "a", 1) == 0 && rshm_value_write(wa, "aa", 2) == 0);
    CHECK(readable_within(fa, BOUND_MS) && !readable(fb));
    CHECK(read_version(ra) == 2);
    CHECK(!readable(fa));
    /* A write while the handle's read is behind, then more writes. */
    CHECK(rshm_value_write(wa, "x", 1) == 0);
    CHECK(readable_within(fa, BOUND_MS));
    CHECK(rshm_value_write(wa, "y", 1) == 0);
    CHECK(read_version(ra) == 4);
    CHECK(!readable(fa));

    close(ep);
    CHECK(rshm_value_close(ra) == 0 && rshm_value_close(rb) == 0);

    /* Versions written before the descriptor was asked for: readable at once. */
    rshm_value *r = rshm_value_open(a, RSHM_O_RDONLY, 0);
    CHECK(r != NULL);
    int fd = rshm_value_fd(r);
    CHECK(fd >= 0 && readable(fd));
    CHECK(read_version(r) == 4 && !readable(fd));
    CHECK(rshm_value_close(r) == 0);

    CHECK_ERR(rshm_value_fd(wa), -1, EBADF);
    CHECK(rshm_value_close(wa) == 0 && rshm_value_close(wb) == 0);
    rshm_value_unlink(a);
    rshm_value_unlink(b);
}

/* A writer killed with SIGKILL: the value does not report it (its last
 * version stays readable; a new writer may take over), so the descriptor
 * stays as it was; a new writer's write makes it readable. */
static void killed_writer(void) {
    char n[96];
    check_name(n, sizeof n, "vev-kill");
    int ready[2];
    CHECK(pipe(ready) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        rshm_value *w = rshm_value_create(n, 64, 0600);
        char one = 1;
        if (!w || rshm_value_write(w, "hi", 2) != 0 || write(ready[1], &one, 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char one;
    CHECK(read(ready[0], &one, 1) == 1);
    rshm_value *r = rshm_value_open(n, RSHM_O_RDONLY, 1000);
    CHECK(r != NULL);
    int fd = rshm_value_fd(r);
    CHECK(fd >= 0 && readable_within(fd, BOUND_MS));
    CHECK(read_version(r) == 1 && !readable(fd));
    kill(pid, SIGKILL);
    CHECK(waitpid(pid, NULL, 0) == pid);
    CHECK(!readable_within(fd, 50));
    rshm_value *w = rshm_value_open(n, RSHM_O_RDWR, 0); /* takes over */
    CHECK(w != NULL && rshm_value_write(w, "again", 5) == 0);
    CHECK(readable_within(fd, BOUND_MS));
    CHECK(read_version(r) == 2 && !readable(fd));
    close(ready[0]);
    close(ready[1]);
    CHECK(rshm_value_close(r) == 0 && rshm_value_close(w) == 0);
    rshm_value_unlink(n);
}

/* A reader of another user, who may only read a 0644 value (it cannot
 * announce a wait): its descriptor becomes readable on a write and quiet
 * after its read. The child exits 0 when it saw both. */
static void other_user(void) {
    if (geteuid() != 0) {
        printf("SKIP value events, another user: not root, cannot run as another user\n");
        return;
    }
    char n[96];
    check_name(n, sizeof n, "vev-user");
    rshm_value *w = rshm_value_create(n, 64, 0644);
    CHECK(w != NULL);
    int go[2], set[2];
    CHECK(pipe(go) == 0 && pipe(set) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        rshm_value_close(w); /* the parent's role stays the parent's: the child's copy is dropped */
        if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
            _exit(6);
        char one = 1;
        rshm_value *r = rshm_value_open(n, RSHM_O_RDONLY, 0);
        if (!r)
            _exit(2);
        int fd = rshm_value_fd(r);
        if (fd < 0 || readable(fd))
            _exit(3);
        if (write(set[1], &one, 1) != 1 || read(go[0], &one, 1) != 1)
            _exit(7);
        if (!readable_within(fd, BOUND_MS))
            _exit(4);
        if (read_version(r) != 1 || readable(fd))
            _exit(5);
        _exit(rshm_value_close(r) == 0 ? 0 : 8);
    }
    char one = 1;
    CHECK(read(set[0], &one, 1) == 1);
    CHECK(rshm_value_write(w, "v", 1) == 0 && write(go[1], &one, 1) == 1);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "other user: child status %d\n", st);
    close(go[0]);
    close(go[1]);
    close(set[0]);
    close(set[1]);
    CHECK(rshm_value_close(w) == 0);
    rshm_value_unlink(n);
}

/* 10 000 readers, each with its descriptor, opened and closed. */
static void value_no_leak(void) {
    char n[96];
    check_name(n, sizeof n, "vev-leak");
    rshm_value *w = rshm_value_create(n, 64, 0600);
    CHECK(w != NULL && rshm_value_write(w, "x", 1) == 0);
    int before = check_open_fds();
    int ok = 1;
    for (int i = 0; i < 10000 && ok; i++) {
        rshm_value *r = rshm_value_open(n, RSHM_O_RDONLY, 0);
        ok = r && rshm_value_fd(r) >= 0 && rshm_value_close(r) == 0;
    }
    CHECK(ok);
    CHECK(check_open_fds() == before);
    CHECK(rshm_value_close(w) == 0);
    rshm_value_unlink(n);
}

/* A writer in another process publishes STREAM versions (each value is its
 * version), flat out with random pauses; the reader alternates at random
 * between reading and waiting in epoll. Every readiness is a new version
 * (none spurious), versions only grow, and the reader ends on the last
 * one; no wait runs past the bound. */
static void value_stream(void) {
    char n[96];
    check_name(n, sizeof n, "vev-stream");
    rshm_value *made = rshm_value_create(n, 64, 0600);
    CHECK(made != NULL && rshm_value_close(made) == 0); /* the writer's role is free for the child */
    rshm_value *r = rshm_value_open(n, RSHM_O_RDONLY, 0);
    CHECK(r != NULL);
    fflush(NULL);
    /* Forked before the descriptor's thread exists: a child would inherit
     * the memory of a thread it does not have (valgrind: a leak). */
    pid_t pid = fork();
    if (pid == 0) {
        rshm_value_close(r);
        rshm_value *w = rshm_value_open(n, RSHM_O_RDWR, 1000);
        uint64_t s = 88172645463325252ULL;
        for (uint64_t i = 1; w && i <= VALUE_STREAM; i++) {
            if (rshm_value_write(w, &i, sizeof i) != 0)
                _exit(1);
            if (rnd(&s) % 256 == 0) {
                struct timespec t = {0, (long)(rnd(&s) % 50000)};
                nanosleep(&t, NULL);
            }
        }
        _exit(w && rshm_value_close(w) == 0 ? 0 : 1);
    }
    int fd = rshm_value_fd(r);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event got;
    CHECK(watch(ep, fd, 0) == 0);
    uint64_t last = 0, s = 0x9e3779b97f4a7c15ULL, polls = 0, reads = 0, spurious = 0;
    int ok = 1;
    while (last < VALUE_STREAM && ok) {
        if (rnd(&s) % 2) {
            uint64_t v = 0, ver = 0;
            int64_t len = rshm_value_read(r, &v, sizeof v, &ver);
            ok = (len == 0 && ver == 0) || (len == 8 && v == ver && ver >= last);
            last = ver;
            reads++;
        } else {
            polls++;
            ok = epoll_wait(ep, &got, 1, BOUND_MS) == 1;
            if (!ok) {
                fprintf(stderr, "no readiness for %d ms after version %llu\n", BOUND_MS, (unsigned long long)last);
                break;
            }
            uint64_t v = 0, ver = 0;
            ok = rshm_value_read(r, &v, sizeof v, &ver) == 8 && v == ver;
            spurious += ver <= last;
            last = ver;
        }
    }
    CHECK(ok && last == VALUE_STREAM);
    CHECK(spurious == 0);
    CHECK(!readable(fd));
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("# value stream: %llu versions, %llu reads, %llu epoll waits\n", (unsigned long long)VALUE_STREAM,
           (unsigned long long)reads, (unsigned long long)polls);
    close(ep);
    CHECK(rshm_value_close(r) == 0);
    rshm_value_unlink(n);
}

/* Two topics, three subscribers in one epoll set: a publish makes readable
 * both subscribers of its topic and not the other topic's. */
static void topic_readiness(void) {
    char a[96], b[96];
    check_name(a, sizeof a, "tev-a");
    check_name(b, sizeof b, "tev-b");
    rshm_topic *pa = rshm_topic_create(a, 4096, 4, 0, 0600), *pb = rshm_topic_create(b, 4096, 4, 0, 0600);
    CHECK(pa && pb);
    rshm_topic *s1 = rshm_topic_open(a, RSHM_O_RDONLY, 0), *s2 = rshm_topic_open(a, RSHM_O_RDONLY, 0);
    rshm_topic *s3 = rshm_topic_open(b, RSHM_O_RDONLY, 0);
    CHECK(s1 && s2 && s3);
    int f1 = rshm_topic_fd(s1), f2 = rshm_topic_fd(s2), f3 = rshm_topic_fd(s3);
    CHECK(f1 >= 0 && f2 >= 0 && f3 >= 0 && f1 != f2 && f2 != f3);
    CHECK(rshm_topic_fd(s1) == f1);
    CHECK(fcntl(f1, F_GETFD) & FD_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event got[4];
    int fds[3] = {f1, f2, f3};
    for (uint32_t i = 0; i < 3; i++) {
        CHECK(watch(ep, fds[i], i + 1) == 0);
    }
    CHECK(epoll_wait(ep, got, 4, 0) == 0);

    CHECK(rshm_topic_publish(pa, "one", 3, 0) == 0);
    CHECK(epoll_wait(ep, got, 4, BOUND_MS) >= 1);
    struct pollfd p = {.fd = f2, .events = POLLIN};
    CHECK(poll(&p, 1, BOUND_MS) == 1);
    int n = epoll_wait(ep, got, 4, 0), seen = 0;
    for (int i = 0; i < n; i++)
        seen |= 1 << got[i].data.u32;
    CHECK(n == 2 && seen == (1 << 1 | 1 << 2)); /* both of topic a, not b's */
    CHECK(readable(f1) && readable(f2) && !readable(f3)); /* level-triggered */

    char buf[16];
    CHECK(rshm_topic_publish(pa, "two", 3, 0) == 0);
    CHECK(rshm_topic_receive(s1, buf, sizeof buf, 0) == 3 && memcmp(buf, "one", 3) == 0);
    CHECK(readable(f1)); /* "two" is still there */
    CHECK(rshm_topic_receive(s1, buf, sizeof buf, 0) == 3 && memcmp(buf, "two", 3) == 0);
    CHECK(!readable(f1) && readable(f2)); /* s1 drained; s2 has not taken its own */
    CHECK_ERR(rshm_topic_receive(s1, buf, sizeof buf, 0), -1, EAGAIN);
    CHECK(!readable(f1));
    CHECK(rshm_topic_receive(s2, buf, sizeof buf, 0) == 3 && rshm_topic_receive(s2, buf, sizeof buf, 0) == 3);
    CHECK(!readable(f2));
    size_t len;
    CHECK(rshm_topic_publish(pa, "three", 5, 0) == 0);
    CHECK(poll(&p, 1, BOUND_MS) == 1);
    CHECK(rshm_topic_peek(s2, &len, 0) != NULL && len == 5);
    CHECK(readable(f2)); /* peeked, not yet released */
    CHECK(rshm_topic_release(s2) == 0 && !readable(f2));

    CHECK(rshm_topic_publish(pb, "b", 1, 0) == 0);
    p.fd = f3;
    CHECK(poll(&p, 1, BOUND_MS) == 1 && readable(f1) && !readable(f2));
    close(ep);
    rshm_topic_close(pa);
    CHECK(readable(f2)); /* the publisher closed */
    CHECK_ERR(rshm_topic_receive(s2, buf, sizeof buf, 0), -1, EPIPE);
    CHECK(readable(f2)); /* and says so again */
    CHECK(rshm_topic_receive(s1, buf, sizeof buf, 0) == 5);
    CHECK_ERR(rshm_topic_receive(s1, buf, sizeof buf, 0), -1, EPIPE);
    CHECK(readable(f1));
    rshm_topic_close(pb);
    rshm_topic_close(s1);
    rshm_topic_close(s2);
    rshm_topic_close(s3);
    rshm_topic_unlink(a);
    rshm_topic_unlink(b);
}

/* A child creates the topic (as the creator its environment picks the
 * handshake), waits for the parent to subscribe, then runs `body`. */
struct child {
    pid_t pid;
    int to_parent[2], to_child[2];
};

static void child_start(struct child *c, const char *name, int flags, const char *handshake,
                        void (*body)(rshm_topic *, struct child *)) {
    CHECK(pipe(c->to_parent) == 0 && pipe(c->to_child) == 0);
    c->pid = fork();
    if (c->pid == 0) {
        if (handshake)
            setenv("RSHM_HANDSHAKE", handshake, 1);
        rshm_topic *t = rshm_topic_create(name, 1024, 4, flags, 0600);
        char one = 1;
        if (!t || write(c->to_parent[1], &one, 1) != 1 || read(c->to_child[0], &one, 1) != 1)
            _exit(1);
        body(t, c);
        _exit(0);
    }
    char one;
    CHECK(read(c->to_parent[0], &one, 1) == 1);
}

static void child_go(struct child *c) {
    char one = 1;
    CHECK(write(c->to_child[1], &one, 1) == 1);
}

static void child_pipes_close(struct child *c) {
    for (int i = 0; i < 2; i++) {
        close(c->to_parent[i]);
        close(c->to_child[i]);
    }
}

static int child_end(struct child *c) {
    int status;
    int ok = waitpid(c->pid, &status, 0) == c->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    child_pipes_close(c);
    return ok;
}

static void publish_and_hang(rshm_topic *t, struct child *c) {
    char one = 1;
    if (rshm_topic_publish(t, "hi", 2, 0) != 0 || write(c->to_parent[1], &one, 1) != 1)
        _exit(1);
    pause();
}

/* A publisher killed with SIGKILL announces nothing; the descriptor tells,
 * whether it was asked for before (`fd_later` 0: its pidfd tells) or only
 * once the publisher was killed and reaped (1: no pidfd can be had, and
 * the descriptor must not go quiet when the messages are taken). */
static void killed_publisher(int fd_later) {
    char n[96];
    check_name(n, sizeof n, fd_later ? "tev-gone" : "tev-kill");
    struct child c;
    child_start(&c, n, 0, NULL, publish_and_hang);
    rshm_topic *s = rshm_topic_open(n, RSHM_O_RDONLY, 0);
    CHECK(s != NULL);
    int fd = fd_later ? -1 : rshm_topic_fd(s);
    CHECK(fd_later || (fd >= 0 && !readable(fd)));
    child_go(&c);
    char one, buf[8];
    CHECK(read(c.to_parent[0], &one, 1) == 1);
    int status;
    if (fd_later) {
        kill(c.pid, SIGKILL);
        CHECK(waitpid(c.pid, &status, 0) == c.pid && WIFSIGNALED(status));
        fd = rshm_topic_fd(s);
        CHECK(fd >= 0 && readable(fd));
        CHECK(rshm_topic_receive(s, buf, sizeof buf, 0) == 2);
        CHECK(readable(fd)); /* nothing left, the publisher gone: EPIPE is ready */
    } else {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        CHECK(poll(&p, 1, BOUND_MS) == 1);
        CHECK(rshm_topic_receive(s, buf, sizeof buf, 0) == 2);
        CHECK(!readable(fd)); /* drained, the publisher alive */
        kill(c.pid, SIGKILL);
        CHECK(poll(&p, 1, BOUND_MS) == 1 && (p.revents & POLLIN));
    }
    CHECK_ERR(rshm_topic_receive(s, buf, sizeof buf, 0), -1, EPIPE);
    CHECK(readable(fd)); /* and it stays readable: EPIPE does not block */
    if (!fd_later)
        CHECK(waitpid(c.pid, &status, 0) == c.pid && WIFSIGNALED(status));
    child_pipes_close(&c);
    rshm_topic_close(s);
    rshm_topic_unlink(n);
}

static void publish_stream(rshm_topic *t, struct child *c) {
    (void)c;
    uint64_t s = 88172645463325252ULL;
    for (uint64_t i = 0; i < STREAM; i++) {
        if (rshm_topic_publish(t, &i, sizeof i, -1) != 0)
            _exit(1);
        if (rnd(&s) % 4096 == 0) {
            struct timespec ts = {0, (long)(rnd(&s) % 50000)};
            nanosleep(&ts, NULL);
        }
    }
}

static void publish_both(rshm_topic *t, struct child *c) {
    (void)c;
    for (uint64_t i = 0; i < BOTH; i++)
        if (rshm_topic_publish(t, &i, sizeof i, -1) != 0)
            _exit(1);
}

struct blocking {
    rshm_topic *s;
    uint64_t got;
    int ok;
};

static void *receive_blocking(void *arg) {
    struct blocking *b = arg;
    uint64_t v;
    int64_t r;
    while ((r = rshm_topic_receive(b->s, &v, sizeof v, -1)) == 8 && v == b->got)
        b->got++;
    b->ok = r == -1 && errno == EPIPE;
    return NULL;
}

/* Waits in epoll whenever a receive would block; counts what arrives in
 * order, up to EPIPE. `alternate` spins instead of waiting half the time. */
static uint64_t receive_polling(rshm_topic *s, int alternate, uint64_t *polls) {
    int fd = rshm_topic_fd(s);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event got;
    CHECK(fd >= 0 && watch(ep, fd, 0) == 0);
    uint64_t next = 0, rs = 0x9e3779b97f4a7c15ULL;
    for (;;) {
        uint64_t v;
        int64_t r = rshm_topic_receive(s, &v, sizeof v, 0);
        if (r == 8 && v == next) {
            next++;
        } else if (r < 0 && errno == EAGAIN) {
            if (!alternate || rnd(&rs) % 2) {
                ++*polls;
                if (epoll_wait(ep, &got, 1, BOUND_MS) != 1) {
                    fprintf(stderr, "no readiness for %d ms with message %llu due\n", BOUND_MS,
                            (unsigned long long)next);
                    break;
                }
            }
        } else {
            if (!(r < 0 && errno == EPIPE))
                fprintf(stderr, "receive %lld (errno %d) at %llu\n", (long long)r, errno, (unsigned long long)next);
            break;
        }
    }
    close(ep);
    return next;
}

/* One subscriber polls, one blocks in receive: both get every message. */
static void polling_and_blocking(void) {
    char n[96];
    check_name(n, sizeof n, "tev-both");
    struct child c;
    child_start(&c, n, RSHM_TOPIC_BLOCK, NULL, publish_both);
    rshm_topic *sp = rshm_topic_open(n, RSHM_O_RDONLY, 0);
    struct blocking b = {.s = rshm_topic_open(n, RSHM_O_RDONLY, 0)};
    CHECK(sp && b.s);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, receive_blocking, &b) == 0);
    child_go(&c);
    uint64_t polls = 0;
    uint64_t got = receive_polling(sp, 0, &polls);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(got == BOTH && b.got == BOTH && b.ok);
    CHECK(child_end(&c));
    printf("# polling and blocking: %llu messages each, %llu epoll waits\n", (unsigned long long)got,
           (unsigned long long)polls);
    rshm_topic_close(sp);
    rshm_topic_close(b.s);
    rshm_topic_unlink(n);
}

/* 10 000 subscribers, each with its descriptor, opened and closed. */
static void topic_no_leak(void) {
    char n[96];
    check_name(n, sizeof n, "tev-leak");
    rshm_topic *pub = rshm_topic_create(n, 64, 2, 0, 0600);
    CHECK(pub && rshm_topic_publish(pub, "", 0, 0) == 0);
    /* The ringer's socket exists from the first ring. */
    rshm_topic *s = rshm_topic_open(n, RSHM_O_RDONLY, 0);
    CHECK(s && rshm_topic_fd(s) >= 0 && rshm_topic_publish(pub, "", 0, 0) == 0 && rshm_topic_close(s) == 0);
    int before = check_open_fds();
    int ok = 1;
    for (int i = 0; i < 10000 && ok; i++) {
        s = rshm_topic_open(n, RSHM_O_RDONLY, 0);
        ok = s && rshm_topic_fd(s) >= 0 && rshm_topic_close(s) == 0;
    }
    CHECK(ok);
    CHECK(check_open_fds() == before);
    rshm_topic_close(pub);
    rshm_topic_unlink(n);
}

/* 10^6 messages in RSHM_TOPIC_BLOCK from another process, the subscriber
 * alternating at random between trying and waiting in epoll, the publisher
 * between publishing flat out and pausing: all arrive in order, none lost,
 * no wait past the bound. */
static void topic_stream(const char *handshake) {
    char n[96];
    check_name(n, sizeof n, "tev-stream");
    struct child c;
    child_start(&c, n, RSHM_TOPIC_BLOCK, handshake, publish_stream);
    rshm_topic *s = rshm_topic_open(n, RSHM_O_RDONLY, 0);
    CHECK(s != NULL);
    child_go(&c);
    uint64_t polls = 0;
    uint64_t got = receive_polling(s, 1, &polls);
    CHECK(got == STREAM && rshm_topic_lost(s) == 0);
    CHECK(child_end(&c));
    printf("# topic stream (%s): %llu messages, %llu epoll waits\n", handshake ? handshake : "default",
           (unsigned long long)got, (unsigned long long)polls);
    rshm_topic_close(s);
    rshm_topic_unlink(n);
}

/* One event loop over everything at once, as a program would run it: two
 * channels, a value, a topic subscriber and a listening socket in one epoll
 * set; each event names the one endpoint that has something, and handling
 * it quiets it. */
enum { CH_A = 1, CH_B, VAL, SUB, LISTEN };

static uint32_t one_event(int ep) {
    struct epoll_event got[8];
    int n = epoll_wait(ep, got, 8, BOUND_MS);
    return n == 1 ? got[0].data.u32 : 100 + (uint32_t)n;
}

static void one_loop(void) {
    char a[96], b[96], v[96], t[96];
    check_name(a, sizeof a, "loop-a");
    check_name(b, sizeof b, "loop-b");
    check_name(v, sizeof v, "loop-v");
    check_name(t, sizeof t, "loop-t");
    rshm_channel *txa = rshm_channel_create(a, 4096, 0600), *rxa = rshm_channel_open(a, 0);
    rshm_channel *txb = rshm_channel_create(b, 4096, 0600), *rxb = rshm_channel_open(b, 0);
    rshm_value *w = rshm_value_create(v, 64, 0600), *r = rshm_value_open(v, RSHM_O_RDONLY, 0);
    rshm_topic *pub = rshm_topic_create(t, 4096, 4, 0, 0600), *sub = rshm_topic_open(t, RSHM_O_RDONLY, 0);
    CHECK(txa && rxa && txb && rxb && w && r && pub && sub);
    int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "rshm-test-%ld-loop", (long)getpid());
    CHECK(bind(lsock, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(lsock, 1) == 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int fds[] = {0, rshm_channel_fd(rxa), rshm_channel_fd(rxb), rshm_value_fd(r), rshm_topic_fd(sub), lsock};
    for (uint32_t i = CH_A; i <= LISTEN; i++) {
        CHECK(fds[i] >= 0 && watch(ep, fds[i], i) == 0);
    }
    struct epoll_event none[8];
    CHECK(epoll_wait(ep, none, 8, 0) == 0);
    char buf[64];
    uint64_t version;

    CHECK(rshm_channel_send(txb, "b", 1, 0) == 0);
    CHECK(one_event(ep) == CH_B);
    CHECK(rshm_channel_recv(rxb, buf, sizeof buf, 0) == 1);
    CHECK(rshm_value_write(w, "v1", 2) == 0);
    CHECK(one_event(ep) == VAL);
    CHECK(rshm_value_read(r, buf, sizeof buf, &version) == 2 && version == 1);
    CHECK(rshm_topic_publish(pub, "t", 1, 0) == 0);
    CHECK(one_event(ep) == SUB);
    CHECK(rshm_topic_receive(sub, buf, sizeof buf, 0) == 1);
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(connect(c, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(one_event(ep) == LISTEN);
    int accepted = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
    CHECK(accepted >= 0);
    CHECK(rshm_channel_send(txa, "a", 1, 0) == 0);
    CHECK(one_event(ep) == CH_A);
    CHECK(rshm_channel_recv(rxa, buf, sizeof buf, 0) == 1);
    CHECK(epoll_wait(ep, none, 8, 0) == 0); /* everything handled: quiet */

    close(accepted);
    close(c);
    close(ep);
    close(lsock);
    rshm_channel_close(txa);
    rshm_channel_close(rxa);
    rshm_channel_close(txb);
    rshm_channel_close(rxb);
    rshm_value_close(w);
    rshm_value_close(r);
    rshm_topic_close(pub);
    rshm_topic_close(sub);
    rshm_channel_unlink(a);
    rshm_channel_unlink(b);
    rshm_value_unlink(v);
    rshm_topic_unlink(t);
}

int main(void) {
    one_loop();
    epoll_set();
    killed_sender();
    sender_gone_before_fd();
    no_leak();
    stream();
    CHECK_ERR(rshm_channel_fd(NULL), -1, EFAULT);
    value_epoll_set();
    killed_writer();
    other_user();
    value_no_leak();
    value_stream();
    CHECK_ERR(rshm_value_fd(NULL), -1, EFAULT);
    topic_readiness();
    killed_publisher(0);
    killed_publisher(1);
    polling_and_blocking();
    topic_no_leak();
    topic_stream(NULL);
    topic_stream("seqcst");
    CHECK_ERR(rshm_topic_fd(NULL), -1, EFAULT);
    return check_done("events");
}
