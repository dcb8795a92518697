/* make bench: rshm_mutex against glibc's robust, process-shared,
 * error-checking pthread mutex (what rshm_mutex was before it had its own
 * lock word), in one run, interleaved round by round, as ratios:
 *   - uncontended lock/unlock in one thread;
 *   - the same with a kernel check that the memory is writable before
 *     each lock (getcpu(2) as a system call storing into the lock word, the
 *     check rshm_mutex_init makes): what returning EFAULT instead of
 *     SIGSEGV on read-only memory would cost (issue 17, item 7);
 *   - two processes contending: each locks, adds to a shared counter,
 *     unlocks, in a loop;
 *   - a hand-off between two processes: each takes the lock in a loop
 *     until it finds its turn, passes the turn to the other and counts, so
 *     every turn crosses between the processes through the lock. Who wins
 *     a free lock (the unlocker relocks at once) and whether the two
 *     processes share a CPU decide most of this row.
 * Prints medians and the middle half of the per-round ratios. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rshm.h>

#include "bench.h"

#define ROUNDS 31
#define UNCONTENDED 10000
#define ADDS 10000
#define HANDOFFS 100

/* One page shared with the child: both mutexes, the turn and counter of
 * the hand-off, and the parent's orders (which mutex the next round uses,
 * 0 to stop). Each mutex and the data have cache lines of their own (128
 * bytes apart, a pair of lines): data beside one mutex and not the other
 * would favour the one whose lock word travels with the data. */
struct shared {
    _Alignas(128) rshm_mutex r;
    _Alignas(128) pthread_mutex_t g;
    _Alignas(128) uint32_t turn;
    long counter;
    _Alignas(128) uint32_t order, done;
};

static struct shared *s;

static void glibc_init(pthread_mutex_t *m) {
    pthread_mutexattr_t a;
    if (pthread_mutexattr_init(&a) || pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK) ||
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) ||
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) || pthread_mutex_init(m, &a))
        die("pthread_mutex_init");
    pthread_mutexattr_destroy(&a);
}

/* One lock/unlock pair of each kind; nonzero on failure. */
static int pair_rshm(void) {
    return rshm_mutex_lock(&s->r, -1) | rshm_mutex_unlock(&s->r);
}
static int pair_glibc(void) {
    return pthread_mutex_lock(&s->g) | pthread_mutex_unlock(&s->g);
}
/* The probe stores the CPU's number, so here it goes to a spare word of
 * the mutex (the third, always zero): the same page and cache line as the
 * lock word, without changing the lock. */
static int pair_probed(void) {
    uint32_t *w = (uint32_t *)&s->r;
    if (syscall(SYS_getcpu, &w[2], NULL, NULL) < 0)
        return 1;
    return pair_rshm();
}
/* `n` turns of the hand-off as process `me` (0 the parent, 1 the child). */
static void handoff(int rshm, uint32_t me, int n) {
    for (int done = 0; done < n;) {
        if (rshm ? rshm_mutex_lock(&s->r, -1) : pthread_mutex_lock(&s->g))
            die("hand-off lock");
        if (s->turn == me) {
            s->turn = !me;
            s->counter++;
            done++;
        }
        if (rshm ? rshm_mutex_unlock(&s->r) : pthread_mutex_unlock(&s->g))
            die("hand-off unlock");
    }
}

static double per_op_ns(int (*op)(void), int n) {
    uint64_t t0 = now_ns();
    for (int i = 0; i < n; i++)
        if (op())
            die("lock/unlock");
    return (double)(now_ns() - t0) / n;
}

/* The fastest of BATCHES batches of n: a batch the scheduler cut into is
 * slower, never faster, so the minimum is the figure of an undisturbed run. */
#define BATCHES 15
static double best_ns(int (*op)(void), int n) {
    double best = per_op_ns(op, n);
    for (int i = 1; i < BATCHES; i++) {
        double t = per_op_ns(op, n);
        best = t < best ? t : best;
    }
    return best;
}

/* ADDS locked additions to the shared counter. */
static void adds(int rshm, int n) {
    for (int i = 0; i < n; i++) {
        if (rshm ? rshm_mutex_lock(&s->r, -1) : pthread_mutex_lock(&s->g))
            die("lock");
        s->counter++;
        if (rshm ? rshm_mutex_unlock(&s->r) : pthread_mutex_unlock(&s->g))
            die("unlock");
    }
}

/* What a contended round does in each process; `me` is 0 in the parent. */
static int work(int rshm, int hand_off, uint32_t me) {
    if (hand_off) {
        handoff(rshm, me, HANDOFFS);
        return HANDOFFS;
    }
    adds(rshm, ADDS);
    return ADDS;
}

