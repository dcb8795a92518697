/* make bench: the topic against the channel (and memcpy), each pair
 * measured side by side in one run, alternating, each figure with its ratio.
 *   1. 64-byte messages one way, one subscriber (RSHM_TOPIC_BLOCK: nothing
 *      lost, as through a channel): topic vs SPSC channel. Goal >= 0.7x.
 *   2. Ping-pong round trip of 64 bytes, both sides busy: two topics vs two
 *      channels, on 64 KiB rings as the channel's own ping-pong row (goal
 *      <= 1.3x), and again on 4 KiB rings, where a lap is 51 messages and
 *      what the topic pays once a lap (benches/README.md) shows.
 *   3. Publisher throughput with 2 subscribers vs 1 (one copy in, N reads).
 *   4. 1 MiB messages in place (reserve/commit, peek/release), four in
 *      flight, every line read, vs memcpy of the same bytes through as
 *      much memory, in GB/s: as the channel's row (goal >= 0.8x).
 * Ends are threads of one process pinned to two CPUs when there are two:
 * the topic and the channel put nothing process-specific on the data path,
 * so threads measure what processes would. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rshm.h>

#include "bench.h"

#define ROUNDS 5
#define MSG 64
#define BIG (1u << 20)
/* Room for four 1 MiB messages in flight, as the channel's row has: each
 * takes a 16-byte header, and the place after the last one another. */
#define BIG_RING (4u * (BIG + 16) + 16)
#define BIG_MSGS 1000L
/* Ping-pong rings: the size the channel's own ping-pong row uses, and a
 * small one, where what the topic pays once a lap shows. */
#define PING_RING (64u << 10)
#define SMALL_RING 4096u

static char base[64];
static int ncpu;
/* Subscribers that have joined: nothing is published before they all have. */
static _Atomic int joined;

static void wait_joined(int n) {
    while (atomic_load(&joined) < n)
        sched_yield();
    atomic_store(&joined, 0);
}

static const char *obj(const char *tag) {
    static char buf[96];
    snprintf(buf, sizeof buf, "%s-%s", base, tag);
    return buf;
}

/* Pins the calling thread to CPU `i` modulo the CPUs there are. */
/* ---- what the other thread does ---- */

struct peer {
    const char *name; /* what it opens */
    const char *back; /* ping-pong: where it answers */
    long n;
    int cpu;
    int zero_copy;
};

static void *topic_sub(void *arg) {
    const struct peer *p = arg;
    on_cpu(p->cpu, ncpu);
    rshm_topic *t = rshm_topic_open(p->name, RSHM_O_RDONLY, 5000);
    if (!t)
        die("topic_open");
    atomic_fetch_add(&joined, 1);
    static __thread unsigned char buf[BIG];
    for (long i = 0; i < p->n; i++) {
        if (p->zero_copy) {
            size_t len;
            const void *m = rshm_topic_peek(t, &len, -1);
            if (!m)
                die("topic_peek");
            read_lines(m, len);
            rshm_topic_release(t);
        } else if (rshm_topic_receive(t, buf, sizeof buf, -1) < 0) {
            die("topic_receive");
        }
    }
    rshm_topic_close(t);
    return NULL;
}

static void *chan_recv(void *arg) {
    const struct peer *p = arg;
    on_cpu(p->cpu, ncpu);
    rshm_channel *c = rshm_channel_open(p->name, 5000);
    if (!c)
        die("channel_open");
    unsigned char buf[MSG];
    for (long i = 0; i < p->n; i++)
        if (rshm_channel_recv(c, buf, sizeof buf, -1) < 0)
            die("channel_recv");
    rshm_channel_close(c);
    return NULL;
}

/* Answers each ping on `back`; the topic it publishes on is made by the
 * other side (created before this thread starts). */
static void *topic_pong(void *arg) {
    const struct peer *p = arg;
    on_cpu(p->cpu, ncpu);
    rshm_topic *in = rshm_topic_open(p->name, RSHM_O_RDONLY, 5000);
    rshm_topic *out = rshm_topic_open(p->back, RSHM_O_RDWR, 5000);
    if (!in || !out)
        die("topic_open (pong)");
    atomic_fetch_add(&joined, 1);
    unsigned char buf[MSG];
    for (long i = 0; i < p->n; i++)
        if (rshm_topic_receive(in, buf, sizeof buf, -1) < 0 || rshm_topic_publish(out, buf, MSG, -1) != 0)
            die("topic pong");
    rshm_topic_close(in);
    rshm_topic_close(out);
    return NULL;
}

