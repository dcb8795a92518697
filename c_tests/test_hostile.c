/* A hostile /dev/shm and hostile peers (issues 17 and 26), each part a
 * named test:
 *
 * - names: a FIFO, a symbolic link (to a real segment, to a channel, to a
 *   file outside /dev/shm, dangling) and a directory under a name, and
 *   "/..", against every call that opens or creates a name: each answers
 *   well within its timeout with the documented errno (ENODEV, ELOOP,
 *   EEXIST, EINVAL), follows no link, and rshm_error_detail() says what it
 *   found.
 * - liar: a creator lying about its size, in a private 64 MiB tmpfs on
 *   /dev/shm (unshare; SKIP where the machine does not allow it): grown
 *   after creation, or a header and ring that agree on 1 GiB over pages
 *   never reserved, or a value with pages punched out. Opens are EPROTO at
 *   once and cost the opener neither memory nor /dev/shm space.
 * - fsize: creates under RLIMIT_FSIZE (a forked child): EFBIG, no SIGXFSZ,
 *   nothing left behind; rshm_ftruncate, a mirror, keeps libc's SIGXFSZ.
 * - fdpass: rshm_recv_fd at the descriptor limit (EMFILE, the descriptor
 *   lost) and on empty SEQPACKET and DGRAM messages (EBADMSG while the peer
 *   is there, ECONNRESET once it is gone).
 *
 * Every FIFO, link, directory and object made here is removed. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *path_of(const char *name, char *buf, size_t len) {
    snprintf(buf, len, "/dev/shm%s", name);
    return buf;
}

/* The call failed with `want` in well under `timeout_ms` (less than half of
 * it, and less than 100 ms), and the detail names `fn` and holds `says`. */
#define CHECK_REFUSED(call, bad, want, fn, says)                                                     \
    do {                                                                                             \
        double t0_ = now_ms();                                                                       \
        CHECK_ERR(call, bad, want);                                                                  \
        double dt_ = now_ms() - t0_;                                                                 \
        CHECK(dt_ < 100);                                                                            \
        const char *d_ = rshm_error_detail();                                                        \
        size_t n_ = strlen(fn);                                                                      \
        CHECK(strncmp(d_, fn, n_) == 0 && (d_[n_] == '(' || d_[n_] == ':') && strstr(d_, says));     \
        if (strstr(d_, says) == NULL)                                                                \
            fprintf(stderr, "  detail: %s (want \"%s\")\n", d_, says);                                 \
    } while (0)

static int seg_opened(rshm_segment *s) {
    if (!s)
        return 0;
    rshm_segment_close(s);
    return 1;
}

static int chan_opened(rshm_channel *c) {
    if (!c)
        return 0;
    rshm_channel_close(c);
    return 1;
}

/* Every opening and creating call against whatever sits under `name`:
 * opens refused with `want_open` ("says" in the detail), creates EEXIST. */
static void against_every_call(const char *name, int want_open, const char *says) {
    CHECK_REFUSED(rshm_segment_open(name, RSHM_O_RDONLY, 2000), NULL, want_open, "rshm_segment_open", says);
    CHECK_REFUSED(rshm_segment_open(name, RSHM_O_RDWR, 2000), NULL, want_open, "rshm_segment_open", says);
    CHECK_REFUSED(rshm_segment_open(name, RSHM_O_RDONLY, 0), NULL, want_open, "rshm_segment_open", says);
    CHECK_REFUSED(rshm_channel_open(name, 2000), NULL, want_open, "rshm_channel_open", says);
    CHECK_REFUSED(rshm_segment_create(name, 100, 0600), NULL, EEXIST, "rshm_segment_create", "exists");
    CHECK_REFUSED(rshm_segment_create_init(name, 100, 0600, NULL, NULL), NULL, EEXIST, "rshm_segment_create_init",
                  "exists");
    CHECK_REFUSED(rshm_channel_create(name, 4096, 0600), NULL, EEXIST, "rshm_channel_create", "exists");
}

