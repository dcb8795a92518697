/* What the value's readers cost its writer, by layout (benches/README.md,
 * "The value's layouts: what readers take from the writer"). Issue 20
 * asks for two figures at once against a writer storing 64-byte values
 * flat out: reads at least 3x a mutex's, and the writer, beside three
 * readers, at least half its rate alone (per second of its own CPU). A
 * read that returns a version newer than its last must bring the lines
 * that hold it over from the writer's CPU, and each line brought over is
 * one the writer must take back before its next store there. This program
 * measures both sides of that for the library and three layouts written
 * in plain C, in one run, rounds interleaved:
 *
 * - LAYOUT2: the library's layout, in C: `published` on its line, eight
 *   slot heads (stamp, length) four to a line, each slot's bytes on lines
 *   of their own; a reader checks its slot's stamp around the copy.
 * - RING: no stamps: a reader copies slot `published % 8` (its length
 *   first, then the bytes: two lines for 64) and keeps the copy if
 *   `published` has moved on by at most 6 meanwhile (the writer starts on
 *   that slot again only after publishing the 7th version after it).
 * - PACKED: as RING, the eight lengths beside `published` (one line), the
 *   64 bytes alone on one line: the fewest lines a fresh read can take.
 * - LIBRARY: rshm_value_write / rshm_value_read.
 * - FLOOR: one word on one line, the writer storing its count there.
 * - BARE_FLOOR: the same, the writer making no other store: every other
 *   writer here fills its 64 bytes first (a memset), as the one in
 *   bench_value does, and a store to a private line waits in the store
 *   buffer behind one to a line a reader took.
 *
 * Per variant: a reader pinned to one CPU reading flat out while the
 * writer, pinned to the other, writes flat out (ns a read, how many reads
 * saw a new version); then the writer unpinned, alone and beside three
 * reader processes (its writes per second of its own CPU time). Not part
 * of `make bench`: `make bench-experiments` builds and runs it. */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <rshm.h>

#include "../bench.h"

#define SLOTS 8
#define ROUNDS 7
#define SLICE_NS 100000000ull
#define LEN 64

enum variant { LAYOUT2, RING, PACKED, LIBRARY, FLOOR, BARE_FLOOR, VARIANTS };
static const char *variant_name[] = {"layout 2 in C", "ring by published", "packed", "rshm_value", "floor: one line", "the floor alone"};

struct head {
    _Atomic uint64_t stamp, len;
};

struct layout2 {
    _Alignas(64) _Atomic uint64_t published;
    _Alignas(64) struct head heads[SLOTS];
    _Alignas(64) unsigned char bytes[SLOTS][LEN];
};

struct ring_slot {
    _Alignas(64) _Atomic uint64_t len;
    unsigned char bytes[LEN];
};

struct ring {
    _Alignas(64) _Atomic uint64_t published;
    _Alignas(64) struct ring_slot slots[SLOTS];
};

struct packed {
    _Alignas(64) _Atomic uint64_t published;
    _Atomic uint32_t len[SLOTS];
    _Alignas(64) unsigned char bytes[SLOTS][LEN];
};

struct shared {
    struct layout2 l2;
    struct ring ring;
    struct packed packed;
    _Alignas(64) _Atomic uint64_t floor;
    _Alignas(64) _Atomic int stop;
    _Atomic int ready;
    _Atomic uint64_t writes, cpu_ns;
};

static struct shared *sh;
static char name[64];

#define RLX memory_order_relaxed
#define ACQ memory_order_acquire
#define REL memory_order_release

/* Keeps the compiler from dropping a copy nobody reads. */
static inline void use(void *p) {
    __asm__ volatile("" : : "r"(p) : "memory");
}

