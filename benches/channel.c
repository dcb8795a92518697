/* make bench: the channel against the baselines, each pair measured side by
 * side in one run, each figure printed with its ratio.
 *   1. 64-byte messages one way: channel vs pipe vs unix seqpacket socket.
 *   2. Ping-pong round trip: two channels vs a pipe pair vs the bare floor
 *      (two processes flipping a word in shared memory), both sides busy;
 *      and with a think time before each ping, so the peer is asleep:
 *      channel vs a bare futex wake round trip.
 *   3. 1 MiB messages: GB/s through send/recv and reserve/commit+peek/release
 *      vs memcpy of the same bytes. */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rshm.h>

static char base[64];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    int e = errno;
    fprintf(stderr, "bench: %s: %s (%s)\n", what, rshm_errno_name(e), rshm_errno_string(e));
    exit(1);
}

static const char *chan_name(const char *tag) {
    static char buf[96];
    snprintf(buf, sizeof buf, "%s-%s", base, tag);
    return buf;
}

/* A busy wait of about `ns`, standing for work between messages. */
static void think(uint64_t ns) {
    uint64_t end = now_ns() + ns;
    while (now_ns() < end)
        ;
}

static pid_t spawn(void (*child)(void *), void *arg) {
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        child(arg);
        _exit(0);
    }
    return pid;
}

static void reap(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench: child failed\n");
        exit(1);
    }
}

/* ---- 1. one way, 64-byte messages ---------------------------------- */

#define SMALL 64
#define ONEWAY_CHAN 4000000L
#define ONEWAY_SYS 400000L

static void chan_receiver(void *arg) {
    long n = *(long *)arg;
    rshm_channel *ch = rshm_channel_open(chan_name("oneway"), 5000);
    if (!ch)
        die("channel_open");
    char buf[SMALL];
    for (long i = 0; i < n; i++)
        if (rshm_channel_recv(ch, buf, sizeof buf, -1) != SMALL)
            die("channel_recv");
    rshm_channel_close(ch);
}

static double oneway_channel(long n) {
    rshm_channel *ch = rshm_channel_create(chan_name("oneway"), 1 << 20, 0600);
    if (!ch)
        die("channel_create");
    pid_t pid = spawn(chan_receiver, &n);
    char msg[SMALL] = {1};
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (rshm_channel_send(ch, msg, sizeof msg, -1) != 0)
            die("channel_send");
    reap(pid);
    uint64_t t = now_ns() - t0;
    rshm_channel_close(ch);
    rshm_channel_unlink(chan_name("oneway"));
    return n / (t / 1e9);
}

struct fdpair {
    int rd, wr;
    long n;
};

static void fd_receiver(void *arg) {
    struct fdpair *p = arg;
    close(p->wr);
    char buf[SMALL];
    for (long i = 0; i < p->n; i++) {
        size_t got = 0;
        while (got < SMALL) { /* a pipe may split; a seqpacket never does */
            ssize_t r = read(p->rd, buf + got, SMALL - got);
            if (r <= 0)
                die("read");
            got += (size_t)r;
        }
    }
}

static double oneway_fds(int rd, int wr, long n) {
    struct fdpair p = {rd, wr, n};
    pid_t pid = spawn(fd_receiver, &p);
    close(rd);
    char msg[SMALL] = {1};
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (write(wr, msg, sizeof msg) != SMALL)
            die("write");
    reap(pid);
    uint64_t t = now_ns() - t0;
    close(wr);
    return n / (t / 1e9);
}

static double oneway_pipe(long n) {
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe");
    return oneway_fds(fds[0], fds[1], n);
}

static double oneway_seqpacket(long n) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        die("socketpair");
    return oneway_fds(sv[0], sv[1], n);
}

/* ---- 2. ping-pong ---------------------------------------------------- */

#define PINGS 200000L
#define SLEEPY_PINGS 20000L
#define THINK_NS 50000u

struct pong_arg {
    long n;
};

static void chan_ponger(void *arg) {
    long n = ((struct pong_arg *)arg)->n;
    rshm_channel *in = rshm_channel_open(chan_name("ping"), 5000);
    rshm_channel *out = rshm_channel_open(chan_name("pong"), 5000);
    if (!in || !out)
        die("channel_open");
    char buf[SMALL];
    for (long i = 0; i < n; i++) {
        if (rshm_channel_recv(in, buf, sizeof buf, -1) != SMALL)
            die("pong recv");
        if (rshm_channel_send(out, buf, SMALL, -1) != 0)
            die("pong send");
    }
    rshm_channel_close(in);
    rshm_channel_close(out);
}