static void names(void) {
    char name[64], target[64], chan[64], p[96], q[96];
    check_name(name, sizeof name, "squat");
    check_name(target, sizeof target, "target");
    check_name(chan, sizeof chan, "chan");
    rshm_segment *seg = rshm_segment_create(target, 100, 0600);
    rshm_channel *ch = rshm_channel_create(chan, 4096, 0600);
    CHECK(seg && ch);

    /* A FIFO with no writer: an open without O_NONBLOCK would block forever. */
    CHECK(mkfifo(path_of(name, p, sizeof p), 0600) == 0);
    against_every_call(name, ENODEV, "is a FIFO, not a shared memory object");
    CHECK(unlink(p) == 0);

    /* Links: to a good segment, to a channel, out of /dev/shm, dangling. */
    const char *to[] = {path_of(target, q, sizeof q), NULL, "/etc/passwd", NULL};
    char chan_path[96], dangling[112];
    to[1] = path_of(chan, chan_path, sizeof chan_path);
    snprintf(dangling, sizeof dangling, "%s-made", p);
    to[3] = dangling;
    for (int i = 0; i < 4; i++) {
        CHECK(symlink(to[i], p) == 0);
        against_every_call(name, ELOOP, "is a symbolic link");
        CHECK(unlink(p) == 0);
    }
    struct stat st;
    CHECK(lstat(dangling, &st) == -1 && errno == ENOENT); /* no create followed the dangling link */

    CHECK(mkdir(p, 0700) == 0);
    against_every_call(name, ENODEV, "is a directory");
    CHECK(rmdir(p) == 0);

    /* A unix socket bound under the name. */
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", p);
    CHECK(s >= 0 && bind(s, (struct sockaddr *)&addr, sizeof addr) == 0);
    against_every_call(name, ENODEV, "not a shared memory object");
    CHECK(close(s) == 0 && unlink(p) == 0);

    /* ".." would reach /dev itself: EINVAL, as musl says. */
    const char *dots[] = {"/..", "..", "/.", "//.."};
    for (int i = 0; i < 4; i++) {
        CHECK_REFUSED(rshm_segment_create(dots[i], 100, 0600), NULL, EINVAL, "rshm_segment_create", "name no object");
        CHECK_REFUSED(rshm_segment_open(dots[i], RSHM_O_RDONLY, 2000), NULL, EINVAL, "rshm_segment_open",
                      "name no object");
        CHECK_REFUSED(rshm_channel_create(dots[i], 4096, 0600), NULL, EINVAL, "rshm_channel_create", "name no object");
        CHECK_REFUSED(rshm_channel_open(dots[i], 2000), NULL, EINVAL, "rshm_channel_open", "name no object");
    }

    /* The real objects are untouched and still open by their own names. */
    CHECK(seg_opened(rshm_segment_open(target, RSHM_O_RDONLY, 0)));
    CHECK(chan_opened(rshm_channel_open(chan, 0)));
    rshm_segment_close(seg);
    rshm_channel_close(ch);
    CHECK(rshm_segment_unlink(target) == 0 && rshm_channel_unlink(chan) == 0);
    CHECK(check_shm_count(name + 1) == 0);
}

/* ---- liar: run in a child, in its own mount namespace ---- */