static void write_c(enum variant k, uint64_t v, const unsigned char *src) {
    unsigned i = (unsigned)(v % SLOTS);
    switch (k) {
    case LAYOUT2: {
        struct head *h = &sh->l2.heads[i];
        atomic_store_explicit(&h->stamp, 2 * v + 1, RLX);
        atomic_thread_fence(REL);
        memcpy(sh->l2.bytes[i], src, LEN);
        atomic_store_explicit(&h->len, LEN, RLX);
        atomic_store_explicit(&h->stamp, 2 * v, REL);
        atomic_store_explicit(&sh->l2.published, v, REL);
        break;
    }
    case RING:
        /* Orders the last publication before this slot's stores: a reader
         * whose copy saw one of them sees `published` at v - 1 or later. */
        atomic_thread_fence(REL);
        atomic_store_explicit(&sh->ring.slots[i].len, LEN, RLX);
        memcpy(sh->ring.slots[i].bytes, src, LEN);
        atomic_store_explicit(&sh->ring.published, v, REL);
        break;
    case PACKED:
        atomic_thread_fence(REL);
        atomic_store_explicit(&sh->packed.len[i], LEN, RLX);
        memcpy(sh->packed.bytes[i], src, LEN);
        atomic_store_explicit(&sh->packed.published, v, REL);
        break;
    default:
        atomic_store_explicit(&sh->floor, v, REL);
    }
}

/* One read of variant k (not LIBRARY) into out: the version read. */
static uint64_t read_c(enum variant k, unsigned char *out) {
    for (;;) {
        if (k == LAYOUT2) {
            uint64_t p = atomic_load_explicit(&sh->l2.published, ACQ);
            struct head *h = &sh->l2.heads[p % SLOTS];
            uint64_t s = atomic_load_explicit(&h->stamp, ACQ), n = atomic_load_explicit(&h->len, RLX);
            if (s != 2 * p || n > LEN)
                continue;
            memcpy(out, sh->l2.bytes[p % SLOTS], n);
            atomic_thread_fence(ACQ);
            if (atomic_load_explicit(&h->stamp, RLX) == s)
                return p;
        } else if (k == RING || k == PACKED) {
            _Atomic uint64_t *pub = k == RING ? &sh->ring.published : &sh->packed.published;
            uint64_t p = atomic_load_explicit(pub, ACQ);
            unsigned i = (unsigned)(p % SLOTS);
            uint64_t n = k == RING ? atomic_load_explicit(&sh->ring.slots[i].len, RLX)
                                   : atomic_load_explicit(&sh->packed.len[i], RLX);
            memcpy(out, k == RING ? sh->ring.slots[i].bytes : sh->packed.bytes[i], n > LEN ? LEN : n);
            atomic_thread_fence(ACQ);
            if (atomic_load_explicit(pub, RLX) - p <= SLOTS - 2)
                return p;
        } else {
            uint64_t p = atomic_load_explicit(&sh->floor, ACQ);
            memcpy(out, &p, sizeof p);
            return p;
        }
    }
}

static uint64_t read_one(enum variant k, rshm_value *r, unsigned char *out) {
    if (k == BARE_FLOOR)
        k = FLOOR;
    if (k != LIBRARY)
        return read_c(k, out);
    uint64_t ver;
    if (rshm_value_read(r, out, LEN, &ver) < 0)
        die("rshm_value_read");
    return ver;
}

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A writer process of variant k on `cpu` (-1: anywhere), flat out until
 * stopped; it leaves its count and CPU time in sh. */
static pid_t writer(enum variant k, int cpu) {
    atomic_store(&sh->ready, 0);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid > 0) {
        while (!atomic_load(&sh->ready))
            ;
        return pid;
    }
    pin(cpu);
    rshm_value *w = k == LIBRARY ? rshm_value_open(name, RSHM_O_RDWR, 1000) : NULL;
    if (k == LIBRARY && !w)
        die("rshm_value_open O_RDWR");
    static uint64_t v; /* the C layouts' versions go on from the last writer's */
    unsigned char buf[LEN];
    uint64_t n = 0, c0 = cpu_ns();
    atomic_store(&sh->ready, 1);
    while (!atomic_load_explicit(&sh->stop, RLX)) {
        v++;
        if (k == BARE_FLOOR) {
            atomic_store_explicit(&sh->floor, v, REL);
            n++;
            continue;
        }
        memset(buf, (int)v, sizeof buf);
        use(buf);
        if (k == LIBRARY) {
            if (rshm_value_write(w, buf, sizeof buf) != 0)
                die("rshm_value_write");
        } else {
            write_c(k, v, buf);
        }
        n++;
    }
    atomic_store(&sh->cpu_ns, cpu_ns() - c0);
    atomic_store(&sh->writes, n);
    if (w)
        rshm_value_close(w);
    _exit(0);
}

