/* make bench: rshm_value against its baselines, measured side by side in
 * one run, interleaved round by round, medians and ratios printed.
 *
 * 1. Uncontended read (nobody writes) of a 64-byte and a 4 KiB value,
 *    through a reader's cursor (rshm_value_reader_read, inline in rshm.h)
 *    and through rshm_value_read, against memcpy of the same bytes out of
 *    shared memory, and against a bare C seqlock (one slot, plain C, no
 *    checks, inlined in its loop: the design's limit). Goals: 4 KiB within
 *    1.3x memcpy; within 1.2x the seqlock.
 * 2. Read while a writer process writes 64 bytes flat out: rshm_value
 *    against a read under a robust rshm mutex (the writer takes it too)
 *    and the bare seqlock. Goal: at least 3x the mutex's reads. The reader
 *    and the writer are pinned to two different CPUs (when the process may
 *    use two): on a machine with few CPUs the kernel would otherwise often
 *    run both on one, and the row would time the scheduler. Each value
 *    carries its version, so each row also says how many reads saw a new
 *    one (whether the writer really wrote during the reads). Beside them,
 *    the floor of any such design on this machine: a load of one cache
 *    line the writer stores to flat out (and a line's one-way transfer,
 *    timed by ping-pong): a read that must see the writer's latest store
 *    waits for a line to come over.
 * 3. The writer's rate alone and with three reader processes reading
 *    flat out. Goal: at least half. With fewer than five CPUs the four
 *    processes share them and the writer's rate says how the kernel
 *    shares CPUs as much as what readers cost it, so its rate per second
 *    of its own CPU time is printed too (clock_gettime(
 *    CLOCK_THREAD_CPUTIME_ID) in the writer): the cost readers add
 *    through the memory system.
 * 4. The writer's rate beside a reader process with no descriptor, beside
 *    one whose descriptor (rshm_value_fd) is in an epoll set while it is
 *    busy (it reads nothing), and beside one in an epoll loop (wait, read,
 *    again). Goal: the busy reader's descriptor costs the writer nothing
 *    (at least 0.9x); the epoll loop's row says what a polling reader
 *    costs (a wake-up for each write its watcher sleeps through).
 * Only row 2 pins processes. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rshm.h>

#include "bench.h"

#define BIG 4096
#define ROUNDS 9
#define UROUNDS 41
#define SLICE_NS 100000000ull /* one contended measurement: 0.1 s */

/* Keeps the compiler from dropping a copy nobody reads. */
static inline void use(void *p) {
    __asm__ volatile("" : : "r"(p) : "memory");
}

/* ---- the bare seqlock: one slot, plain C ---- */

struct bare {
    _Alignas(64) _Atomic uint64_t seq;
    uint64_t len;
    _Alignas(64) unsigned char data[BIG];
};

static void bare_write(struct bare *b, const void *p, size_t n) {
    uint64_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);
    atomic_store_explicit(&b->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    memcpy(b->data, p, n);
    b->len = n;
    atomic_store_explicit(&b->seq, s + 2, memory_order_release);
}

static size_t bare_read(struct bare *b, void *out) {
    for (;;) {
        uint64_t s1 = atomic_load_explicit(&b->seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        size_t n = b->len;
        if (n > BIG)
            continue;
        memcpy(out, b->data, n);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&b->seq, memory_order_relaxed) == s1)
            return n;
    }
}

/* ---- under a robust mutex ---- */

struct locked {
    rshm_mutex m;
    uint64_t len;
    _Alignas(64) unsigned char data[BIG];
};

static void locked_write(struct locked *l, const void *p, size_t n) {
    if (rshm_mutex_lock(&l->m, -1) != 0)
        die("rshm_mutex_lock");
    memcpy(l->data, p, n);
    l->len = n;
    rshm_mutex_unlock(&l->m);
}

static size_t locked_read(struct locked *l, void *out) {
    if (rshm_mutex_lock(&l->m, -1) != 0)
        die("rshm_mutex_lock");
    size_t n = l->len;
    memcpy(out, l->data, n);
    rshm_mutex_unlock(&l->m);
    return n;
}

