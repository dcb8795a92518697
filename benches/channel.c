/* make bench: the channel against the baselines, each pair measured side by
 * side in one run, each figure printed with its ratio.
 *   0. The channel at the limit of its kind (issue 25): one way (sent with
 *      rshm_channel_sender_send, and again through the call) and busy
 *      ping-pong against the classic SPSC ring a user writes (release and
 *      acquire only, cached counters), asleep against a bare futex round
 *      trip, 1 MiB zero-copy against memcpy, each again with the SeqCst
 *      handshake forced (RSHM_HANDSHAKE=seqcst); and what the fast
 *      handshake's membarrier(2) costs a sleeper.
 *   1. 64-byte messages one way: channel vs pipe vs unix seqpacket socket,
 *      and vs the bare ring (its record protocol alone, with and without
 *      the full barrier the channel stores its length words with).
 *   2. Ping-pong round trip: two channels vs a pipe pair vs the bare floor
 *      (two processes flipping a word in shared memory) vs two bare rings,
 *      both sides busy; and with a think time before each ping, so the
 *      peer is asleep: channel vs a bare futex wake round trip.
 *   3. 1 MiB messages: GB/s through send/recv and reserve/commit+peek/release
 *      vs memcpy of the same bytes, and vs a bare ring carrying them between
 *      the same two CPUs. */
#include <errno.h>
#include <sched.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rshm.h>

#include "bench.h"

static char base[64];

static const char *chan_name(const char *tag) {
    static char buf[96];
    snprintf(buf, sizeof buf, "%s-%s", base, tag);
    return buf;
}

/* A busy wait of about `ns`, standing for work between messages; returns
 * how long it really took, so that the caller can leave it out. */
static uint64_t think(uint64_t ns) {
    uint64_t start = now_ns(), end = start + ns, t;
    while ((t = now_ns()) < end)
        ;
    return t - start;
}

/* The two CPUs the parent and its children run on, or -1 not to pin: a
 * child starts on its parent's CPU and, both spinning, they would share it
 * until the scheduler moved one, at a moment that differs run to run. */
static int cpu_parent = -1, cpu_child = -1;

/* Picks the first two CPUs this process may use and pins it to the first. */
static void pin_setup(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return;
    for (int c = 0; c < CPU_SETSIZE && cpu_child < 0; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        if (cpu_parent < 0)
            cpu_parent = c;
        else
            cpu_child = c;
    }
    if (cpu_child < 0)
        cpu_parent = -1;
    pin(cpu_parent);
}

/* Forks a child running `child(arg)` on the child's CPU; returns once it
 * has called ready() (bench.h). */
static pid_t spawn(void (*child)(void *), void *arg) {
    return spawn_on(cpu_child, child, arg);
}

/* ---- 1. one way, 64-byte messages ---------------------------------- */

#define SMALL 64
#define ONEWAY_CHAN 2000000L
#define ONEWAY_SYS 200000L

static void chan_receiver(void *arg) {
    long n = *(long *)arg;
    rshm_channel *ch = rshm_channel_open(chan_name("oneway"), 5000);
    if (!ch)
        die("channel_open");
    ready();
    char buf[SMALL];
    for (long i = 0; i < n; i++)
        if (rshm_channel_recv(ch, buf, sizeof buf, -1) != SMALL)
            die("channel_recv");
    rshm_channel_close(ch);
}

/* `cursor`: sent through a cursor (rshm_channel_sender_send, rshm.h's inline
 * short path), else by the call. */
static double oneway_channel_by(long n, int cursor) {
    rshm_channel *ch = rshm_channel_create(chan_name("oneway"), 1 << 20, 0600);
    if (!ch)
        die("channel_create");
    pid_t pid = spawn(chan_receiver, &n);
    char msg[SMALL] = {1};
    uint64_t t0 = now_ns();
    send_stream(ch, msg, sizeof msg, n, cursor);
    reap(pid);
    uint64_t t = now_ns() - t0;
    rshm_channel_close(ch);
    rshm_channel_unlink(chan_name("oneway"));
    return n / (t / 1e9);
}

static double oneway_channel(long n) {
    return oneway_channel_by(n, 0);
}

struct fdpair {
    int rd, wr;
    long n;
};