static void *chan_pong(void *arg) {
    const struct peer *p = arg;
    on_cpu(p->cpu, ncpu);
    rshm_channel *in = rshm_channel_open(p->name, 5000), *out = rshm_channel_open(p->back, 5000);
    if (!in || !out)
        die("channel_open (pong)");
    atomic_fetch_add(&joined, 1);
    unsigned char buf[MSG];
    for (long i = 0; i < p->n; i++)
        if (rshm_channel_recv(in, buf, sizeof buf, -1) < 0 || rshm_channel_send(out, buf, MSG, -1) != 0)
            die("channel pong");
    rshm_channel_close(in);
    rshm_channel_close(out);
    return NULL;
}

/* ---- measurements: each returns its figure ---- */

/* Messages per second published to `subs` subscribers (64 bytes, BLOCK). */
static double topic_stream(long n, int subs) {
    const char *name = obj("stream");
    rshm_topic *t = rshm_topic_create(name, 64 << 10, (uint32_t)subs, RSHM_TOPIC_BLOCK, 0600);
    if (!t)
        die("topic_create");
    pthread_t th[2];
    struct peer p = {name, NULL, n, 1, 0};
    for (int i = 0; i < subs; i++)
        pthread_create(&th[i], NULL, topic_sub, &p);
    wait_joined(subs);
    unsigned char msg[MSG] = {1};
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (rshm_topic_publish(t, msg, MSG, -1) != 0)
            die("topic_publish");
    for (int i = 0; i < subs; i++)
        pthread_join(th[i], NULL);
    double s = (double)(now_ns() - t0) / 1e9;
    rshm_topic_close(t);
    rshm_topic_unlink(name);
    return (double)n / s;
}

static double chan_stream(long n) {
    const char *name = obj("chan");
    rshm_channel *c = rshm_channel_create(name, 64 << 10, 0600);
    if (!c)
        die("channel_create");
    pthread_t th;
    struct peer p = {name, NULL, n, 1, 0};
    pthread_create(&th, NULL, chan_recv, &p);
    unsigned char msg[MSG] = {1};
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (rshm_channel_send(c, msg, MSG, -1) != 0)
            die("channel_send");
    pthread_join(th, NULL);
    double s = (double)(now_ns() - t0) / 1e9;
    rshm_channel_close(c);
    rshm_channel_unlink(name);
    return (double)n / s;
}

/* Nanoseconds per round trip through two topics of `ring` bytes. */
static double topic_pingpong(long n, int ring) {
    char ping[96], pong[96];
    snprintf(ping, sizeof ping, "%s", obj("ping"));
    snprintf(pong, sizeof pong, "%s", obj("pong"));
    rshm_topic *out = rshm_topic_create(ping, (size_t)ring, 1, RSHM_TOPIC_BLOCK, 0600);
    rshm_topic *back = rshm_topic_create(pong, (size_t)ring, 1, RSHM_TOPIC_BLOCK, 0600);
    if (!out || !back)
        die("topic_create (ping)");
    rshm_topic_close(back); /* the ponger takes its publisher's role over */
    rshm_topic *in = rshm_topic_open(pong, RSHM_O_RDONLY, 0);
    pthread_t th;
    struct peer p = {ping, pong, n, 1, 0};
    pthread_create(&th, NULL, topic_pong, &p);
    wait_joined(1);
    unsigned char buf[MSG] = {2};
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (rshm_topic_publish(out, buf, MSG, -1) != 0 || rshm_topic_receive(in, buf, sizeof buf, -1) < 0)
            die("topic ping");
    double ns = (double)(now_ns() - t0) / (double)n;
    pthread_join(th, NULL);
    rshm_topic_close(out);
    rshm_topic_close(in);
    rshm_topic_unlink(ping);
    rshm_topic_unlink(pong);
    return ns;
}

/* The same through two channels: both sides' opens before the clock
 * starts, as for the topics. */
