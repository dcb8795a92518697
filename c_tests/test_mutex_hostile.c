/* A peer that may write a mutex cannot hurt the process using it (issue
 * 26): for a few seconds a peer process scribbles the mutex in a loop
 * (random bytes; random lock words and flags; the attacks on the
 * glibc-based mutex it replaced: robust-list pointers aimed at the victim's
 * globals, __kind and __owner rewritten; the old layout's mark; the
 * victim's own tid; its own, live, tid) while a victim process locks and
 * unlocks it. The victim must see only documented results, never wait past
 * its timeout by more than scheduling slack, take no signal, and find its
 * canaries (globals the old attack wrote through, and the shared bytes on
 * either side of the mutex) as it left them. */
#include "check.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#define SECONDS 2
/* How far past its timeout a lock may return: the machine is shared and
 * may be slow (valgrind), but a hang is seconds. */
#define SLACK_NS 1000000000LL

struct shared {
    uint64_t before[8];
    rshm_mutex m;
    uint64_t after[8];
    uint32_t victim_tid, stop;
    /* What the victim saw, for the parent to check. */
    long locked, owner_dead, refused, unexpected, overran, canaries_bad;
};

/* The victim's globals: the old attack pointed the holder's robust list
 * at variables like these, and its unlock wrote through them. */
static volatile uint64_t canary_a[4] = {0x1111, 0x2222, 0x3333, 0x4444};
static volatile uint64_t canary_b[4] = {0x5555, 0x6666, 0x7777, 0x8888};