static void reader(enum variant k) {
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid > 0)
        return;
    rshm_value *r = k == LIBRARY ? rshm_value_open(name, RSHM_O_RDONLY, 1000) : NULL;
    if (k == LIBRARY && !r)
        die("rshm_value_open");
    unsigned char out[LEN];
    while (!atomic_load_explicit(&sh->stop, RLX)) {
        read_one(k, r, out);
        use(out);
    }
    _exit(0);
}

/* Stops every child; the writer's writes per second of its CPU time. */
static double stop_all(void) {
    atomic_store(&sh->stop, 1);
    while (wait(NULL) > 0)
        ;
    atomic_store(&sh->stop, 0);
    return (double)atomic_load(&sh->writes) / ((double)atomic_load(&sh->cpu_ns) / 1e9) / 1e6;
}

int main(void) {
    snprintf(name, sizeof name, "/rshm-exp-value-%ld", (long)getpid());
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap");
    rshm_value *w = rshm_value_create(name, LEN, 0600);
    rshm_value *r = w ? rshm_value_open(name, RSHM_O_RDONLY, 0) : NULL;
    if (!r)
        die("rshm_value_create/open");
    rshm_value_close(w); /* the writer processes take the role in turn */
    cpu_set_t mine;
    if (sched_getaffinity(0, sizeof mine, &mine) != 0 || CPU_COUNT(&mine) < 2) {
        printf("value layouts: needs two CPUs\n");
        return 0;
    }
    int a = -1, b = -1;
    for (int c = 0; c < CPU_SETSIZE && b < 0; c++)
        if (CPU_ISSET(c, &mine))
            *(a < 0 ? &a : &b) = c;
    double read_ns[VARIANTS][ROUNDS], fresh[VARIANTS][ROUNDS], alone[VARIANTS][ROUNDS], three[VARIANTS][ROUNDS],
        share[VARIANTS][ROUNDS], hop[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        pin(a);
        hop[i] = line_transfer_ns(b, CPU_SETSIZE);
        for (int j = 0; j < VARIANTS; j++) {
            enum variant k = (enum variant)((i + j) % VARIANTS); /* who goes first rotates */
            pin(a);
            writer(k, b);
            unsigned char out[LEN];
            uint64_t t0 = now_ns(), reads = 0, seen = 0, last = 0;
            while (now_ns() - t0 < SLICE_NS) {
                for (int n = 0; n < 1000; n++) {
                    uint64_t v = read_one(k, r, out);
                    use(out);
                    seen += v != last;
                    last = v;
                }
                reads += 1000;
            }
            read_ns[k][i] = (double)(now_ns() - t0) / (double)reads;
            fresh[k][i] = 100.0 * (double)seen / (double)reads;
            stop_all();
            if (sched_setaffinity(0, sizeof mine, &mine) != 0)
                die("sched_setaffinity");
            writer(k, -1);
            usleep(SLICE_NS / 1000);
            alone[k][i] = stop_all();
            for (int n = 0; n < 3; n++)
                reader(k);
            writer(k, -1);
            usleep(SLICE_NS / 1000);
            three[k][i] = stop_all();
            share[k][i] = three[k][i] / alone[k][i];
        }
    }
    printf("value layouts, 64-byte values (median of %d rounds; a line crosses between the CPUs in %.0f ns):\n",
           ROUNDS, median(hop, ROUNDS));
    printf("  %-18s %10s %9s | %s\n", "", "read, ns", "new", "writer per second of its CPU: alone, with 3 readers");
    for (int k = 0; k < VARIANTS; k++)
        printf("  %-18s %10.1f %8.1f%% | %7.1f M, %6.1f M: %.2f\n", variant_name[k], median(read_ns[k], ROUNDS),
               median(fresh[k], ROUNDS), median(alone[k], ROUNDS), median(three[k], ROUNDS),
               median(share[k], ROUNDS));
    rshm_value_close(r);
    rshm_value_unlink(name);
    return 0;
}