static long free_kib(void) {
    struct statvfs v;
    return statvfs("/dev/shm", &v) == 0 ? (long)(v.f_bfree * (v.f_frsize / 1024)) : -1;
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Opening `name` as a channel, and as a segment for `seg_want`: refused at
 * once, with /dev/shm's free space and this process's RSS unchanged. */
static void refused_cheaply(const char *name, const char *says, int seg_want) {
    long space = free_kib(), rss = rss_kib();
    CHECK_REFUSED(rshm_channel_open(name, 0), NULL, EPROTO, "rshm_channel_open", says);
    CHECK_REFUSED(rshm_channel_open(name, 2000), NULL, EPROTO, "rshm_channel_open", says);
    if (seg_want)
        CHECK_REFUSED(rshm_segment_open(name, RSHM_O_RDWR, 0), NULL, seg_want, "rshm_segment_open", "");
    CHECK(free_kib() == space);
    CHECK(rss_kib() - rss < 4096);
}

static void liar_in_private_shm(void) {
    long pg = rshm_getpagesize();
    char name[64];
    check_name(name, sizeof name, "liar");

    /* Grown after its creation to 1 GiB, 16 times the tmpfs. */
    rshm_channel *ch = rshm_channel_create(name, 4096, 0600);
    int fd = shm_open(name, O_RDWR, 0);
    CHECK(ch && fd >= 0 && ftruncate(fd, (off_t)1 << 30) == 0);
    refused_cheaply(name, "resized after its creation", EINVAL); /* a channel is no plain segment */
    rshm_channel_close(ch);

    /* A header and a ring that agree on a 1 GiB ring: the lie is
     * consistent, but its pages were never reserved. Only the ring
     * capacity's offset in the ring header is assumed (72: after the
     * 64-byte magic line and the version word). */
    uint64_t cap = (uint64_t)1 << 30;
    uint64_t ring_len = ((512 + cap) + (uint64_t)pg - 1) & ~((uint64_t)pg - 1);
    CHECK(ftruncate(fd, (off_t)(pg + ring_len)) == 0);
    CHECK(pwrite(fd, &ring_len, 8, 32) == 8);   /* the object header's data size */
    CHECK(pwrite(fd, &cap, 8, pg + 72) == 8);   /* the ring header's capacity */
    refused_cheaply(name, "never reserved", 0);

    /* The ring header alone lies (capacity past the data): EPROTO too. */
    CHECK(ftruncate(fd, 0) == 0 && close(fd) == 0 && rshm_channel_unlink(name) == 0);
    ch = rshm_channel_create(name, 4096, 0600);
    fd = shm_open(name, O_RDWR, 0);
    CHECK(ch && fd >= 0 && pwrite(fd, &cap, 8, pg + 72) == 8);
    refused_cheaply(name, "ring", 0);
    rshm_channel_close(ch);
    CHECK(close(fd) == 0 && rshm_channel_unlink(name) == 0);

    /* A value whose last pages were punched out after its creation: the
     * writer would fill them on its own account, and take SIGBUS for a
     * write once /dev/shm is full. Both roles: EPROTO, no hole filled (the
     * creator still holds the writer's role: a claim before the check
     * would say EBUSY). */
    rshm_value *v = rshm_value_create(name, 1 << 20, 0600);
    fd = shm_open(name, O_RDWR, 0);
    struct stat st;
    CHECK(v && fd >= 0 && fstat(fd, &st) == 0);
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size - 16 * pg, 16 * pg) == 0);
    long space = free_kib();
    CHECK_REFUSED(rshm_value_open(name, RSHM_O_RDONLY, 0), NULL, EPROTO, "rshm_value_open", "never reserved");
    CHECK_REFUSED(rshm_value_open(name, RSHM_O_RDWR, 0), NULL, EPROTO, "rshm_value_open", "never reserved");
    CHECK(free_kib() == space); /* the holes were not filled */
    CHECK(rshm_value_write(v, "still the writer's", 18) == 0);
    rshm_value_close(v);
    CHECK(close(fd) == 0 && rshm_value_unlink(name) == 0);

    /* A plain segment grown after its creation: EPROTO, nothing mapped. */
    rshm_segment *seg = rshm_segment_create(name, 100, 0600);
    fd = shm_open(name, O_RDWR, 0);
    CHECK(seg && fd >= 0 && ftruncate(fd, (off_t)1 << 30) == 0);
    CHECK_REFUSED(rshm_segment_open(name, RSHM_O_RDONLY, 0), NULL, EPROTO, "rshm_segment_open",
                  "resized after its creation");
    rshm_segment_close(seg);
    CHECK(close(fd) == 0 && rshm_segment_unlink(name) == 0);
}

/* Runs `body` in a child; returns its wait status. */
static int in_child(void (*body)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        check_passed = check_failed = 0;
        body();
        printf("  child: %d passed, %d failed\n", check_passed, check_failed);
        fflush(NULL);
        _exit(check_failed ? 1 : 0);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    return status;
}

static int liar_skipped;

static void liar_child(void) {
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=64m") != 0) {
        printf("SKIP liar: no private mount namespace here (%s); run as root, or with unshare -m\n",
               rshm_errno_name(errno));
        fflush(NULL);
        _exit(77);
    }
    liar_in_private_shm();
}

