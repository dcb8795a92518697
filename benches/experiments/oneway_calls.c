/* What separates the channel from the classic ring (benches/README.md):
 * the classic SPSC ring of bench_channel, one change at a time, beside the
 * channel, interleaved round by round in one run. Not part of `make
 * bench`: `make bench-experiments` builds and runs it (in a private
 * /dev/shm, as for `make bench`, if you like).
 * Variants: 0 the classic ring inline; 1 its send and receive out of line
 * (lean bodies); 2 the sender loads a wait word on a line of its own after
 * each message; 3 the ring in a shm_open(3) object; 4 the channel. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include <rshm.h>

#include "../bench.h"

#define CAP (1u << 20)
#define N 2000000L
#define MSG 64
#define PAD UINT64_MAX
#define ROUNDS 7
#define VARIANTS 5

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
        uint64_t len = j->variant == 1 ? ring_recv_call(&e, buf) : ring_recv(&e, buf);
        if (len != MSG)
            _exit(2);
        __asm__ volatile("" ::"r"(buf) : "memory");
    }
}

static double ring_run(int variant) {
    size_t bytes = sizeof(struct ring) + CAP;
    void *m;
    if (variant == 3) {
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
    uint64_t acc = 0, t0 = now_ns();
    for (long i = 0; i < N; i++) {
        if (variant == 1)
            ring_send_call(&e, msg, MSG);
        else
            ring_send(&e, msg, MSG);
        if (variant == 2)
            acc += atomic_load_explicit(&j.r->wait, memory_order_relaxed);
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

static double chan_run(void) {
    rshm_channel *ch = rshm_channel_create("/rshm-exp-chan", CAP, 0600);
    if (!ch)
        die("channel_create");
    pid_t pid = spawn_on(1, chan_receiver, NULL);
    char msg[MSG] = {1};
    uint64_t t0 = now_ns();
    for (long i = 0; i < N; i++)
        if (rshm_channel_send(ch, msg, MSG, -1) != 0)
            die("channel_send");
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
    static const char *names[VARIANTS] = {"classic", "out of line", "+ wait load", "shm_open mem", "channel"};
    double m[VARIANTS][ROUNDS];
    for (int r = 0; r < ROUNDS; r++)
        for (int v = 0; v < VARIANTS; v++)
            m[v][r] = v == 4 ? chan_run() : ring_run(v);
    for (int v = 0; v < VARIANTS; v++) {
        printf("%-13s", names[v]);
        for (int r = 0; r < ROUNDS; r++)
            printf(" %6.1f", m[v][r]);
        printf("  median %.1f\n", median(m[v], ROUNDS));
    }
    return 0;
}