static const uint64_t GUARD = 0xfeedfacecafebeefULL;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) {
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* One of the attacks, chosen by `i`. */
static void scribble(struct shared *s, unsigned i) {
    uint32_t *w = (uint32_t *)&s->m;
    unsigned char *b = (unsigned char *)&s->m;
    switch (i % 8) {
    case 0: /* random bytes, mark and all */
        for (size_t k = 0; k < sizeof s->m; k++)
            b[k] = (unsigned char)rnd();
        break;
    case 1: /* a random lock word */
        __atomic_store_n(&w[0], (uint32_t)rnd(), __ATOMIC_RELAXED);
        break;
    case 2: /* random flags */
        __atomic_store_n(&w[1], (uint32_t)rnd(), __ATOMIC_RELAXED);
        break;
    case 3: { /* glibc x86-64: __lock, __count, __owner, __nusers, __kind,
               * then __list.__prev / __next aimed at the victim's globals */
        uintptr_t p = (uintptr_t)&canary_a[1], q = (uintptr_t)&canary_b[2];
        w[0] = s->victim_tid;
        w[1] = 1;
        w[2] = s->victim_tid;
        w[3] = 1;
        w[4] = (uint32_t)rnd() | 0x80;
        memcpy(b + 24, &p, sizeof p);
        memcpy(b + 32, &q, sizeof q);
        break;
    }
    case 4: /* the old layout's mark */
        memcpy(&w[15], "-mtx", 4);
        break;
    case 5: /* the victim's tid, with a random tag and waiters bit */
        __atomic_store_n(&w[0], s->victim_tid | ((uint32_t)rnd() & 0xffc00000u), __ATOMIC_RELAXED);
        break;
    case 6: /* the peer's own tid, tag 0: a live owner */
        __atomic_store_n(&w[0], (uint32_t)getpid(), __ATOMIC_RELAXED);
        break;
    default: /* a fresh mutex: the victim gets windows where it works */
        rshm_mutex_init(&s->m);
        break;
    }
}

static void peer(struct shared *s) {
    rnd_state ^= (uint64_t)getpid() << 20;
    for (unsigned i = 0; !__atomic_load_n(&s->stop, __ATOMIC_RELAXED); i++) {
        scribble(s, (unsigned)rnd());
        if (i % 4 == 0)
            usleep(50);
    }
    _exit(0);
}

static int canaries_ok(const struct shared *s) {
    static const uint64_t a[4] = {0x1111, 0x2222, 0x3333, 0x4444}, b[4] = {0x5555, 0x6666, 0x7777, 0x8888};
    int ok = 1;
    for (int i = 0; i < 4; i++)
        ok &= canary_a[i] == a[i] && canary_b[i] == b[i];
    for (int i = 0; i < 8; i++)
        ok &= s->before[i] == GUARD && s->after[i] == GUARD;
    return ok;
}

static void victim(struct shared *s) {
    static const int64_t timeouts[] = {0, 1000, 100000, 2000000};
    int64_t end = now_ns() + (int64_t)SECONDS * 1000000000;
    for (unsigned i = 0; now_ns() < end; i++) {
        int64_t to = timeouts[i % 4];
        int64_t t0 = now_ns();
        errno = 0;
        int r = rshm_mutex_lock(&s->m, to);
        int e = errno;
        if (now_ns() - t0 > to + SLACK_NS)
            s->overran++;
        if (r == 0 || e == EOWNERDEAD) {
            s->locked++;
            if (r != 0) {
                s->owner_dead++;
                rshm_mutex_consistent(&s->m); /* EINVAL if the peer cleared the flag */
            }
            /* Now and then hold it a while, so the peer writes a held mutex
             * (the old attack's moment: the holder's list in the bytes). */
            if (i % 16 == 0)
                for (int64_t until = now_ns() + 20000; now_ns() < until;)
                    ;
            errno = 0;
            if (rshm_mutex_unlock(&s->m) != 0 && errno != EPERM && errno != EINVAL && errno != EPROTO)
                s->unexpected++;
        } else if (e == EBUSY || e == ETIMEDOUT || e == EDEADLK) {
            s->refused++;
        } else if (e == ENOTRECOVERABLE || e == EINVAL || e == EPROTO) {
            s->refused++;
            rshm_mutex_init(&s->m);
        } else {
            s->unexpected++;
            fprintf(stderr, "victim: rshm_mutex_lock(%lld ns): %s\n", (long long)to, rshm_errno_name(e));
        }
        if (!canaries_ok(s))
            s->canaries_bad++;
    }
    _exit(0);
}

int main(void) {
    struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(s != MAP_FAILED);
    if (s == MAP_FAILED)
        return check_done("mutex_hostile");
    for (int i = 0; i < 8; i++)
        s->before[i] = s->after[i] = GUARD;
    CHECK(rshm_mutex_init(&s->m) == 0);

    /* The victim first, so the peer knows its tid (its pid: one thread). */
    pid_t v = fork();
    if (v == 0)
        victim(s);
    CHECK(v > 0);
    s->victim_tid = (uint32_t)v;
    pid_t p = fork();
    if (p == 0)
        peer(s);
    CHECK(p > 0);

    /* The victim ends by itself after SECONDS; a hang is a failure, not a
     * hung test. */
    int status = -1;
    pid_t got = 0;
    for (int waited = 0; waited < 600 && (got = waitpid(v, &status, WNOHANG)) == 0; waited++)
        usleep(100000);
    if (got == 0) {
        kill(v, SIGKILL);
        waitpid(v, &status, 0);
        fprintf(stderr, "victim still running after 60 s\n");
    }
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
    int peer_status = -1;
    CHECK(waitpid(p, &peer_status, 0) == p && WIFEXITED(peer_status));

    CHECK(got == v);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (WIFSIGNALED(status))
        fprintf(stderr, "victim killed by signal %d\n", WTERMSIG(status));
    CHECK(s->unexpected == 0);
    CHECK(s->overran == 0);
    CHECK(s->canaries_bad == 0);
    CHECK(s->locked > 0);
    CHECK(s->owner_dead > 0);
    CHECK(s->refused > 0);
    printf("victim: %ld locks (%ld EOWNERDEAD), %ld refused with a documented errno\n", s->locked,
           s->owner_dead, s->refused);
    CHECK(munmap(s, 4096) == 0);
    return check_done("mutex_hostile");
}