static void fd_receiver(void *arg) {
    struct fdpair *p = arg;
    close(p->wr);
    ready();
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

/* The bare ring: the channel's record protocol with nothing else. Records
 * are a length word (len + 1; 0 marks the slot the sender fills next,
 * which it zeroes before publishing the record in front of it) and the
 * payload; a record never straddles the end, where a padding word sends
 * the receiver back to 0. One sender, one receiver, both spinning: no
 * checks, no library calls, and of the wake-up protocol only its cost on
 * the busy path. With `seq_cst` each side stores as the channel does (the
 * sender its length words, the receiver `tail`) and then loads the other
 * side's wait word, seq_cst both: the full barrier the sleep protocol needs
 * between the two: what the channel's SeqCst fallback handshake does.
 * Without, release stores and no wait words: the busy path of the fast
 * handshake (whose wait-word loads are plain loads). */
#define BARE_CAP (1u << 20)
#define BARE_PAD UINT64_MAX

/* Laid out as the channel's header is (src/channel/header.rs), so that
 * the two place their words on the same lines and line pairs: `tail` at
 * 128, the wait words at 192 and 256, the record area at 512. */
struct bare_ring {
    /* The channel's magic, version and capacity line, and its `head`,
     * which the bare ring does not keep. */
    _Alignas(64) unsigned char unused[128];
    _Alignas(64) _Atomic uint64_t tail;
    /* Never set: nobody sleeps here, but the loads are paid for. */
    _Alignas(64) _Atomic uint32_t rx_wait;
    _Alignas(64) _Atomic uint32_t tx_wait;
    _Alignas(512) unsigned char area[];
};
_Static_assert(offsetof(struct bare_ring, tail) == 128 && offsetof(struct bare_ring, area) == 512,
               "the bare ring's layout follows the channel's header");

/* One side of a bare ring: the first `cap` bytes of its area in use, and
 * the side's own counter and position, which it never reads back from the
 * ring. `tail` is the sender's last read of the receiver's counter. A side
 * whose peer is a child (`peer` > 0) dies when the child is gone. */
struct bare_end {
    struct bare_ring *r;
    uint64_t cap, pos, count, tail;
    int seq_cst;
    pid_t peer;
};

static _Atomic uint64_t *bare_word(struct bare_ring *r, uint64_t off) {
    return (_Atomic uint64_t *)(r->area + off);
}

/* Bytes a record of `len` payload bytes takes: its word and the payload
 * padded to 8. */
static uint64_t bare_record(uint64_t len) {
    return 8 + ((len + 7) & ~(uint64_t)7);
}

/* Moves an end `n` bytes on, back to 0 at the area's end; returns where it was. */
static uint64_t bare_advance(struct bare_end *e, uint64_t n) {
    uint64_t at = e->pos;
    e->count += n;
    e->pos = at + n == e->cap ? 0 : at + n;
    return at;
}

static void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* One round of a wait: a pause, and now and then a look at the peer.
 * Returns 1 once the peer (a child) has exited, leaving it to reap(); the
 * caller looks once more, for what the peer published before it went. */
static int bare_spin(pid_t peer, unsigned long spins) {
    relax();
    if (peer <= 0 || spins % (1ul << 20) != 0)
        return 0;
    siginfo_t info = {0};
    return waitid(P_PID, (id_t)peer, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == peer;
}

/* A child maps shared pages on first touch: it faults in those of the
 * header and of the `cap` bytes of area in use before the clock starts, as
 * the channel does when it opens. The peer writes nothing yet. */
static void touch_pages(const void *start, size_t len) {
    const volatile unsigned char *p = start, *end = p + len;
    for (; p < end; p += 4096)
        (void)*p;
    (void)end[-1];
}

static void bare_touch(struct bare_ring *r, uint64_t cap) {
    touch_pages(r, sizeof *r + cap);
}

/* Publishes `v` at `w`, then looks at the peer's wait word as the channel
 * does (see `seq_cst` in the bare ring's comment). */
static void bare_publish(_Atomic uint64_t *w, uint64_t v, _Atomic uint32_t *wait, int seq_cst) {
    if (seq_cst) {
        atomic_store_explicit(w, v, memory_order_seq_cst);
        if (atomic_load_explicit(wait, memory_order_seq_cst) != 0)
            die("bare ring: a wait word set");
    } else {
        atomic_store_explicit(w, v, memory_order_release);
    }
}

/* Waits until `need` bytes past the sender's counter are free. */
static void bare_room(struct bare_end *e, uint64_t need) {
    for (unsigned long spins = 1; e->cap - (e->count - e->tail) < need; spins++) {
        int gone = bare_spin(e->peer, spins);
        e->tail = atomic_load_explicit(&e->r->tail, memory_order_acquire);
        if (gone && e->cap - (e->count - e->tail) < need)
            die("bare ring: receiver gone");
    }
}

/* Inline, so that a constant `len` makes the copy a few moves. */
static inline void bare_send(struct bare_end *e, const void *msg, uint64_t len) {
    uint64_t rec = bare_record(len);
    if (e->pos + rec > e->cap) {
        bare_room(e, e->cap - e->pos + 8);
        atomic_store_explicit(bare_word(e->r, 0), 0, memory_order_relaxed);
        bare_publish(bare_word(e->r, bare_advance(e, e->cap - e->pos)), BARE_PAD, &e->r->rx_wait, e->seq_cst);
    }
    /* The record and the next slot's word. */
    bare_room(e, rec + 8);
    memcpy(e->r->area + e->pos + 8, msg, len);
    uint64_t at = bare_advance(e, rec);
    atomic_store_explicit(bare_word(e->r, e->pos), 0, memory_order_relaxed);
    bare_publish(bare_word(e->r, at), len + 1, &e->r->rx_wait, e->seq_cst);
}

/* Takes the next message into `buf`, `cap` bytes; returns its length. A
 * NULL `buf` uses the message in place instead, as the zero-copy receiver
 * of the 1 MiB benchmark does: it reads a word of each of its lines. */
static inline uint64_t bare_recv(struct bare_end *e, void *buf, uint64_t cap) {
    for (;;) {
        uint64_t w;
        for (unsigned long spins = 1;
             (w = atomic_load_explicit(bare_word(e->r, e->pos), memory_order_acquire)) == 0; spins++)
            if (bare_spin(e->peer, spins) && atomic_load_explicit(bare_word(e->r, e->pos), memory_order_acquire) == 0)
                die("bare ring: sender gone");
        uint64_t n = e->cap - e->pos, len = 0;
        if (w != BARE_PAD) {
            len = w - 1;
            if (len > cap)
                die("bare ring: bad length");
            if (buf)
                memcpy(buf, e->r->area + e->pos + 8, len);
            else
                read_lines(e->r->area + e->pos + 8, len);
            n = bare_record(len);
        }
        bare_advance(e, n);
        bare_publish(&e->r->tail, e->count, &e->r->tx_wait, e->seq_cst);
        if (w != BARE_PAD)
            return len;
    }
}

/* `len` bytes shared with the children forked after, faulted in here. */
static void *map_shared(size_t len) {
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    return p;
}

/* A bare ring with `cap` bytes of area. */
static struct bare_ring *bare_map(uint64_t cap) {
    return map_shared(sizeof(struct bare_ring) + cap);
}

static void bare_unmap(struct bare_ring *r, uint64_t cap) {
    munmap(r, sizeof *r + cap);
}

/* A stream's receiving end: `n` messages of `len` bytes from the first
 * `cap` bytes of `ring`'s area, copied out or (`zero_copy`) read in place. */
struct bare_arg {
    struct bare_ring *ring;
    uint64_t cap, len;
    long n;
    int seq_cst, zero_copy;
};

static void bare_receiver(void *arg) {
    struct bare_arg *a = arg;
    bare_touch(a->ring, a->cap);
    ready();
    struct bare_end e = {.r = a->ring, .cap = a->cap, .seq_cst = a->seq_cst};
    char *buf = a->zero_copy ? NULL : malloc(a->len);
    if (!a->zero_copy && !buf)
        die("malloc");
    for (long i = 0; i < a->n; i++)
        if (bare_recv(&e, buf, a->len) != a->len)
            die("bare ring: short message");
    free(buf);
}

/* The classic single-producer single-consumer ring, as a user writes it
 * (issue 25's baseline): `head` and `tail` on lines of their own, release
 * stores and acquire loads only, each side caching the other's counter and
 * reading it again only when the cached value says it must; an 8-byte
 * length before each record, padded to 8 (a padding length sends the
 * receiver back to 0); no checks, no sleeping. */
struct classic_ring {
    _Alignas(64) _Atomic uint64_t head;
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) unsigned char area[];
};

/* One side: its own counter and position, and its cached copy of the
 * other side's counter. */
struct classic_end {
    struct classic_ring *r;
    uint64_t cap, pos, count, seen;
    pid_t peer;
};

/* Waits until `need` bytes past the sender's counter are free. */
static void classic_room(struct classic_end *e, uint64_t need) {
    for (unsigned long spins = 1; e->cap - (e->count - e->seen) < need; spins++) {
        e->seen = atomic_load_explicit(&e->r->tail, memory_order_acquire);
        if (e->cap - (e->count - e->seen) < need && bare_spin(e->peer, spins))
            die("classic ring: receiver gone");
    }
}

static inline void classic_send(struct classic_end *e, const void *msg, uint64_t len) {
    uint64_t rec = bare_record(len);
    if (e->pos + rec > e->cap) {
        uint64_t pad = e->cap - e->pos;
        classic_room(e, pad);
        memcpy(e->r->area + e->pos, &(uint64_t){BARE_PAD}, 8);
        e->count += pad;
        e->pos = 0;
    }
    classic_room(e, rec);
    memcpy(e->r->area + e->pos, &len, 8);
    memcpy(e->r->area + e->pos + 8, msg, len);
    e->count += rec;
    e->pos = e->pos + rec == e->cap ? 0 : e->pos + rec;
    atomic_store_explicit(&e->r->head, e->count, memory_order_release);
}

static inline uint64_t classic_recv(struct classic_end *e, void *buf) {
    for (;;) {
        for (unsigned long spins = 1; e->count == e->seen; spins++) {
            e->seen = atomic_load_explicit(&e->r->head, memory_order_acquire);
            if (e->count == e->seen && bare_spin(e->peer, spins))
                die("classic ring: sender gone");
        }
        uint64_t len;
        memcpy(&len, e->r->area + e->pos, 8);
        if (len == BARE_PAD) {
            e->count += e->cap - e->pos;
            e->pos = 0;
            continue;
        }
        memcpy(buf, e->r->area + e->pos + 8, len);
        uint64_t rec = bare_record(len);
        e->count += rec;
        e->pos = e->pos + rec == e->cap ? 0 : e->pos + rec;
        atomic_store_explicit(&e->r->tail, e->count, memory_order_release);
        return len;
    }
}

/* One end of either kind of ring. */
struct any_end {
    struct bare_end bare;
    struct classic_end classic;
    int is_classic;
};

/* `classic`: 1 a classic ring, 0 a bare one stored as the channel
 * stores, -1 a bare one with release stores. */
static struct any_end any_end(void *ring, uint64_t cap, pid_t peer, int classic) {
    struct any_end e = {.is_classic = classic == 1};
    if (classic == 1)
        e.classic = (struct classic_end){.r = ring, .cap = cap, .peer = peer};
    else
        e.bare = (struct bare_end){.r = ring, .cap = cap, .seq_cst = classic == 0, .peer = peer};
    return e;
}

static inline void any_send(struct any_end *e, const void *msg, uint64_t len) {
    if (e->is_classic)
        classic_send(&e->classic, msg, len);
    else
        bare_send(&e->bare, msg, len);
}

static inline uint64_t any_recv(struct any_end *e, void *buf) {
    return e->is_classic ? classic_recv(&e->classic, buf) : bare_recv(&e->bare, buf, SMALL);
}

static size_t ring_bytes(uint64_t capacity, int classic) {
    return (classic == 1 ? sizeof(struct classic_ring) : sizeof(struct bare_ring)) + capacity;
}

/* A one-way stream of `n` 64-byte messages over a ring of BARE_CAP bytes
 * of either kind (`classic` as for any_end); messages per second. */
struct ring_arg {
    void *ring;
    long n;
    int classic;
};

static void ring_receiver(void *arg) {
    struct ring_arg *a = arg;
    touch_pages(a->ring, ring_bytes(BARE_CAP, a->classic));
    ready();
    struct any_end e = any_end(a->ring, BARE_CAP, 0, a->classic);
    char buf[SMALL];
    for (long i = 0; i < a->n; i++)
        if (any_recv(&e, buf) != SMALL)
            die("ring: short message");
}

static double oneway_rings(long n, int classic) {
    size_t bytes = ring_bytes(BARE_CAP, classic);
    struct ring_arg a = {map_shared(bytes), n, classic};
    pid_t pid = spawn(ring_receiver, &a);
    struct any_end e = any_end(a.ring, BARE_CAP, pid, classic);
    char msg[SMALL] = {1};
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        any_send(&e, msg, SMALL);
    reap(pid);
    uint64_t t = now_ns() - t0;
    munmap(a.ring, bytes);
    return n / (t / 1e9);
}

static double oneway_bare(long n, int seq_cst) {
    return oneway_rings(n, seq_cst ? 0 : -1);
}

static double oneway_classic(long n) {
    return oneway_rings(n, 1);
}

/* ---- 2. ping-pong ---------------------------------------------------- */

#define PINGS 100000L
/* Think long enough that the peer waiting for a ping really sleeps: the
 * channel spins up to twice its last wait, at most 100 us, and no more than
 * 5 us after a wait longer than that. */
#define SLEEPY_PINGS 1000L
#define THINK_NS 500000u

struct pong_arg {
    long n;
    size_t size;
};

static void chan_ponger(void *arg) {
    struct pong_arg *a = arg;
    rshm_channel *in = rshm_channel_open(chan_name("ping"), 5000);
    rshm_channel *out = rshm_channel_open(chan_name("pong"), 5000);
    if (!in || !out)
        die("channel_open");
    ready();
    char buf[SMALL];
    for (long i = 0; i < a->n; i++) {
        if (rshm_channel_recv(in, buf, sizeof buf, -1) != (int64_t)a->size)
            die("pong recv");
        if (rshm_channel_send(out, buf, a->size, -1) != 0)
            die("pong send");
    }
    rshm_channel_close(in);
    rshm_channel_close(out);
}

/* The capacity of each ping-pong channel: room for 900 queued 64-byte
 * messages, though a round trip only ever has one in flight. */
#define PING_RING (1 << 16)
/* The ring a request/response exchange needs: room for up to three messages. */
#define SMALL_RING 256

/* ns per round trip of `size`-byte messages (at most SMALL) through two
 * channels of `capacity` bytes, `think` ns of work before each ping left out */
static double pingpong_channel_of(long n, size_t size, size_t capacity, uint64_t think_ns) {
    rshm_channel *out = rshm_channel_create(chan_name("ping"), capacity, 0600);
    rshm_channel *in = rshm_channel_create(chan_name("pong"), capacity, 0600);
    if (!out || !in)
        die("channel_create");
    struct pong_arg a = {n, size};
    pid_t pid = spawn(chan_ponger, &a);
    char msg[SMALL] = {1};
    uint64_t busy = 0, t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (think_ns)
            busy += think(think_ns);
        if (rshm_channel_send(out, msg, size, -1) != 0 || rshm_channel_recv(in, msg, SMALL, -1) != (int64_t)size)
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

static double pingpong_channel(long n, uint64_t think_ns) {
    return pingpong_channel_of(n, SMALL, PING_RING, think_ns);
}

/* The same exchange over two rings of `capacity` bytes with no library
 * around them: bare rings stored as the channel stores (`seq_cst`, see the
 * bare ring), what the record protocol costs a round trip, or classic
 * rings (see classic_ring), what a user's own ring costs it. */
struct ring_pong_arg {
    void *ping, *pong;
    uint64_t capacity;
    long n;
    int classic;
};

static void ring_ponger(void *arg) {
    struct ring_pong_arg *a = arg;
    touch_pages(a->ping, ring_bytes(a->capacity, a->classic));
    touch_pages(a->pong, ring_bytes(a->capacity, a->classic));
    ready();
    struct any_end in = any_end(a->ping, a->capacity, 0, a->classic);
    struct any_end out = any_end(a->pong, a->capacity, 0, a->classic);
    char buf[SMALL];
    for (long i = 0; i < a->n; i++)
        any_send(&out, buf, any_recv(&in, buf));
}

/* `classic` as for any_end. */
static double pingpong_rings(long n, size_t size, uint64_t capacity, int classic) {
    size_t bytes = ring_bytes(capacity, classic);
    struct ring_pong_arg a = {map_shared(bytes), map_shared(bytes), capacity, n, classic};
    pid_t pid = spawn(ring_ponger, &a);
    struct any_end out = any_end(a.ping, capacity, pid, classic);
    struct any_end in = any_end(a.pong, capacity, pid, classic);
    char msg[SMALL] = {1};
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        any_send(&out, msg, size);
        if (any_recv(&in, msg) != size)
            die("ring ping");
    }
    uint64_t t = now_ns() - t0;
    reap(pid);
    munmap(a.ping, bytes);
    munmap(a.pong, bytes);
    return (double)t / n;
}

static double pingpong_bare(long n, size_t size, uint64_t capacity) {
    return pingpong_rings(n, size, capacity, 0);
}

static double pingpong_classic(long n, size_t size, uint64_t capacity) {
    return pingpong_rings(n, size, capacity, 1);
}

struct pipes {
    int a[2], b[2];
    long n;
};

static void pipe_ponger(void *arg) {
    struct pipes *p = arg;
    char buf[SMALL];
    ready();
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
    /* 0: both spin; 1: both sleep on the futex; 2: the ponger sleeps and
     * the pinger spins for the pong (as the channel's adaptive spin does
     * when the pong comes within 100 us). */
    int futex;
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
    ready();
    for (long i = 0; i < f->n; i++) {
        wait_for(f->word, (uint32_t)(2 * i + 1), f->futex != 0);
        set_to(f->word, (uint32_t)(2 * i + 2), f->futex == 1);
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
        if (think_ns)
            busy += think(think_ns);
        set_to(w, (uint32_t)(2 * i + 1), futex != 0);
        wait_for(w, (uint32_t)(2 * i + 2), futex == 1);
    }
    uint64_t t = now_ns() - t0 - busy;
    reap(pid);
    munmap((void *)w, 4096);
    return (double)t / n;
}

/* ---- 3. 1 MiB messages ----------------------------------------------- */

#define BIG (1u << 20)
#define BIG_MSGS 1000L
/* Room for four messages in flight: each takes its length plus 8, and
 * the ring keeps 8 bytes more. */
#define BIG_RING (4u * (BIG + 8) + 8)

static void big_receiver(void *arg) {
    long zero_copy = *(long *)arg;
    rshm_channel *ch = rshm_channel_open(chan_name("big"), 5000);
    if (!ch)
        die("channel_open");
    ready();
    char *buf = malloc(BIG);
    for (long i = 0; i < BIG_MSGS; i++) {
        if (zero_copy) {
            size_t len;
            const void *p = rshm_channel_peek(ch, &len, -1);
            if (!p || len != BIG)
                die("peek");
            /* Every line of it. A word a page, as this once read, made the
             * receiver the bottleneck: strided loads defeat the prefetcher,
             * and 256 lone misses per message took as long as the sender's
             * copy. */
            read_lines(p, len);
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
    rshm_channel *ch = rshm_channel_create(chan_name("big"), BIG_RING, 0600);
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

/* The same messages through a bare ring of the channel's size, stored as
 * the channel stores: the transfer's own cost between the two CPUs, which
 * memcpy, on one CPU, does not pay. */
static double big_bare(int zero_copy) {
    struct bare_arg a = {
        .ring = bare_map(BIG_RING), .cap = BIG_RING, .len = BIG, .n = BIG_MSGS, .seq_cst = 1, .zero_copy = zero_copy};
    pid_t pid = spawn(bare_receiver, &a);
    struct bare_end e = {.r = a.ring, .cap = BIG_RING, .seq_cst = 1, .peer = pid};
    char *src = malloc(BIG);
    memset(src, 7, BIG);
    uint64_t t0 = now_ns();
    for (long i = 0; i < BIG_MSGS; i++)
        bare_send(&e, src, BIG);
    reap(pid);
    uint64_t t = now_ns() - t0;
    free(src);
    bare_unmap(a.ring, BIG_RING);
    return (double)BIG * BIG_MSGS / t;
}

/* The same bytes through memcpy into a destination as large as the
 * channel's ring, walked as its records are (a length word, then the
 * payload). */
static double big_memcpy(void) {
    return memcpy_ring(BIG_RING, BIG, BIG + 8, BIG_MSGS);
}

/* ---- 0. the handshake: fast against its fallback ----------------------- */

/* Channels created from now on use the SeqCst fallback handshake (1) or
 * whichever this process can run, the fast one here (0): the documented
 * RSHM_HANDSHAKE=seqcst, which rshm_channel_create reads. Openers follow
 * the creator. Returns 0, for use in a comma expression. */
static int seqcst(int on) {
    if (on)
        setenv("RSHM_HANDSHAKE", "seqcst", 1);
    else
        unsetenv("RSHM_HANDSHAKE");
    return 0;
}

static void busy_registered(void *arg) {
    (void)arg;
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) != 0)
        die("membarrier register");
    ready();
    for (;;)
        relax();
}

/* What the fast handshake adds to each sleep: us per
 * membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), with a registered process
 * spinning on the other CPU (`peer`: it is interrupted, as a streaming
 * peer is) or with none. 0 where membarrier is refused. */
static double fence_us(int peer) {
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) != 0)
        return 0;
    pid_t pid = peer ? spawn(busy_registered, NULL) : 0;
    const long n = 20000;
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) != 0)
            die("membarrier");
    uint64_t t = now_ns() - t0;
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return t / 1e3 / n;
}