/* ns per round trip, `think` ns of work before each ping left out */
static double pingpong_channel(long n, uint64_t think_ns) {
    rshm_channel *out = rshm_channel_create(chan_name("ping"), 1 << 16, 0600);
    rshm_channel *in = rshm_channel_create(chan_name("pong"), 1 << 16, 0600);
    if (!out || !in)
        die("channel_create");
    struct pong_arg a = {n};
    pid_t pid = spawn(chan_ponger, &a);
    char msg[SMALL] = {1};
    uint64_t busy = 0, t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (think_ns) {
            uint64_t s = now_ns();
            think(think_ns);
            busy += now_ns() - s;
        }
        if (rshm_channel_send(out, msg, SMALL, -1) != 0 || rshm_channel_recv(in, msg, SMALL, -1) != SMALL)
            die("ping");
    }
    uint64_t t = now_ns() - t0 - busy;
    reap(pid);
    rshm_channel_close(out);
    rshm_channel_close(in);
    rshm_channel_unlink(chan_name("ping"));
    rshm_channel_unlink(chan_name("pong"));
    return (double)t / n;
}

struct pipes {
    int a[2], b[2];
    long n;
};

static void pipe_ponger(void *arg) {
    struct pipes *p = arg;
    char buf[SMALL];
    for (long i = 0; i < p->n; i++)
        if (read(p->a[0], buf, SMALL) != SMALL || write(p->b[1], buf, SMALL) != SMALL)
            die("pipe pong");
}

static double pingpong_pipe(long n) {
    struct pipes p = {.n = n};
    if (pipe(p.a) || pipe(p.b))
        die("pipe");
    pid_t pid = spawn(pipe_ponger, &p);
    char msg[SMALL] = {1};
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (write(p.a[1], msg, SMALL) != SMALL || read(p.b[0], msg, SMALL) != SMALL)
            die("pipe ping");
    uint64_t t = now_ns() - t0;
    reap(pid);
    close(p.a[0]), close(p.a[1]), close(p.b[0]), close(p.b[1]);
    return (double)t / n;
}

/* The floor: a shared word the two sides flip (odd: ping, even: pong). */
struct floor_arg {
    _Atomic uint32_t *word;
    long n;
    int futex; /* sleep on the futex instead of spinning */
};

static void wait_for(_Atomic uint32_t *w, uint32_t want, int futex) {
    uint32_t v;
    while ((v = atomic_load_explicit(w, memory_order_acquire)) != want) {
        if (futex)
            syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, v, NULL, NULL, 0);
    }
}

static void set_to(_Atomic uint32_t *w, uint32_t v, int futex) {
    atomic_store_explicit(w, v, memory_order_release);
    if (futex)
        syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void floor_ponger(void *arg) {
    struct floor_arg *f = arg;
    for (long i = 0; i < f->n; i++) {
        wait_for(f->word, (uint32_t)(2 * i + 1), f->futex);
        set_to(f->word, (uint32_t)(2 * i + 2), f->futex);
    }
}

static double pingpong_floor(long n, int futex, uint64_t think_ns) {
    _Atomic uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED)
        die("mmap");
    atomic_store(w, 0);
    struct floor_arg f = {w, n, futex};
    pid_t pid = spawn(floor_ponger, &f);
    uint64_t busy = 0, t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (think_ns) {
            uint64_t s = now_ns();
            think(think_ns);
            busy += now_ns() - s;
        }
        set_to(w, (uint32_t)(2 * i + 1), futex);
        wait_for(w, (uint32_t)(2 * i + 2), futex);
    }
    uint64_t t = now_ns() - t0 - busy;
    reap(pid);
    munmap((void *)w, 4096);
    return (double)t / n;
}

/* ---- 3. 1 MiB messages ----------------------------------------------- */

#define BIG (1u << 20)
#define BIG_MSGS 2000L

static void big_receiver(void *arg) {
    long zero_copy = *(long *)arg;
    rshm_channel *ch = rshm_channel_open(chan_name("big"), 5000);
    if (!ch)
        die("channel_open");
    char *buf = malloc(BIG);
    volatile uint64_t sink = 0;
    for (long i = 0; i < BIG_MSGS; i++) {
        if (zero_copy) {
            size_t len;
            const uint64_t *p = rshm_channel_peek(ch, &len, -1);
            if (!p || len != BIG)
                die("peek");
            for (size_t j = 0; j < BIG / 8; j += 512) /* use it in place: a word a page */
                sink += p[j];
            if (rshm_channel_release(ch) != 0)
                die("release");
        } else if (rshm_channel_recv(ch, buf, BIG, -1) != BIG) {
            die("recv");
        }
    }
    free(buf);
    rshm_channel_close(ch);
}

