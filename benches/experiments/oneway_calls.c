/* What separates the channel from the classic ring (benches/README.md):
 * the classic SPSC ring of bench_channel, one change at a time, beside the
 * channel, interleaved round by round in one run; each variant's median
 * rate and the median of its per-round ratios to the classic ring. Not
 * part of `make bench`: `make bench-experiments` builds and runs it (in a
 * private /dev/shm, as for `make bench`, if you like). The variants are
 * `enum variant`'s. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include <rshm.h>

#include "../bench.h"

#define CAP (1u << 20)
#define N 2000000L
#define MSG 64
#define PAD UINT64_MAX
#define ROUNDS 21

enum variant {
    CLASSIC,      /* the classic ring, inlined in its loops: the baseline */
    OUT_OF_LINE,  /* its send and receive out-of-line calls (lean bodies) */
    SEND_CALL,    /* its send alone a call */
    RECV_CALL,    /* its receive alone a call */
    WAIT_LOAD,    /* the sender loads a wait word of its own line each message */
    SHM_OPEN,     /* the ring in a shm_open(3) object */
    TX_STORE,     /* the sender stores its counter to private memory each message */
    RX_STORES,    /* the receiver makes seven more stores each message */
    CURSOR,       /* the channel's short path over a cursor in locals */
    HANDLE_LIKE,  /* the same over a cursor in memory others may see */
    CHANNEL,      /* rshm_channel_send */
    CHAN_CURSOR,  /* rshm_channel_sender_send */
    VARIANTS
};

struct ring {
    _Alignas(64) _Atomic uint64_t head;
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) _Atomic uint64_t wait;
    _Alignas(64) unsigned char area[];
};

/* One side: its position and counter, and its copy of the other's. */
struct end {
    struct ring *r;
    uint64_t pos, count, seen;
};

static inline uint64_t record(uint64_t len) {
    return 8 + ((len + 7) & ~7ull);
}

static inline void ring_send(struct end *e, const void *msg, uint64_t len) {
    uint64_t n = record(len);
    if (e->pos + n > CAP) {
        uint64_t pad = CAP - e->pos;
        while (CAP - (e->count - e->seen) < pad)
            e->seen = atomic_load_explicit(&e->r->tail, memory_order_acquire);
        memcpy(e->r->area + e->pos, &(uint64_t){PAD}, 8);
        e->count += pad;
        e->pos = 0;
    }
    while (CAP - (e->count - e->seen) < n) {
        e->seen = atomic_load_explicit(&e->r->tail, memory_order_acquire);
        __builtin_ia32_pause();
    }
    memcpy(e->r->area + e->pos, &len, 8);
    memcpy(e->r->area + e->pos + 8, msg, len);
    e->count += n;
    e->pos = e->pos + n == CAP ? 0 : e->pos + n;
    atomic_store_explicit(&e->r->head, e->count, memory_order_release);
}

static inline uint64_t ring_recv(struct end *e, void *buf) {
    for (;;) {
        while (e->count == e->seen) {
            e->seen = atomic_load_explicit(&e->r->head, memory_order_acquire);
            if (e->count == e->seen)
                __builtin_ia32_pause();
        }
        uint64_t len;
        memcpy(&len, e->r->area + e->pos, 8);
        if (len != PAD && len > MSG)
            len--; /* the cursor's length words are len + 1 */
        if (len == PAD) {
            e->count += CAP - e->pos;
            e->pos = 0;
            continue;
        }
        memcpy(buf, e->r->area + e->pos + 8, len);
        uint64_t n = record(len);
        e->count += n;
        e->pos = e->pos + n == CAP ? 0 : e->pos + n;
        atomic_store_explicit(&e->r->tail, e->count, memory_order_release);
        return len;
    }
}

static __attribute__((noinline)) void ring_send_call(struct end *e, const void *msg, uint64_t len) {
    ring_send(e, msg, len);
}

static __attribute__((noinline)) uint64_t ring_recv_call(struct end *e, void *buf) {
    return ring_recv(e, buf);
}

/* A sender's cursor as rshm_channel_sender_send keeps it: the channel's
 * short path (room from a limit, a closed check, a wait-word look), state
 * passed by value to a cold out-of-line slow path so it never escapes. */
struct cursor {
    struct ring *r;
    uint64_t head, lap, limit;
    _Atomic uint32_t *closed;
};

static __attribute__((noinline, cold)) struct cursor cursor_slow(struct cursor c, const void *msg, uint64_t len) {
    struct end e = {c.r, c.head - c.lap, c.head, 0};
    e.seen = atomic_load_explicit(&c.r->tail, memory_order_acquire);
    ring_send(&e, msg, len);
    c.head = e.count;
    c.lap = e.count - e.pos;
    uint64_t t = atomic_load_explicit(&c.r->tail, memory_order_acquire);
    uint64_t end = c.lap + CAP;
    c.limit = t + CAP < end ? t + CAP : end;
    return c;
}

static volatile uint64_t priv_count;

/* The cursor as a handle holds it: in memory the compiler must load from
 * and store to each message (its address is known to others). */
static struct cursor *volatile handle_cursor;

static __attribute__((noinline)) void handle_slow(struct cursor *c, const void *msg, uint64_t len) {
    *c = cursor_slow(*c, msg, len);
}

/* The channel's short path over `c`; `held`: the slow path gets its
 * address (as a handle's state is in memory others see), else its value
 * (the cursor stays a local the compiler keeps in registers). */