/* Everything shared with the children, in one anonymous shared mapping
 * (fork keeps it): the baselines' slots, the control words. */
struct shared {
    struct bare bare;
    struct locked locked;
    _Alignas(64) unsigned char plain[BIG]; /* memcpy's source */
    _Alignas(64) _Atomic uint64_t floor;   /* the floor's line */
    _Alignas(64) _Atomic int stop;
    _Atomic uint64_t writes;
    _Atomic uint64_t writer_cpu_ns; /* the writer's CPU time */
    _Atomic int writer_cpu;        /* the CPU to pin the writer to, or -1 */
    _Atomic int ready;
    _Atomic int readers_ready;
};

static struct shared *sh;
static char name[64];

enum kind { VALUE, MUTEX, BARE, FLOOR };
#define KINDS 4
static const char *kind_name[] = {"rshm_value", "robust mutex", "bare seqlock", "floor: one line"};

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The first two CPUs this process may use, or -1s. */
static void two_cpus(int *a, int *b) {
    cpu_set_t set;
    *a = *b = -1;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set)) {
            if (*a < 0)
                *a = c;
            else if (*b < 0) {
                *b = c;
                break;
            }
        }
    if (*b < 0)
        *a = -1;
}

/* A child that writes 64-byte values of `kind` flat out until told to
 * stop, and counts them. */
static pid_t writer(enum kind k) {
    pid_t pid = fork();
    if (pid != 0) {
        if (pid < 0)
            die("fork");
        while (!atomic_load(&sh->ready))
            ;
        return pid;
    }
    pin(atomic_load(&sh->writer_cpu));
    unsigned char buf[64];
    rshm_value *w = k == VALUE ? rshm_value_open(name, RSHM_O_RDWR, 1000) : NULL;
    if (k == VALUE && !w)
        die("rshm_value_open O_RDWR");
    uint64_t n = 1;
    atomic_store(&sh->ready, 1);
    uint64_t c0 = cpu_ns();
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        /* Each value starts with its version: the reader counts new ones. */
        memset(buf, (int)n, sizeof buf);
        memcpy(buf, &n, sizeof n);
        if (k == FLOOR) {
            atomic_store_explicit(&sh->floor, n, memory_order_release);
        } else if (k == VALUE) {
            if (rshm_value_write(w, buf, sizeof buf) != 0)
                die("rshm_value_write");
        } else if (k == MUTEX) {
            locked_write(&sh->locked, buf, sizeof buf);
        } else {
            bare_write(&sh->bare, buf, sizeof buf);
        }
        n++;
    }
    atomic_store(&sh->writer_cpu_ns, cpu_ns() - c0);
    atomic_store(&sh->writes, n - 1);
    if (w)
        rshm_value_close(w);
    _exit(0);
}

static uint64_t stop_writer(pid_t pid) {
    atomic_store(&sh->stop, 1);
    if (waitpid(pid, NULL, 0) != pid)
        die("waitpid");
    uint64_t n = atomic_load(&sh->writes);
    atomic_store(&sh->stop, 0);
    atomic_store(&sh->ready, 0);
    return n;
}

/* ns per read of `len` bytes by `k` (or memcpy, k < 0) into `out` (BIG
 * bytes), `batch` reads; adds to *fresh the reads whose version (the
 * value's first 8 bytes, the floor's word) differs from the read before
 * (NULL: not counted). */
static double read_ns_counting(rshm_value *r, int k, size_t len, int batch, uint64_t *fresh, unsigned char *out) {
    uint64_t ver, last = 0, seen = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < batch; i++) {
        if (k < 0)
            memcpy(out, sh->plain, len);
        else if (k == VALUE) {
            if (rshm_value_read(r, out, BIG, &ver) < 0)
                die("rshm_value_read");
        } else if (k == MUTEX)
            locked_read(&sh->locked, out);
        else if (k == BARE)
            bare_read(&sh->bare, out);
        else {
            ver = atomic_load_explicit(&sh->floor, memory_order_acquire);
            memcpy(out, &ver, sizeof ver);
        }
        use(out);
        if (fresh) {
            memcpy(&ver, out, sizeof ver);
            seen += ver != last;
            last = ver;
        }
    }
    double ns = (double)(now_ns() - t0) / batch;
    if (fresh)
        *fresh += seen;
    return ns;
}

