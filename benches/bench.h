/* What every benchmark program shares: the clock it times with, the
 * pinning of a process or thread to a CPU, a child process that says when
 * it is ready, medians, how it dies, its rows
 * of interleaved comparisons, and how far apart its two CPUs are.
 * Include after <rshm.h>. */
#ifndef RSHM_BENCH_H
#define RSHM_BENCH_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/* Reports what failed, with errno's name and text, and exits 1. */
_Noreturn static inline void die(const char *what) {
    int e = errno;
    fprintf(stderr, "%s: %s: %s (%s)\n", program_invocation_short_name, what, rshm_errno_name(e),
            rshm_errno_string(e));
    exit(1);
}

/* Nanoseconds on CLOCK_MONOTONIC: never steps back, so a difference of two
 * readings is an elapsed time. */
static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Pins the calling process to `cpu` (nothing for -1); exits on failure. */
static inline void pin(int cpu) {
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        perror("sched_setaffinity");
        exit(1);
    }
}

/* Pins the calling thread to CPU `cpu % ncpu`, best effort: a thread
 * left where the scheduler puts it still measures. */
static inline void on_cpu(int cpu, int ncpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % ncpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* qsort's order for doubles. */
static inline int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v's n figures (sorts v). */
static inline double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

/* Uses `len` bytes in place, as a consumer of a zero-copy message would:
 * reads a word of each cache line. Every line, not a word a page: strided
 * loads defeat the prefetcher, and a receiver reading that way becomes
 * the bottleneck. */
static inline void read_lines(const void *p, uint64_t len) {
    uint64_t sum = 0;
    for (uint64_t off = 0; off + 8 <= len; off += 64)
        sum += *(const uint64_t *)((const char *)p + off);
    /* The sum is used, as far as the compiler knows: the loads stay. */
    __asm__ volatile("" : : "r"(sum));
}

/* GB/s of `n` memcpys of `len` bytes into a destination of `ring` bytes
 * (faulted in first), one record of `stride` bytes after another, back to
 * its start when the next would not fit: the baseline of the 1 MiB rows,
 * the same bytes through the same amount of memory as the ring they time. */
static inline double memcpy_ring(size_t ring, size_t len, size_t stride, long n) {
    char *src = malloc(len), *dst = malloc(ring);
    if (!src || !dst)
        die("malloc");
    memset(src, 7, len);
    memset(dst, 0, ring);
    size_t at = 0;
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (at + len > ring)
            at = 0;
        memcpy(dst + at, src, len);
        __asm__ __volatile__("" ::"r"(dst) : "memory");
        at += stride;
    }
    uint64_t t = now_ns() - t0;
    free(src);
    free(dst);
    return (double)len * (double)n / (double)t;
}

/* ---- a child process on a CPU of its own ---- */

/* The child's end of the pipe spawn_on() waits on. */
static int ready_fd = -1;

/* Called by a child once it is set up (channel opened, pages mapped), so
 * that the clock measures messages, not fork and open. */
static inline void ready(void) {
    char c = 1;
    if (write(ready_fd, &c, 1) != 1)
        die("ready");
    close(ready_fd);
}

/* Forks a child pinned to `cpu` (-1: not pinned) running `child(arg)`;
 * returns once it has called ready(). */
static inline pid_t spawn_on(int cpu, void (*child)(void *), void *arg) {
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe");
    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        /* A child spinning on a bare ring would spin on for good if the
         * parent died: it goes with it. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(1);
        pin(cpu);
        close(fds[0]);
        ready_fd = fds[1];
        child(arg);
        _exit(0);
    }
    close(fds[1]);
    char c;
    if (read(fds[0], &c, 1) != 1)
        die("child not ready");
    close(fds[0]);
    return pid;
}

/* Waits for a child of spawn_on(); exits 1 unless it exited 0. */
static inline void reap(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench: child failed\n");
        exit(1);
    }
}

/* ---- comparisons ----
 * A row compares `a` (rshm) with `b` (its baseline), measured in alternate
 * order round by round (who goes first alternating too), so that both see
 * the same machine; it reports both medians and the median of the
 * per-round ratios a/b, with their least and greatest. */

/* The most rounds a row may have. */
#define MAX_ROUNDS 64

struct cmp {
    double a, b, ratio, lo, hi;
};

/* The row of `n` rounds whose figures are a[i] and b[i] (sorts both). */
static inline struct cmp cmp_of(double *a, double *b, int n) {
    double r[MAX_ROUNDS];
    if (n < 1 || n > MAX_ROUNDS) {
        fprintf(stderr, "cmp_of: %d rounds (1 to %d)\n", n, MAX_ROUNDS);
        exit(1);
    }
    for (int i = 0; i < n; i++)
        r[i] = a[i] / b[i];
    struct cmp c = {.a = median(a, n), .b = median(b, n), .ratio = median(r, n)};
    c.lo = r[0];
    c.hi = r[n - 1];
    return c;
}