/* The child: waits for the next round's order (4 per round, plus 1 for
 * rshm's mutex and 2 for the hand-off), does that round's work, says it is
 * done, until the order is UINT32_MAX. */
static void child(void) {
    for (uint32_t next = 4;; next += 4) {
        uint32_t o;
        while ((o = __atomic_load_n(&s->order, __ATOMIC_ACQUIRE)) < next)
            ;
        if (o == UINT32_MAX)
            _exit(0);
        work(o & 1, (o >> 1) & 1, 1);
        __atomic_add_fetch(&s->done, 1, __ATOMIC_RELEASE);
    }
}

/* One contended round with the parent as the second process. */
static double contended_ns(int rshm, int hand_off, uint32_t *order) {
    uint32_t done = __atomic_load_n(&s->done, __ATOMIC_ACQUIRE);
    *order += 4;
    uint64_t t0 = now_ns();
    __atomic_store_n(&s->order, *order | (uint32_t)rshm | (uint32_t)hand_off << 1, __ATOMIC_RELEASE);
    int n = work(rshm, hand_off, 0);
    while (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) == done)
        ;
    return (double)(now_ns() - t0) / (2 * n);
}

struct row {
    const char *what;
    double a[ROUNDS], b[ROUNDS], ratio[ROUNDS];
};

static void print(struct row *r, const char *a, const char *b, const char *target) {
    qsort(r->a, ROUNDS, sizeof(double), by_value);
    qsort(r->b, ROUNDS, sizeof(double), by_value);
    qsort(r->ratio, ROUNDS, sizeof(double), by_value);
    printf("  %s:\n    %-6s %7.1f ns\n    %-6s %7.1f ns\n    ratio %s/%s %.3f (middle half %.3f..%.3f; %s)\n", r->what, a,
           r->a[ROUNDS / 2], b, r->b[ROUNDS / 2], a, b, r->ratio[ROUNDS / 2], r->ratio[ROUNDS / 4],
           r->ratio[3 * ROUNDS / 4], target);
}

int main(void) {
    s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        die("mmap");
    if (rshm_mutex_init(&s->r))
        die("rshm_mutex_init");
    glibc_init(&s->g);

    static struct row un = {.what = "uncontended lock/unlock, one thread"};
    static struct row probe = {.what = "the same, with a kernel check that the memory is writable first"};
    static struct row con = {.what = "two processes contending, per lock/unlock"};
    static struct row hand = {.what = "hand-off between two processes, per turn"};
    per_op_ns(pair_rshm, UNCONTENDED); /* warm up, and learn this thread's id */
    per_op_ns(pair_glibc, UNCONTENDED);
    for (int r = 0; r < ROUNDS; r++) {
        /* alternate who goes first so neither always inherits a warm state */
        if (r & 1) {
            un.a[r] = best_ns(pair_rshm, UNCONTENDED);
            un.b[r] = best_ns(pair_glibc, UNCONTENDED);
        } else {
            un.b[r] = best_ns(pair_glibc, UNCONTENDED);
            un.a[r] = best_ns(pair_rshm, UNCONTENDED);
        }
        un.ratio[r] = un.a[r] / un.b[r];
        probe.a[r] = best_ns(pair_probed, UNCONTENDED / 10);
        probe.b[r] = best_ns(pair_rshm, UNCONTENDED / 10);
        probe.ratio[r] = probe.a[r] / probe.b[r];
    }

    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        child();
    uint32_t order = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int h = 0; h < 2; h++) {
            struct row *w = h ? &hand : &con;
            if (r & 1) {
                w->a[r] = contended_ns(1, h, &order);
                w->b[r] = contended_ns(0, h, &order);
            } else {
                w->b[r] = contended_ns(0, h, &order);
                w->a[r] = contended_ns(1, h, &order);
            }
            w->ratio[r] = w->a[r] / w->b[r];
        }
    }
    __atomic_store_n(&s->order, UINT32_MAX, __ATOMIC_RELEASE);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("child");
    if (s->counter != (long)ROUNDS * 2 * 2 * (ADDS + HANDOFFS))
        die("counter: the locks did not exclude");

    printf("rshm_mutex against glibc's robust process-shared mutex, median of %d rounds, interleaved:\n", ROUNDS);
    print(&un, "rshm", "glibc", "target <= 1.1");
    print(&probe, "probed", "rshm", "the cost of EFAULT on read-only memory");
    print(&con, "rshm", "glibc", "target <= 1.2");
    print(&hand, "rshm", "glibc", "target <= 1.2");
    return 0;
}