static double read_ns(rshm_value *r, int k, size_t len, int batch, unsigned char *out) {
    return read_ns_counting(r, k, len, batch, NULL, out);
}

/* ns per read through a reader's cursor on `r` (inline in rshm.h) into
 * `out` (BIG bytes), `batch` reads; the cursor a local, as its users keep
 * it. */
static double cursor_read_ns(rshm_value *r, int batch, unsigned char *out) {
    rshm_value_reader c;
    uint64_t ver;
    if (rshm_value_reader_begin(r, &c) != 0)
        die("rshm_value_reader_begin");
    uint64_t t0 = now_ns();
    for (int i = 0; i < batch; i++) {
        if (rshm_value_reader_read(&c, out, BIG, &ver) < 0)
            die("rshm_value_reader_read");
        use(out);
    }
    double ns = (double)(now_ns() - t0) / batch;
    if (rshm_value_reader_end(&c) != 0)
        die("rshm_value_reader_end");
    return ns;
}

static void uncontended(rshm_value *w, rshm_value *r, size_t len) {
    unsigned char src[BIG];
    memset(src, 0x5a, sizeof src);
    memcpy(sh->plain, src, len);
    bare_write(&sh->bare, src, len);
    if (rshm_value_write(w, src, len) != 0)
        die("rshm_value_write");
    /* Short batches (about 0.1 ms) and many rounds: on a loaded machine a
     * longer batch is more often cut by a preemption, which would count
     * against whichever of the three reads is slowest. */
    /* One destination for every read timed here: a read's speed can turn
     * on where its destination lies against the lines it loads (with a
     * buffer of its own, the cursor's 64-byte read took 2.9 ns in some
     * runs and 7.8 in others). */
    unsigned char out[BIG];
    int batch = len > 64 ? 2000 : 20000;
    double m[UROUNDS], v[UROUNDS], c[UROUNDS], b[UROUNDS], vm[UROUNDS], vb[UROUNDS], cm[UROUNDS], cb[UROUNDS];
    read_ns(r, VALUE, len, batch, out); /* warm up */
    for (int i = 0; i < UROUNDS; i++) {
        m[i] = read_ns(r, -1, len, batch, out);
        v[i] = read_ns(r, VALUE, len, batch, out);
        c[i] = cursor_read_ns(r, batch, out);
        b[i] = read_ns(r, BARE, len, batch, out);
        vm[i] = v[i] / m[i];
        vb[i] = v[i] / b[i];
        cm[i] = c[i] / m[i];
        cb[i] = c[i] / b[i];
    }
    printf("uncontended read of %zu bytes (median of %d rounds x %d):\n", len, UROUNDS, batch);
    printf("  memcpy from shared memory  %7.1f ns\n", median(m, UROUNDS));
    printf("  bare C seqlock             %7.1f ns\n", median(b, UROUNDS));
    printf("  rshm_value_reader_read     %7.1f ns (a reader's cursor)\n", median(c, UROUNDS));
    printf("  rshm_value_read            %7.1f ns\n", median(v, UROUNDS));
    /* The goals, on the way a program would read such a value: a short one
     * through a cursor, a long one (which a cursor reads by the same call)
     * through rshm_value_read. */
    const char *goal = len > 64 ? "" : " (goal <= 1.2)";
    printf("  ratio value/memcpy %.2f, value/seqlock %.2f%s, through a cursor\n", median(cm, UROUNDS),
           median(cb, UROUNDS), goal);
    goal = len > 64 ? " (goal <= 1.2)" : "";
    printf("  ratio value/memcpy %.2f%s, value/seqlock %.2f%s, through rshm_value_read\n", median(vm, UROUNDS),
           len > 64 ? " (goal <= 1.3)" : "", median(vb, UROUNDS), goal);
}

