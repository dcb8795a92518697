/* A reader's cursor (rshm_value_reader_begin/_read/_end, inline in
 * rshm.h) against rshm_value_read on the same value:
 * - one script of writes (lengths 0..100, so both the inline path and the
 *   slow call) and reads into buffers of every size class: the cursor and
 *   a second handle's rshm_value_read return the same lengths, versions,
 *   errnos and bytes;
 * - the same with the block's words scribbled at random, as a hostile
 *   writer might: the same errors (EBADMSG), nothing beyond the capacity;
 * - the cursor's own errors, and the handle's while it is lent; a
 *   descriptor's handle lends a cursor that always takes the call, and
 *   its descriptor follows the cursor's reads;
 * - reader processes reading through cursors against a writer writing
 *   flat out, in both length classes: every value whole, versions never
 *   going back. */
#include <poll.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

#define MAXLEN 100

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* Version v's value: its length from v (0..MAXLEN), each byte from v. */
static size_t fill(unsigned char *p, uint64_t v, size_t most) {
    size_t n = (size_t)(mix(v) % (most + 1));
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)mix(v * 131 + i);
    return n;
}

static int intact(const unsigned char *p, size_t n, uint64_t v, size_t most) {
    unsigned char want[MAXLEN];
    return v == 0 ? n == 0 : fill(want, v, most) == n && memcmp(want, p, n) == 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* A value's writer and two readers: `a` reads with rshm_value_read, `b`
 * lends a cursor. */
struct trio {
    char name[96];
    rshm_value *w, *a, *b;
};

static int trio_open(struct trio *t, const char *tag, size_t capacity) {
    t->w = rshm_value_create(check_name(t->name, sizeof t->name, tag), capacity, 0600);
    t->a = t->w ? rshm_value_open(t->name, RSHM_O_RDONLY, 0) : NULL;
    t->b = t->a ? rshm_value_open(t->name, RSHM_O_RDONLY, 0) : NULL;
    CHECK(t->b != NULL);
    return t->b != NULL;
}

static void trio_close(struct trio *t) {
    rshm_value_close(t->a);
    rshm_value_close(t->b);
    rshm_value_close(t->w);
    rshm_value_unlink(t->name);
}

/* One read into `cap` bytes through rshm_value_read on `a` and through the
 * cursor: whether the two agree (length, errno, version, bytes). The
 * cursor's length, version and errno in *len, *ver, *err, its bytes in y. */
static unsigned char x[4096], y[4096];
static int agree(rshm_value *a, rshm_value_reader *cur, size_t cap, int64_t *len, uint64_t *ver, int *err) {
    uint64_t va = 1, vb = 2;
    memset(x, 0xee, sizeof x);
    memset(y, 0xee, sizeof y);
    errno = 0;
    int64_t la = rshm_value_read(a, x, cap, &va);
    int ea = errno;
    errno = 0;
    int64_t lb = rshm_value_reader_read(cur, y, cap, &vb);
    *len = lb, *ver = vb, *err = errno;
    return la == lb && (la < 0 ? ea == *err : va == vb && memcmp(x, y, (size_t)la) == 0);
}

static void same_script(void) {
    struct trio t;
    if (!trio_open(&t, "script", MAXLEN))
        return;
    rshm_value *w = t.w, *b = t.b;
    rshm_value_reader cur;
    CHECK(rshm_value_reader_begin(b, &cur) == 0);
    CHECK(cur.abi == RSHM_VALUE_READER_ABI);
    static const size_t caps[] = {0, 1, 7, 16, 33, 64, 65, MAXLEN, 4096};
    unsigned char src[MAXLEN];
    int differ = 0, inline_reads = 0, slow_reads = 0, too_small = 0;
    uint64_t v = 0;
    for (int step = 0; step < 200000; step++) {
        uint64_t r = mix((uint64_t)step + 77);
        if (r % 3 == 0) {
            size_t n = fill(src, ++v, MAXLEN);
            if (rshm_value_write(w, src, n) != 0)
                differ++;
            continue;
        }
        size_t cap = caps[(r >> 8) % (sizeof caps / sizeof caps[0])];
        int64_t lb;
        uint64_t vb;
        int eb;
        if (!agree(t.a, &cur, cap, &lb, &vb, &eb) || (lb >= 0 && (!intact(y, (size_t)lb, vb, MAXLEN) || vb != v)))
            differ++;
        if (lb < 0 && eb == EMSGSIZE)
            too_small++;
        else if (lb > 64 || cap < (size_t)(lb > 0 ? lb : 0))
            slow_reads++;
        else
            inline_reads++;
    }
    CHECK(differ == 0);
    CHECK(inline_reads > 10000 && slow_reads > 1000 && too_small > 1000);
    /* The handle's own read waits for the cursor; it takes back the version. */
    CHECK_ERR(rshm_value_read(b, x, sizeof x, NULL), -1, EBUSY);
    CHECK(rshm_value_reader_end(&cur) == 0);
    uint64_t back = 0;
    CHECK(rshm_value_read(b, x, sizeof x, &back) >= 0 && back == v);
    trio_close(&t);
}

static void errors(void) {
    char name[96];
    unsigned char buf[64];
    rshm_value *w = rshm_value_create(check_name(name, sizeof name, "errors"), 64, 0600);
    rshm_value *r = w ? rshm_value_open(name, RSHM_O_RDONLY, 0) : NULL;
    CHECK(r != NULL);
    if (!r)
        return;
    rshm_value_reader cur, other;
    memset(&cur, 0, sizeof cur);
    CHECK_ERR(rshm_value_reader_read(&cur, buf, sizeof buf, NULL), -1, EINVAL);
    CHECK_ERR(rshm_value_reader_read(NULL, buf, sizeof buf, NULL), -1, EFAULT);
    CHECK_ERR(rshm_value_reader_end(&cur), -1, EINVAL);
    CHECK_ERR(rshm_value_reader_end(NULL), -1, EFAULT);
    CHECK_ERR(rshm_value_reader_begin(NULL, &cur), -1, EFAULT);
    CHECK_ERR(rshm_value_reader_begin(r, NULL), -1, EFAULT);
    CHECK(rshm_value_reader_begin(r, &cur) == 0);
    memcpy(&other, &cur, sizeof other);
    CHECK_ERR(rshm_value_reader_begin(r, &other), -1, EBUSY);
    CHECK(memcmp(&other, &cur, sizeof other) == 0); /* left as it was */
    CHECK_ERR(rshm_value_fd(r), -1, EBUSY);
    CHECK_ERR(rshm_value_close(r), -1, EBUSY); /* the cursor holds it: still open */
    CHECK_ERR(rshm_value_reader_read(&cur, NULL, 8, NULL), -1, EFAULT);
    CHECK(rshm_value_write(w, "abcdefgh", 8) == 0);
    uint64_t v = 0;
    CHECK(rshm_value_reader_read(&cur, buf, sizeof buf, &v) == 8 && v == 1 && memcmp(buf, "abcdefgh", 8) == 0);
    CHECK_ERR(rshm_value_reader_read(&cur, buf, 4, &v), -1, EMSGSIZE);
    CHECK(rshm_value_reader_end(&cur) == 0);
    CHECK(cur.abi == 0);
    CHECK_ERR(rshm_value_reader_end(&cur), -1, EINVAL);
    CHECK_ERR(rshm_value_reader_read(&cur, buf, sizeof buf, NULL), -1, EINVAL);
    CHECK_ERR(rshm_value_reader_take_back(r, 0), -1, EINVAL);
    /* The writer's handle reads through a cursor too. */
    CHECK(rshm_value_reader_begin(w, &cur) == 0);
    CHECK(rshm_value_reader_read(&cur, buf, sizeof buf, &v) == 8 && v == 1);
    CHECK(rshm_value_reader_end(&cur) == 0);

    /* A handle with a descriptor: every read takes the call, which keeps
     * the descriptor in step. */
    int fd = rshm_value_fd(r);
    CHECK(fd >= 0);
    CHECK(rshm_value_read(r, buf, sizeof buf, NULL) == 8);
    CHECK(!readable(fd));
    CHECK(rshm_value_reader_begin(r, &cur) == 0);
    CHECK(cur.abi == RSHM_VALUE_READER_CALLS);
    CHECK(rshm_value_fd(r) == fd);
    CHECK(rshm_value_write(w, "xyz", 3) == 0);
    int waited = 0;
    while (!readable(fd) && waited++ < 1000)
        usleep(1000);
    CHECK(readable(fd));
    CHECK(rshm_value_reader_read(&cur, buf, sizeof buf, &v) == 3 && v == 2);
    waited = 0;
    while (readable(fd) && waited++ < 1000)
        usleep(1000);
    CHECK(!readable(fd));
    CHECK(rshm_value_reader_end(&cur) == 0);
    rshm_value_close(r);
    rshm_value_close(w);
    rshm_value_unlink(name);
}

/* A hostile writer: the block's words scribbled at random between reads
 * (through the writer's own mapping, found from a cursor of the writer's
 * handle). The cursor's inline read and rshm_value_read on another handle
 * must still agree, and no read may return more than the capacity. */
static void scribbled(size_t capacity) {
    struct trio t;
    if (!trio_open(&t, "scribble", capacity))
        return;
    rshm_value_reader wc, cur;
    CHECK(rshm_value_reader_begin(t.w, &wc) == 0 && rshm_value_reader_begin(t.b, &cur) == 0);
    unsigned char *base = (unsigned char *)(uintptr_t)wc.base;
    int differ = 0, beyond = 0, ok_reads = 0, badmsg = 0, high = 0;
    int steps = check_under_valgrind() ? 300 : 3000;
    uint64_t seed = 0x9e3779b97f4a7c15ULL * (capacity + 1);
    for (int step = 0; step < steps; step++) {
#define RAND() (seed = mix(seed + 0x9e3779b97f4a7c15ULL))
        uint64_t pub = RAND() % 4 == 0 ? RAND() : RAND() % 64; /* now and then 2^63 and more */
        memcpy(base + RSHM_VALUE_PUBLISHED_AT, &pub, 8);
        for (int k = 0; k < 9; k++) { /* eight fast slots, then the steady one at 256 */
            unsigned char *head = k < 8 ? base + RSHM_VALUE_HEADS_AT + 16 * k : base + 256;
            uint64_t stamp = RAND() % 3 ? 2 * (k < 8 ? pub : RAND() % 64) : RAND();
            uint64_t r = RAND(), len = r % 4 == 0 ? RAND() : r % 3 == 0 ? capacity + r % 8 : (RAND() % (capacity + 1));
            memcpy(head, &stamp, 8);
            memcpy(head + 8, &len, 8);
            for (size_t i = 0; i < wc.stride; i += 8) {
                uint64_t word = RAND();
                memcpy(base + RSHM_VALUE_DATA_AT + wc.stride * (uint64_t)k + i, &word, 8);
            }
        }
        size_t cap = RAND() % 4 == 0 ? (size_t)(RAND() % (capacity + 1)) : sizeof x;
        int64_t lb;
        uint64_t vb;
        int eb;
        differ += !agree(t.a, &cur, cap, &lb, &vb, &eb);
        if (lb > (int64_t)capacity)
            beyond++;
        ok_reads += lb >= 0;
        badmsg += lb < 0 && eb == EBADMSG;
        high += lb >= 0 && vb >= (uint64_t)1 << 63;
#undef RAND
    }
    CHECK(differ == 0 && beyond == 0 && high == 0);
    CHECK(ok_reads > steps / 20 && badmsg > steps / 20);
    CHECK(rshm_value_reader_end(&cur) == 0 && rshm_value_reader_end(&wc) == 0);
    trio_close(&t);
}

/* A reader process: cursor reads until told to stop; every value whole,
 * versions never going back, some of them new. Exit status 0 if so. */
struct control {
    _Atomic int stop;
    _Atomic long fresh[2]; /* the new versions each reader has seen so far */
};

static void reader(const char *name, size_t most, struct control *c, int me) {
    int bad = 0;
    rshm_value *r = rshm_value_open(name, RSHM_O_RDONLY, 1000);
    rshm_value_reader cur;
    if (!r || rshm_value_reader_begin(r, &cur) != 0) {
        fprintf(stderr, "reader %d: open or begin: %s\n", me, rshm_errno_name(errno));
        _exit(2);
    }
    unsigned char buf[MAXLEN];
    uint64_t last = 0, v = 0;
    long reads = 0, fresh = 0;
    while (!atomic_load(&c->stop) || reads < 1000) {
        int64_t n = rshm_value_reader_read(&cur, buf, sizeof buf, &v);
        if (n < 0 || v < last || !intact(buf, (size_t)n, v, most))
            bad++;
        if (v != last)
            atomic_store_explicit(&c->fresh[me], ++fresh, memory_order_relaxed);
        last = v;
        reads++;
    }
    if (rshm_value_reader_end(&cur) != 0 || rshm_value_close(r) != 0)
        bad++;
    if (bad != 0 || fresh <= 10)
        fprintf(stderr, "reader %d: %d bad of %ld reads, %ld new versions\n", me, bad, reads, fresh);
    _exit(bad == 0 && fresh > 10 ? 0 : 1);
}

/* The writer's handle: a global, so that valgrind, checking for leaks in
 * a forked reader (which must not touch it), still finds it. */
static rshm_value *w;

static void against_a_writer_flat_out(size_t most) {
    char name[96];
    struct control *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(c != MAP_FAILED);
    if (c == MAP_FAILED)
        return;
    memset(c, 0, sizeof *c);
    w = rshm_value_create(check_name(name, sizeof name, "flat"), MAXLEN, 0600);
    CHECK(w != NULL);
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            reader(name, most, c, i);
    }
    unsigned char src[MAXLEN];
    /* At least `writes` writes, and on until both readers have seen 100
     * new versions (a reader may start late: under valgrind, on a loaded
     * machine), or a minute. */
    long writes = check_under_valgrind() ? 20000 : 2000000;
    int ok = 1;
    double until = now_s() + 60;
    for (uint64_t v = 1; w && (v <= (uint64_t)writes || ((atomic_load(&c->fresh[0]) < 100 ||
                                                          atomic_load(&c->fresh[1]) < 100) && now_s() < until));
         v++)
        ok &= rshm_value_write(w, src, fill(src, v, most)) == 0;
    CHECK(ok);
    atomic_store(&c->stop, 1);
    for (int i = 0; i < 2; i++) {
        int st = 0;
        CHECK(waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    rshm_value_close(w);
    rshm_value_unlink(name);
    munmap(c, sizeof *c);
}

int main(void) {
    same_script();
    errors();
    scribbled(1);
    scribbled(40);
    scribbled(100);
    against_a_writer_flat_out(64);     /* all inline-sized */
    against_a_writer_flat_out(MAXLEN); /* both paths */
    return check_done("value-reader");
}