static void liar(void) {
    int status = in_child(liar_child);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        liar_skipped = 1;
        return;
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- fsize ---- */

static void fsize_child(void) {
    char name[64];
    check_name(name, sizeof name, "fsize");
    struct rlimit lim = {64 * 1024, RLIM_INFINITY};
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    CHECK_REFUSED(rshm_segment_create(name, 1 << 20, 0600), NULL, EFBIG, "rshm_segment_create", "RLIMIT_FSIZE");
    CHECK_REFUSED(rshm_segment_create_init(name, 1 << 20, 0600, NULL, NULL), NULL, EFBIG, "rshm_segment_create_init",
                  "RLIMIT_FSIZE");
    CHECK_REFUSED(rshm_channel_create(name, 1 << 20, 0600), NULL, EFBIG, "rshm_channel_create", "RLIMIT_FSIZE");
    int mfd = rshm_memfd_create("fsize", 0);
    CHECK_REFUSED(rshm_fallocate(mfd, 0, 1 << 20), -1, EFBIG, "rshm_fallocate", "RLIMIT_FSIZE");
    CHECK(rshm_fallocate(mfd, 0, 4096) == 0);
    /* Nothing left behind: no name, no temporary. */
    char tmp[64];
    snprintf(tmp, sizeof tmp, "rshm-tmp.%ld.", (long)getpid());
    CHECK(check_shm_count(name + 1) == 0 && check_shm_count(tmp) == 0);
    /* Under the limit, creates work. */
    rshm_segment *seg = rshm_segment_create(name, 4096, 0600);
    CHECK(seg != NULL);
    rshm_segment_close(seg);
    CHECK(rshm_segment_unlink(name) == 0);
    /* The mirror keeps libc's behaviour: ftruncate past the limit raises
     * SIGXFSZ (ignored here, so that the call returns EFBIG). */
    signal(SIGXFSZ, SIG_IGN);
    CHECK_ERR(rshm_ftruncate(mfd, 1 << 20), -1, EFBIG);
    close(mfd);
}

static void mirror_signal_child(void) {
    struct rlimit lim = {64 * 1024, RLIM_INFINITY};
    int mfd = rshm_memfd_create("fsize-mirror", 0);
    setrlimit(RLIMIT_FSIZE, &lim);
    rshm_ftruncate(mfd, 1 << 20); /* SIGXFSZ, default action: the child dies */
}

static void fsize(void) {
    int status = in_child(fsize_child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (WIFSIGNALED(status))
        fprintf(stderr, "  fsize child killed by signal %d\n", WTERMSIG(status));
    status = in_child(mirror_signal_child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
}

/* ---- fdpass ---- */

static void table_full_child(void) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
    int mfd = rshm_memfd_create("fdpass", 0);
    /* The soft limit only: valgrind refuses to move the hard one. */
    struct rlimit lim;
    CHECK(getrlimit(RLIMIT_NOFILE, &lim) == 0);
    lim.rlim_cur = 256;
    CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    int last = -1, d;
    while ((d = dup(sv[1])) >= 0)
        last = d;
    CHECK(last >= 0 && rshm_send_fd(sv[0], mfd) == 0);
    CHECK_REFUSED(rshm_recv_fd(sv[1]), -1, EMFILE, "rshm_recv_fd", "is lost");
    /* The message was consumed: with room again, the next one arrives. */
    CHECK(close(last) == 0 && rshm_send_fd(sv[0], mfd) == 0);
    CHECK(rshm_recv_fd(sv[1]) == last);
}

static void fdpass(void) {
    /* valgrind only pretends to lower the descriptor limit (its wrappers
     * refuse descriptors past it; the kernel's table has room), so a full
     * table is tested in the plain and ASan runs. */
    if (!check_under_valgrind()) {
        int status = in_child(table_full_child);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    int types[] = {SOCK_SEQPACKET, SOCK_DGRAM};
    for (int i = 0; i < 2; i++) {
        int sv[2];
        CHECK(socketpair(AF_UNIX, types[i], 0, sv) == 0);
        CHECK(send(sv[0], "", 0, 0) == 0);
        CHECK_REFUSED(rshm_recv_fd(sv[1]), -1, EBADMSG, "rshm_recv_fd", "an empty message");
        CHECK(send(sv[0], "x", 1, 0) == 1);
        CHECK_REFUSED(rshm_recv_fd(sv[1]), -1, EBADMSG, "rshm_recv_fd", "without a descriptor");
        int mfd = rshm_memfd_create("fdpass", 0);
        CHECK(rshm_send_fd(sv[0], mfd) == 0);
        int got = rshm_recv_fd(sv[1]);
        CHECK(got >= 0 && close(got) == 0 && close(mfd) == 0);
        CHECK(close(sv[0]) == 0);
        if (types[i] == SOCK_SEQPACKET)
            CHECK_REFUSED(rshm_recv_fd(sv[1]), -1, ECONNRESET, "rshm_recv_fd", "closed its end");
        CHECK(close(sv[1]) == 0);
    }
}

int main(void) {
    names();
    liar();
    fsize();
    fdpass();
    if (liar_skipped)
        printf("(liar skipped)\n");
    return check_done("hostile");
}