static double chan_pingpong(long n, int ring) {
    char ping[96], pong[96];
    snprintf(ping, sizeof ping, "%s", obj("cping"));
    snprintf(pong, sizeof pong, "%s", obj("cpong"));
    rshm_channel *out = rshm_channel_create(ping, (size_t)ring, 0600), *in = rshm_channel_create(pong, (size_t)ring, 0600);
    if (!out || !in)
        die("channel_create (ping)");
    pthread_t th;
    struct peer p = {ping, pong, n, 1, 0};
    pthread_create(&th, NULL, chan_pong, &p);
    wait_joined(1);
    unsigned char buf[MSG] = {2};
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (rshm_channel_send(out, buf, MSG, -1) != 0 || rshm_channel_recv(in, buf, sizeof buf, -1) < 0)
            die("channel ping");
    double ns = (double)(now_ns() - t0) / (double)n;
    pthread_join(th, NULL);
    rshm_channel_close(out);
    rshm_channel_close(in);
    rshm_channel_unlink(ping);
    rshm_channel_unlink(pong);
    return ns;
}

/* GB/s of 1 MiB messages written in place and read in place (every
 * line), four in flight: as the channel's row. */
static double topic_big(long n) {
    const char *name = obj("big");
    rshm_topic *t = rshm_topic_create(name, BIG_RING, 1, RSHM_TOPIC_BLOCK, 0600);
    if (!t)
        die("topic_create (big)");
    unsigned char *src = malloc(BIG);
    if (!src)
        die("malloc");
    memset(src, 3, BIG);
    pthread_t th;
    struct peer p = {name, NULL, n, 1, 1};
    pthread_create(&th, NULL, topic_sub, &p);
    wait_joined(1);
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        void *dst = rshm_topic_reserve(t, BIG, -1);
        if (!dst)
            die("topic_reserve");
        memcpy(dst, src, BIG);
        if (rshm_topic_commit(t, BIG) != 0)
            die("topic_commit");
    }
    pthread_join(th, NULL);
    double s = (double)(now_ns() - t0) / 1e9;
    free(src);
    rshm_topic_close(t);
    rshm_topic_unlink(name);
    return (double)n * BIG / s / 1e9;
}

/* ---- comparison ---- */

static double topic_stream_arg(long n, int subs) { return topic_stream(n, subs); }
static double chan_stream_arg(long n, int unused) { (void)unused; return chan_stream(n); }
static double topic_big_arg(long n, int unused) { (void)unused; return topic_big(n); }
/* The same bytes through memcpy, walked as the topic's records. */
static double memcpy_big_arg(long n, int unused) {
    (void)unused;
    return memcpy_ring(BIG_RING, BIG, BIG + 16, n);
}

int main(void) {
    snprintf(base, sizeof base, "/rshm-bench-topic-%ld", (long)getpid());
    ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1)
        ncpu = 1;
    on_cpu(0, ncpu);
    printf("topic benchmarks: %d rounds alternating; medians and the median per-round ratio; %d CPUs; a cache line "
           "crosses from CPU 0 to 1 in %.0f ns\n",
           ROUNDS, ncpu, ncpu > 1 ? line_transfer_ns(1, ncpu) : 0.0);
    printf("1. 64-byte messages one way, msgs/s (higher is better)\n");
    print_row("topic, 1 subscriber (BLOCK)", "msg/s", "channel",
              compare(ROUNDS, topic_stream_arg, 1, chan_stream_arg, 0, 150000), ">= 0.7x");
    printf("2. ping-pong round trip, 64 bytes, ns (lower is better)\n");
    print_row("two topics, 64 KiB rings", "ns", "two channels",
              compare(ROUNDS, topic_pingpong, PING_RING, chan_pingpong, PING_RING, 20000), "<= 1.3x");
    print_row("  4 KiB rings", "ns", "two channels",
              compare(ROUNDS, topic_pingpong, SMALL_RING, chan_pingpong, SMALL_RING, 20000), "-");
    printf("3. publisher throughput, msgs/s: 2 subscribers vs 1 (each gets every message)\n");
    print_row("topic, 2 subscribers", "msg/s", "1 subscriber",
              compare(ROUNDS, topic_stream_arg, 2, topic_stream_arg, 1, 100000),
              ncpu > 2 ? "more CPUs: near 1x" : "-, 2 CPUs: 3 threads share them");
    printf("4. 1 MiB messages in place (reserve/commit, peek/release), GB/s\n");
    print_row("topic zero-copy", "GB/s", "memcpy", compare(ROUNDS, topic_big_arg, 0, memcpy_big_arg, 0, BIG_MSGS),
              ">= 0.8x");
    return 0;
}