static void contended(rshm_value *r) {
    unsigned char out[BIG];
    double ns[KINDS][ROUNDS], wr[KINDS][ROUNDS], fr[KINDS][ROUNDS], ratio_mutex[ROUNDS], ratio_bare[ROUNDS],
        ratio_floor[ROUNDS], hop[ROUNDS];
    int a, b;
    two_cpus(&a, &b);
    cpu_set_t mine;
    if (sched_getaffinity(0, sizeof mine, &mine) != 0)
        die("sched_getaffinity");
    for (int i = 0; i < ROUNDS; i++) {
        pin(a);
        hop[i] = a >= 0 ? line_transfer_ns(b, CPU_SETSIZE) : 0;
        atomic_store(&sh->writer_cpu, b);
        for (int j = 0; j < KINDS; j++) {
            enum kind k = (enum kind)((i + j) % KINDS); /* who goes first rotates */
            pid_t pid = writer(k);
            uint64_t t0 = now_ns(), reads = 0, fresh = 0;
            while (now_ns() - t0 < SLICE_NS) {
                read_ns_counting(r, k, 64, 1000, &fresh, out);
                reads += 1000;
            }
            double el = (double)(now_ns() - t0);
            ns[k][i] = el / reads;
            fr[k][i] = 100.0 * (double)fresh / (double)reads;
            wr[k][i] = stop_writer(pid) / (el / 1e9) / 1e6;
        }
        ratio_mutex[i] = ns[MUTEX][i] / ns[VALUE][i];
        ratio_bare[i] = ns[VALUE][i] / ns[BARE][i];
        ratio_floor[i] = ns[VALUE][i] / ns[FLOOR][i];
    }
    atomic_store(&sh->writer_cpu, -1);
    if (sched_setaffinity(0, sizeof mine, &mine) != 0)
        die("sched_setaffinity");
    printf("read of 64 bytes while a writer process writes flat out (median of %d rounds x 0.1 s; %s):\n", ROUNDS,
           a >= 0 ? "reader and writer pinned to two CPUs" : "not pinned: one CPU");
    for (int k = 0; k < KINDS; k++)
        printf("  %-15s %8.1f ns per read, %5.1f%% of reads saw a new version, writer %6.2f M writes/s\n",
               kind_name[k], median(ns[k], ROUNDS), median(fr[k], ROUNDS), median(wr[k], ROUNDS));
    printf("  a cache line's one-way transfer between the two CPUs (ping-pong): %.1f ns\n", median(hop, ROUNDS));
    printf("  reads per second value/mutex %.2fx (goal >= 3), read time value/seqlock %.2f (goal <= 1.2), "
           "value/floor %.2f\n",
           median(ratio_mutex, ROUNDS), median(ratio_bare, ROUNDS), median(ratio_floor, ROUNDS));
}

/* Readers in child processes, reading the value flat out until stopped. */
static pid_t spawn_reader(void) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    rshm_value *r = rshm_value_open(name, RSHM_O_RDONLY, 1000);
    if (!r)
        die("rshm_value_open");
    unsigned char out[64];
    uint64_t ver;
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed))
        if (rshm_value_read(r, out, sizeof out, &ver) < 0)
            die("rshm_value_read");
    _exit(0);
}

static void writer_rate(void) {
    double alone[ROUNDS], three[ROUNDS], ratio[ROUNDS], calone[ROUNDS], cthree[ROUNDS], cratio[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        for (int with = 0; with < 2; with++) {
            pid_t readers[3] = {0, 0, 0};
            if ((with + i) % 2)
                for (int j = 0; j < 3; j++)
                    readers[j] = spawn_reader();
            pid_t pid = writer(VALUE);
            uint64_t t0 = now_ns();
            usleep(SLICE_NS / 1000);
            double el = (double)(now_ns() - t0);
            uint64_t n = stop_writer(pid);
            double rate = n / (el / 1e9) / 1e6;
            double crate = n / ((double)atomic_load(&sh->writer_cpu_ns) / 1e9) / 1e6;
            atomic_store(&sh->stop, 1);
            for (int j = 0; j < 3; j++)
                if (readers[j])
                    waitpid(readers[j], NULL, 0);
            atomic_store(&sh->stop, 0);
            if (readers[0]) {
                three[i] = rate;
                cthree[i] = crate;
            } else {
                alone[i] = rate;
                calone[i] = crate;
            }
        }
        ratio[i] = three[i] / alone[i];
        cratio[i] = cthree[i] / calone[i];
    }
    printf("the writer's rate, 64-byte values (median of %d rounds x 0.1 s):\n", ROUNDS);
    printf("  per second:             alone %6.2f M writes/s, with three readers %6.2f M writes/s: ratio %.2f\n",
           median(alone, ROUNDS), median(three, ROUNDS), median(ratio, ROUNDS));
    printf("  per second of its CPU:  alone %6.2f M writes/s, with three readers %6.2f M writes/s: ratio %.2f "
           "(goal >= 0.5)\n",
           median(calone, ROUNDS), median(cthree, ROUNDS), median(cratio, ROUNDS));
}