#define ROUNDS 7

/* One row (bench.h) of two expressions, some of which set the handshake
 * first. */
#define COMPARE(res, exprA, exprB) COMPARE_ROUNDS(res, ROUNDS, exprA, exprB)

/* With arguments, only the groups named: limit, oneway, pingpong, asleep, big. */
static int want(int argc, char **argv, const char *group) {
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], group) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv) {
    snprintf(base, sizeof base, "/rshm-bench-%ld", (long)getpid());
    FILE *la = fopen("/proc/loadavg", "r");
    char load[64] = "?";
    if (la && fgets(load, sizeof load, la))
        load[strcspn(load, "\n")] = 0;
    if (la)
        fclose(la);
    pin_setup();
    printf("channel benchmarks: %d rounds, rshm and baseline alternating within each round; "
           "ratio = median of per-round ratios (load average %s; ",
           ROUNDS, load);
    if (cpu_child >= 0)
        printf("sides pinned to CPUs %d and %d, a cache line crosses between them in %.0f ns)\n", cpu_parent,
               cpu_child, line_transfer_ns(cpu_child, CPU_SETSIZE));
    else
        printf("one CPU: both sides share it)\n");
    struct cmp r;

    if (want(argc, argv, "limit")) {
        /* Issue 25: the channel against the classic SPSC ring, a user's
         * own; each row again with the SeqCst fallback forced. */
        printf("0. the channel at the limit of its kind (fast handshake, then the SeqCst fallback forced)\n");
        /* The classic ring is inlined in its loop; so is the channel's send
         * through a cursor (rshm_channel_sender_send). The call's row beside it. */
        COMPARE(r, (seqcst(0), oneway_channel_by(ONEWAY_CHAN, 1) / 1e6), oneway_classic(ONEWAY_CHAN) / 1e6);
        print_row("one way vs classic ring", "M/s", "classic", r, ">= 0.8x");
        COMPARE(r, (seqcst(0), oneway_channel(ONEWAY_CHAN) / 1e6), oneway_classic(ONEWAY_CHAN) / 1e6);
        print_row("  through the call", "M/s", "classic", r, "-");
        COMPARE(r, (seqcst(1), oneway_channel_by(ONEWAY_CHAN, 1) / 1e6), oneway_classic(ONEWAY_CHAN) / 1e6);
        print_row("  fallback: one way", "M/s", "classic", r, "-");
        COMPARE(r, (seqcst(0), pingpong_channel(PINGS, 0)), pingpong_classic(PINGS, SMALL, PING_RING));
        print_row("busy ping-pong vs 2 classic", "ns", "classic", r, "<= 1.15x");
        COMPARE(r, (seqcst(1), pingpong_channel(PINGS, 0)), pingpong_classic(PINGS, SMALL, PING_RING));
        print_row("  fallback: busy ping-pong", "ns", "classic", r, "-");
        COMPARE(r, (seqcst(0), pingpong_channel(SLEEPY_PINGS, THINK_NS)), pingpong_floor(SLEEPY_PINGS, 2, THINK_NS));
        print_row("asleep vs futex+spin", "ns", "futex+spin", r, "<= 1.2x");
        COMPARE(r, (seqcst(1), pingpong_channel(SLEEPY_PINGS, THINK_NS)), pingpong_floor(SLEEPY_PINGS, 2, THINK_NS));
        print_row("  fallback: asleep", "ns", "futex+spin", r, "-");
        COMPARE(r, (seqcst(0), pingpong_channel(SLEEPY_PINGS, THINK_NS)), pingpong_floor(SLEEPY_PINGS, 1, THINK_NS));
        print_row("asleep vs futex", "ns", "futex", r, "<= 1.2x");
        COMPARE(r, fence_us(1), fence_us(0));
        print_row("sleeper's fence, peer busy", "us", "alone", r, "-");
        COMPARE(r, (seqcst(0), big_channel(1)), big_memcpy());
        print_row("1 MiB zero-copy vs memcpy", "GB/s", "memcpy", r, ">= 0.8x");
        COMPARE(r, (seqcst(1), big_channel(1)), big_memcpy());
        print_row("  fallback: 1 MiB zero-copy", "GB/s", "memcpy", r, ">= 0.8x");
        seqcst(0);
    }

    if (want(argc, argv, "oneway")) {
        printf("1. 64-byte messages one way, million messages/s\n");
        COMPARE(r, oneway_channel(ONEWAY_CHAN) / 1e6, oneway_pipe(ONEWAY_SYS) / 1e6);
        print_row("channel vs pipe", "M/s", "pipe", r, ">= 20x");
        COMPARE(r, oneway_channel(ONEWAY_CHAN) / 1e6, oneway_seqpacket(ONEWAY_SYS) / 1e6);
        print_row("channel vs seqpacket", "M/s", "seqpacket", r, "-");
        /* Where the channel stands against its own protocol run bare, what
         * the barrier of the sleep protocol costs that bare ring, and what
         * the bare ring does without it, against the pipe. */
        COMPARE(r, oneway_channel(ONEWAY_CHAN) / 1e6, oneway_bare(ONEWAY_CHAN, 1) / 1e6);
        print_row("channel vs bare ring", "M/s", "bare ring", r, "-");
        COMPARE(r, oneway_bare(ONEWAY_CHAN, 1) / 1e6, oneway_bare(ONEWAY_CHAN, 0) / 1e6);
        print_row("bare ring: seq_cst vs rel.", "M/s", "release", r, "-");
        COMPARE(r, oneway_bare(ONEWAY_CHAN, 0) / 1e6, oneway_pipe(ONEWAY_SYS) / 1e6);
        print_row("bare ring, release vs pipe", "M/s", "pipe", r, "-");
    }
    if (want(argc, argv, "pingpong") || want(argc, argv, "asleep"))
        printf("2. ping-pong round trip, ns (lower is better: ratio = channel/baseline)\n");
    if (want(argc, argv, "pingpong")) {
        COMPARE(r, pingpong_channel(PINGS, 0), pingpong_floor(PINGS, 0, 0));
        print_row("busy: channel vs floor", "ns", "floor", r, "<= 2x");
        /* A 64-byte message and its length word span two cache lines; an
         * 8-byte one and its word fit in one, as the floor's word does. */
        COMPARE(r, pingpong_channel_of(PINGS, 8, PING_RING, 0), pingpong_floor(PINGS, 0, 0));
        print_row("busy, 8 B: ch. vs floor", "ns", "floor", r, "-");
        /* Rings sized for request/response (up to three 64-byte messages): the
         * messages walk 4 cache lines instead of 1000. */
        COMPARE(r, pingpong_channel_of(PINGS, SMALL, SMALL_RING, 0), pingpong_floor(PINGS, 0, 0));
        print_row("busy, 256 B rings vs floor", "ns", "floor", r, "<= 2x");
        COMPARE(r, pingpong_channel_of(PINGS, SMALL, 4096, 0), pingpong_floor(PINGS, 0, 0));
        print_row("busy, 4 KiB rings vs floor", "ns", "floor", r, "-");
        /* What of that gap is the record protocol's: the same exchanges
         * over bare rings, against the channel and against the floor. */
        COMPARE(r, pingpong_channel(PINGS, 0), pingpong_bare(PINGS, SMALL, PING_RING));
        print_row("busy: ch. vs bare rings", "ns", "bare rings", r, "-");
        COMPARE(r, pingpong_bare(PINGS, SMALL, PING_RING), pingpong_floor(PINGS, 0, 0));
        print_row("busy: bare rings vs floor", "ns", "floor", r, "-");
        COMPARE(r, pingpong_channel_of(PINGS, SMALL, SMALL_RING, 0), pingpong_bare(PINGS, SMALL, SMALL_RING));
        print_row("256 B rings: ch. vs bare", "ns", "bare rings", r, "-");
        COMPARE(r, pingpong_bare(PINGS, SMALL, SMALL_RING), pingpong_floor(PINGS, 0, 0));
        print_row("256 B bare rings vs floor", "ns", "floor", r, "-");
        COMPARE(r, pingpong_channel(PINGS / 4, 0), pingpong_pipe(PINGS / 4));
        print_row("busy: channel vs pipe pair", "ns", "pipe pair", r, "-");
    }
    if (want(argc, argv, "asleep")) {
        COMPARE(r, pingpong_channel(SLEEPY_PINGS, THINK_NS), pingpong_floor(SLEEPY_PINGS, 1, THINK_NS));
        print_row("asleep: channel vs futex", "ns", "futex", r, "<= 1.2x");
        COMPARE(r, pingpong_channel(SLEEPY_PINGS, THINK_NS), pingpong_floor(SLEEPY_PINGS, 2, THINK_NS));
        print_row("asleep: ch. vs futex+spin", "ns", "futex+spin", r, "-");
    }
    if (want(argc, argv, "big")) {
        printf("3. 1 MiB messages, GB/s\n");
        COMPARE(r, big_channel(0), big_memcpy());
        print_row("send/recv vs memcpy", "GB/s", "memcpy", r, ">= 0.4x");
        COMPARE(r, big_channel(1), big_memcpy());
        print_row("reserve/commit vs memcpy", "GB/s", "memcpy", r, ">= 0.8x");
        /* The same against a bare ring between the same two CPUs: what is
         * the library's, whatever the host makes of the second CPU. */
        COMPARE(r, big_channel(0), big_bare(0));
        print_row("send/recv vs bare ring", "GB/s", "bare ring", r, "-");
        COMPARE(r, big_channel(1), big_bare(1));
        print_row("zero-copy vs bare ring", "GB/s", "bare ring", r, "-");
        COMPARE(r, big_bare(0), big_memcpy());
        print_row("bare ring vs memcpy", "GB/s", "memcpy", r, "-");
    }
    return 0;
}