static double big_channel(int zero_copy) {
    rshm_channel *ch = rshm_channel_create(chan_name("big"), 4u << 20, 0600);
    if (!ch)
        die("channel_create");
    long zc = zero_copy;
    pid_t pid = spawn(big_receiver, &zc);
    char *src = malloc(BIG);
    memset(src, 7, BIG);
    uint64_t t0 = now_ns();
    for (long i = 0; i < BIG_MSGS; i++) {
        if (zero_copy) {
            void *p = rshm_channel_reserve(ch, BIG, -1);
            if (!p)
                die("reserve");
            memcpy(p, src, BIG);
            if (rshm_channel_commit(ch, BIG) != 0)
                die("commit");
        } else if (rshm_channel_send(ch, src, BIG, -1) != 0) {
            die("send");
        }
    }
    reap(pid);
    uint64_t t = now_ns() - t0;
    free(src);
    rshm_channel_close(ch);
    rshm_channel_unlink(chan_name("big"));
    return (double)BIG * BIG_MSGS / t; /* bytes per ns = GB/s */
}

static double big_memcpy(void) {
    char *src = malloc(BIG), *dst = malloc(BIG);
    memset(src, 7, BIG);
    memset(dst, 0, BIG);
    uint64_t t0 = now_ns();
    for (long i = 0; i < BIG_MSGS; i++) {
        memcpy(dst, src, BIG);
        __asm__ __volatile__("" ::"r"(dst) : "memory");
    }
    uint64_t t = now_ns() - t0;
    free(src);
    free(dst);
    return (double)BIG * BIG_MSGS / t;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define ROUNDS 5
#define MEDIAN(expr)                                                                                                   \
    ({                                                                                                                 \
        double v_[ROUNDS];                                                                                             \
        for (int r_ = 0; r_ < ROUNDS; r_++)                                                                            \
            v_[r_] = (expr);                                                                                           \
        qsort(v_, ROUNDS, sizeof(double), cmp);                                                                        \
        v_[ROUNDS / 2];                                                                                                \
    })

int main(void) {
    snprintf(base, sizeof base, "/rshm-bench-%ld", (long)getpid());
    printf("channel benchmarks (median of %d runs each, measured side by side)\n", ROUNDS);

    double ch = MEDIAN(oneway_channel(ONEWAY_CHAN)), pi = MEDIAN(oneway_pipe(ONEWAY_SYS)),
           sq = MEDIAN(oneway_seqpacket(ONEWAY_SYS));
    printf("1. 64-byte messages, one way (messages/s):\n");
    printf("   channel   %12.0f\n   pipe      %12.0f   channel/pipe      %6.1fx (target >= 20x)\n", ch, pi, ch / pi);
    printf("   seqpacket %12.0f   channel/seqpacket %6.1fx\n", sq, ch / sq);

    double cpp = MEDIAN(pingpong_channel(PINGS, 0)), ppp = MEDIAN(pingpong_pipe(PINGS / 4)),
           fl = MEDIAN(pingpong_floor(PINGS, 0, 0));
    printf("2. ping-pong round trip, both sides busy (ns):\n");
    printf("   channel   %8.0f\n   floor     %8.0f   channel/floor %5.2fx (target <= 2x)\n", cpp, fl, cpp / fl);
    printf("   pipe pair %8.0f   channel/pipe  %5.2fx\n", ppp, cpp / ppp);
    double csl = MEDIAN(pingpong_channel(SLEEPY_PINGS, THINK_NS)), fsl = MEDIAN(pingpong_floor(SLEEPY_PINGS, 1, THINK_NS));
    printf("   with %u us of work before each ping, so the peer sleeps:\n", THINK_NS / 1000);
    printf("   channel   %8.0f\n   futex     %8.0f   channel/futex %5.2fx (target <= 1.2x)\n", csl, fsl, csl / fsl);

    double mc = MEDIAN(big_memcpy()), sr = MEDIAN(big_channel(0)), zc = MEDIAN(big_channel(1));
    printf("3. 1 MiB messages (GB/s):\n");
    printf("   memcpy          %6.2f\n", mc);
    printf("   send/recv       %6.2f   /memcpy %4.2fx (target >= 0.4x)\n", sr, sr / mc);
    printf("   reserve/commit  %6.2f   /memcpy %4.2fx (target >= 0.8x)\n", zc, zc / mc);
    return 0;
}