/* Sets `res` to the row of `rounds` rounds of the expressions `exprA` and
 * `exprB`, each evaluated once a round, who goes first alternating. */
#define COMPARE_ROUNDS(res, rounds, exprA, exprB)                                                                     \
    do {                                                                                                               \
        double a_[MAX_ROUNDS], b_[MAX_ROUNDS];                                                                         \
        for (int i_ = 0; i_ < (rounds) && i_ < MAX_ROUNDS; i_++) {                                                     \
            if (i_ & 1) {                                                                                              \
                b_[i_] = (exprB);                                                                                      \
                a_[i_] = (exprA);                                                                                      \
            } else {                                                                                                   \
                a_[i_] = (exprA);                                                                                      \
                b_[i_] = (exprB);                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
        (res) = cmp_of(a_, b_, (rounds));                                                                              \
    } while (0)

/* One measurement: `n` operations (messages, round trips...) with `arg`. */
typedef double (*measure)(long n, int arg);

/* `rounds` rounds of a(n, a_arg) and b(n, b_arg). */
static inline struct cmp compare(int rounds, measure a, int a_arg, measure b, int b_arg, long n) {
    struct cmp c;
    COMPARE_ROUNDS(c, rounds, a(n, a_arg), b(n, b_arg));
    return c;
}

/* Prints a row: both medians in `unit`, the median ratio to three
 * significant digits (a pipe pair's is about 0.005) and its range, and
 * the target. */
static inline void print_row(const char *what, const char *unit, const char *base, struct cmp r, const char *target) {
    printf("   %-34s %12.1f %-8s %-16s %12.1f   ratio %#6.3gx (min..max %#.3g..%#.3g; target %s)\n", what, r.a,
           unit, base, r.b, r.ratio, r.lo, r.hi, target);
}

/* ---- how far apart the two CPUs are ----
 * On a VM the host places the two vCPUs where it likes, and moves them: a
 * cache line crosses between them in about 30 ns at some moments and
 * about 160 ns at others on the machine these figures come from. Every
 * figure that moves lines between the CPUs (all the streams and ping-pongs)
 * changes with it, and the ratios of two rings that move different numbers
 * of lines change too. So each program measures it and prints it with its
 * figures. */

static _Alignas(64) _Atomic uint64_t line_word;

struct line_peer {
    int cpu, ncpu;
    uint64_t n;
};

static void *line_bouncer(void *p) {
    const struct line_peer *a = p;
    on_cpu(a->cpu, a->ncpu);
    for (uint64_t i = 1; i < a->n; i += 2) {
        while (atomic_load_explicit(&line_word, memory_order_acquire) != i)
            ;
        atomic_store_explicit(&line_word, i + 1, memory_order_release);
    }
    return NULL;
}

/* Nanoseconds for one cache line to go one way between the calling
 * thread's CPU and CPU `cpu % ncpu`: a word handed back and forth, 10^5
 * times each way; the median of three. */
static inline double line_transfer_ns(int cpu, int ncpu) {
    double t[3];
    for (int r = 0; r < 3; r++) {
        struct line_peer a = {cpu, ncpu, 200000};
        atomic_store(&line_word, 0);
        pthread_t th;
        if (pthread_create(&th, NULL, line_bouncer, &a) != 0)
            die("pthread_create");
        uint64_t t0 = now_ns();
        for (uint64_t i = 0; i + 2 <= a.n; i += 2) {
            atomic_store_explicit(&line_word, i + 1, memory_order_release);
            while (atomic_load_explicit(&line_word, memory_order_acquire) != i + 2)
                ;
        }
        t[r] = (double)(now_ns() - t0) / (double)a.n;
        pthread_join(th, NULL);
    }
    return median(t, 3);
}

/* Sends `n` messages of `len` bytes at `msg` on `ch`, waiting for room:
 * through a sender's cursor (rshm_channel_sender_send, inline in rshm.h)
 * when `cursor`, else through rshm_channel_send; dies on an error. */
static inline void send_stream(rshm_channel *ch, const void *msg, size_t len, long n, int cursor) {
    if (cursor) {
        rshm_channel_sender s;
        if (rshm_channel_sender_begin(ch, &s) != 0)
            die("channel_sender_begin");
        for (long i = 0; i < n; i++)
            if (rshm_channel_sender_send(&s, msg, len, -1) != 0)
                die("channel_sender_send");
        if (rshm_channel_sender_end(&s) != 0)
            die("channel_sender_end");
    } else {
        for (long i = 0; i < n; i++)
            if (rshm_channel_send(ch, msg, len, -1) != 0)
                die("channel_send");
    }
}

#endif