enum fd_reader { NO_FD, FD_BUSY, FD_LOOP };

/* A reader process: without a descriptor, with one in an epoll set while
 * it reads nothing, or waiting in epoll and reading in a loop. */
static pid_t spawn_fd_reader(enum fd_reader how) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    rshm_value *r = rshm_value_open(name, RSHM_O_RDONLY, 1000);
    if (!r)
        die("rshm_value_open");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN}, got;
    if (how != NO_FD && (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, rshm_value_fd(r), &ev) != 0))
        die("rshm_value_fd");
    unsigned char out[64];
    uint64_t ver;
    atomic_fetch_add(&sh->readers_ready, 1);
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        if (how == FD_LOOP) {
            if (epoll_wait(ep, &got, 1, 10) < 0 && errno != EINTR)
                die("epoll_wait");
            if (rshm_value_read(r, out, sizeof out, &ver) < 0)
                die("rshm_value_read");
        }
    }
    _exit(0);
}

static void writer_beside_descriptor(void) {
    static const char *row[] = {"no descriptor", "descriptor, reader busy", "descriptor, epoll loop"};
    double rate[3][ROUNDS], busy[ROUNDS], loop[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        for (int j = 0; j < 3; j++) {
            int how = (i + j) % 3;
            atomic_store(&sh->readers_ready, 0);
            pid_t rd = spawn_fd_reader((enum fd_reader)how);
            while (atomic_load(&sh->readers_ready) == 0)
                ;
            pid_t pid = writer(VALUE);
            uint64_t t0 = now_ns();
            usleep(SLICE_NS / 1000);
            double el = (double)(now_ns() - t0);
            rate[how][i] = stop_writer(pid) / (el / 1e9) / 1e6;
            atomic_store(&sh->stop, 1);
            waitpid(rd, NULL, 0);
            atomic_store(&sh->stop, 0);
        }
        busy[i] = rate[FD_BUSY][i] / rate[NO_FD][i];
        loop[i] = rate[FD_LOOP][i] / rate[NO_FD][i];
    }
    printf("the writer's rate beside one reader, 64-byte values (median of %d rounds x 0.1 s):\n", ROUNDS);
    for (int k = 0; k < 3; k++)
        printf("  %-24s %.2f M writes/s\n", row[k], median(rate[k], ROUNDS));
    printf("  ratio busy/none %.2f (goal >= 0.9), epoll loop/none %.2f\n", median(busy, ROUNDS),
           median(loop, ROUNDS));
}

int main(void) {
    snprintf(name, sizeof name, "/rshm-bench-value-%ld", (long)getpid());
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap");
    memset(sh, 0, sizeof *sh);
    atomic_store(&sh->writer_cpu, -1);
    if (rshm_mutex_init(&sh->locked.m) != 0)
        die("rshm_mutex_init");
    rshm_value *w = rshm_value_create(name, BIG, 0600);
    rshm_value *r = w ? rshm_value_open(name, RSHM_O_RDONLY, 0) : NULL;
    if (!r)
        die("rshm_value_create/open");
    uncontended(w, r, 64);
    uncontended(w, r, BIG);
    rshm_value_close(w); /* the writer processes take the role in turn */
    contended(r);
    writer_rate();
    writer_beside_descriptor();
    rshm_value_close(r);
    rshm_value_unlink(name);
    return 0;
}