static inline void cursor_send(struct cursor *c, const void *msg, uint64_t len, int held) {
    uint64_t n = record(len);
    if (__builtin_expect(len > 64 || n > c->limit - c->head ||
                             atomic_load_explicit(c->closed, memory_order_acquire) == 0xffffffffu,
                         0)) {
        if (held)
            handle_slow(c, msg, len);
        else
            *c = cursor_slow(*c, msg, len);
        return;
    }
    unsigned char *at = c->r->area + (c->head - c->lap);
    c->head += n;
    memcpy(at + 8, msg, len);
    memcpy(at, &(uint64_t){len + 1}, 8);
    atomic_store_explicit(&c->r->head, c->head, memory_order_release);
    __asm__ volatile("" ::: "memory");
    if (__builtin_expect(atomic_load_explicit((_Atomic uint64_t *)&c->r->wait, memory_order_relaxed) != 0, 0))
        die("woken");
}

struct job {
    struct ring *r;
    int variant;
};

static void ring_receiver(void *arg) {
    struct job *j = arg;
    struct end e = {j->r, 0, 0, 0};
    char buf[MSG];
    ready();
    for (long i = 0; i < N; i++) {
        uint64_t len =
            j->variant == OUT_OF_LINE || j->variant == RECV_CALL ? ring_recv_call(&e, buf) : ring_recv(&e, buf);
        if (j->variant == RX_STORES) {
            uint64_t st[7];
            for (int k = 0; k < 7; k++)
                st[k] = len + (uint64_t)k;
            __asm__ volatile("" ::"r"(st) : "memory");
        }
        if (len != MSG)
            _exit(2);
        __asm__ volatile("" ::"r"(buf) : "memory");
    }
}

static double ring_run(int variant) {
    size_t bytes = sizeof(struct ring) + CAP;
    void *m;
    if (variant == SHM_OPEN) {
        int fd = shm_open("/rshm-exp-oneway", O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0)
            die("shm_open");
        m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
        close(fd);
        shm_unlink("/rshm-exp-oneway");
    } else {
        m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    }
    if (m == MAP_FAILED)
        die("mmap");
    struct job j = {m, variant};
    pid_t pid = spawn_on(1, ring_receiver, &j);
    struct end e = {m, 0, 0, 0};
    char msg[MSG] = {1};
    _Atomic uint32_t closed = 0;
    struct cursor c = {m, 0, 0, CAP, &closed};
    uint64_t acc = 0, t0 = now_ns();
    if (variant == CURSOR) {
        for (long i = 0; i < N; i++)
            cursor_send(&c, msg, MSG, 0);
    } else if (variant == HANDLE_LIKE) {
        static struct cursor held;
        held = c;
        handle_cursor = &held;
        struct cursor *p = handle_cursor;
        for (long i = 0; i < N; i++)
            cursor_send(p, msg, MSG, 1);
    } else {
        for (long i = 0; i < N; i++) {
            if (variant == OUT_OF_LINE || variant == SEND_CALL)
                ring_send_call(&e, msg, MSG);
            else
                ring_send(&e, msg, MSG);
            if (variant == WAIT_LOAD)
                acc += atomic_load_explicit(&j.r->wait, memory_order_relaxed);
            if (variant == TX_STORE)
                priv_count = e.count;
        }
    }
    reap(pid);
    double rate = N / ((double)(now_ns() - t0) / 1e9) / 1e6;
    if (acc)
        die("the wait word moved");
    munmap(m, bytes);
    return rate;
}

static void chan_receiver(void *arg) {
    (void)arg;
    rshm_channel *rx = rshm_channel_open("/rshm-exp-chan", 1000);
    if (!rx)
        _exit(1);
    ready();
    char buf[MSG];
    for (long i = 0; i < N; i++)
        if (rshm_channel_recv(rx, buf, MSG, -1) != MSG)
            _exit(2);
}

/* `cursor`: sent by rshm_channel_sender_send, else rshm_channel_send. */
static double chan_run(int cursor) {
    rshm_channel *ch = rshm_channel_create("/rshm-exp-chan", CAP, 0600);
    if (!ch)
        die("channel_create");
    pid_t pid = spawn_on(1, chan_receiver, NULL);
    char msg[MSG] = {1};
    uint64_t t0 = now_ns();
    send_stream(ch, msg, MSG, N, cursor);
    reap(pid);
    double rate = N / ((double)(now_ns() - t0) / 1e9) / 1e6;
    rshm_channel_close(ch);
    rshm_channel_unlink("/rshm-exp-chan");
    return rate;
}

int main(void) {
    pin(0);
    printf("a cache line crosses between CPUs 0 and 1 in %.0f ns; M msgs/s, %d rounds\n", line_transfer_ns(1, 2),
           ROUNDS);
    static const char *names[VARIANTS] = {"classic",      "out of line",   "send call",      "recv call",
                                          "+ wait load",  "shm_open mem",  "+ tx store",     "+ 7 rx stores",
                                          "cursor",       "handle-like",   "channel",        "chan. cursor"};
    double m[VARIANTS][ROUNDS];
    for (int r = 0; r < ROUNDS; r++)
        for (int v = 0; v < VARIANTS; v++)
            m[v][r] = v == CHANNEL || v == CHAN_CURSOR ? chan_run(v == CHAN_CURSOR) : ring_run(v);
    for (int v = 0; v < VARIANTS; v++) {
        double ratio[ROUNDS];
        printf("%-14s", names[v]);
        for (int r = 0; r < ROUNDS; r++) {
            printf(" %5.1f", m[v][r]);
            ratio[r] = m[v][r] / m[0][r];
        }
        printf("  median %.1f, of classic (per round) %.3f\n", median(m[v], ROUNDS), median(ratio, ROUNDS));
    }
    return 0;
}
