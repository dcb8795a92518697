/* rshm_value: one writer, many readers, never torn.
 * - basics: versions, lengths, one writer at a time, a reader cannot write;
 * - three reader processes against a writer writing flat out: every value
 *   they read is whole and their versions never go back;
 * - wait and wake, in another process, also for a reader that may only
 *   read (another user, mode 0644: root only);
 * - the writer SIGKILLed at 200 random points: the value read afterwards
 *   is always one that was published, and a new writer takes over. */
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

#define MAXLEN 1024
#define SEC 1000000000LL

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static uint64_t checksum(const unsigned char *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Version `v`'s value: [v][bytes][checksum of the rest], its length from v. */
static size_t val_len(uint64_t v) {
    return 16 + 8 * (size_t)(mix(v) % ((MAXLEN - 16) / 8));
}

static size_t fill(unsigned char *p, uint64_t v) {
    size_t n = val_len(v);
    memcpy(p, &v, 8);
    for (size_t i = 8; i < n - 8; i++)
        p[i] = (unsigned char)mix(v + i);
    uint64_t c = checksum(p, n - 8);
    memcpy(p + n - 8, &c, 8);
    return n;
}

/* Whether `p` (n bytes) is exactly what version `v` published; version 0
 * is the empty value. */
static int intact(const unsigned char *p, size_t n, uint64_t v) {
    uint64_t seq, c;
    if (v == 0)
        return n == 0;
    if (n != val_len(v))
        return 0;
    memcpy(&seq, p, 8);
    memcpy(&c, p + n - 8, 8);
    return seq == v && c == checksum(p, n - 8);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void basics(void) {
    char name[64];
    check_name(name, sizeof name, "basics");
    unsigned char buf[MAXLEN];
    uint64_t ver = 99;
    rshm_value *w = rshm_value_create(name, MAXLEN, 0600);
    CHECK(w != NULL);
    CHECK(rshm_value_size(w) >= MAXLEN);
    rshm_value *r = rshm_value_open(name, RSHM_O_RDONLY, 0);
    CHECK(r != NULL);
    CHECK(rshm_value_read(r, buf, sizeof buf, &ver) == 0 && ver == 0);
    for (uint64_t v = 1; v <= 300; v++) {
        size_t n = fill(buf, v);
        CHECK(rshm_value_write(w, buf, n) == 0);
        memset(buf, 0, sizeof buf);
        int64_t got = rshm_value_read(r, buf, sizeof buf, &ver);
        if (got < 0 || ver != v || !intact(buf, (size_t)got, v)) {
            CHECK(!"read back what was written");
            break;
        }
    }
    CHECK(rshm_value_write(w, "", 0) == 0);
    CHECK(rshm_value_read(r, buf, 0, &ver) == 0 && ver == 301);
    CHECK_ERR(rshm_value_write(r, buf, 8), -1, EBADF);
    CHECK_ERR(rshm_value_open(name, RSHM_O_RDWR, 0), NULL, EBUSY);
    CHECK_ERR(rshm_value_create(name, 8, 0600), NULL, EEXIST);
    CHECK(rshm_value_close(w) == 0);
    /* The role is free again, and the versions continue. */
    w = rshm_value_open(name, RSHM_O_RDWR, 0);
    CHECK(w != NULL);
    CHECK(rshm_value_write(w, "x", 1) == 0);
    CHECK(rshm_value_read(r, buf, sizeof buf, &ver) == 1 && ver == 302);
    CHECK(rshm_value_close(w) == 0);
    CHECK(rshm_value_close(r) == 0);
    CHECK(rshm_value_unlink(name) == 0);
}

/* Reads flat out until the writer's version passes `until`; exits 0 when
 * every value was whole and versions never went back. */
static void reader(const char *name, const _Atomic int *stop) {
    rshm_value *r = rshm_value_open(name, RSHM_O_RDONLY, 5000);
    if (!r)
        _exit(2);
    unsigned char buf[MAXLEN];
    uint64_t last = 0, ver, reads = 0;
    while (!atomic_load(stop)) {
        int64_t n = rshm_value_read(r, buf, sizeof buf, &ver);
        if (n < 0) {
            fprintf(stderr, "reader: %s\n", rshm_errno_name(errno));
            _exit(3);
        }
        if (ver < last || !intact(buf, (size_t)n, ver)) {
            fprintf(stderr, "reader: version %llu after %llu, %s\n", (unsigned long long)ver,
                    (unsigned long long)last, intact(buf, (size_t)n, ver) ? "whole" : "TORN");
            _exit(4);
        }
        last = ver;
        reads++;
    }
    rshm_value_close(r);
    _exit(reads > 0 && last > 0 ? 0 : 5);
}

static void three_readers_against_a_writer_flat_out(void) {
    char name[64];
    check_name(name, sizeof name, "flatout");
    _Atomic int *stop = mmap(NULL, sizeof *stop, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(stop != MAP_FAILED);
    atomic_store(stop, 0);
    /* The readers first (they wait for the value): a child holds no
     * handle of the parent's, which it could neither use nor free. */
    pid_t kids[3];
    for (int i = 0; i < 3; i++)
        if ((kids[i] = fork()) == 0)
            reader(name, stop);
    rshm_value *w = rshm_value_create(name, MAXLEN, 0600);
    CHECK(w != NULL);
    unsigned char buf[MAXLEN];
    uint64_t v = 0;
    double end = now() + 1.0;
    int ok = 1;
    while (ok && now() < end)
        for (int i = 0; i < 64 && ok; i++) {
            size_t n = fill(buf, ++v);
            ok = rshm_value_write(w, buf, n) == 0;
        }
    CHECK(ok);
    atomic_store(stop, 1);
    for (int i = 0; i < 3; i++) {
        int st;
        CHECK(waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    printf("flat out: %llu versions in 1 s against 3 readers\n", (unsigned long long)v);
    fflush(stdout); /* before the next fork copies the buffer */
    CHECK(rshm_value_close(w) == 0);
    CHECK(rshm_value_unlink(name) == 0);
    munmap(stop, sizeof *stop);
}

/* A child waits for a version after `from`, then exits 0 if it read it. */
static pid_t waiter(const char *name, uint64_t from, uid_t as) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (as != 0 && setuid(as) != 0)
        _exit(6);
    rshm_value *r = rshm_value_open(name, RSHM_O_RDONLY, 5000);
    if (!r)
        _exit(2);
    if (rshm_value_wait(r, from, 10 * SEC) != 0)
        _exit(3);
    unsigned char buf[MAXLEN];
    uint64_t ver;
    int64_t n = rshm_value_read(r, buf, sizeof buf, &ver);
    _exit(n >= 0 && ver > from && intact(buf, (size_t)n, ver) ? 0 : 4);
}

static void wait_and_wake(void) {
    char name[64];
    check_name(name, sizeof name, "wait");
    unsigned char buf[MAXLEN];
    /* Waiters in other processes (started first, as above): one that may
     * write the object, and (as root) one of another user, which may only
     * read it. */
    int others = geteuid() == 0;
    pid_t a = waiter(name, 0, 0);
    pid_t b = others ? waiter(name, 0, 65534) : 0;
    rshm_value *w = rshm_value_create(name, MAXLEN, 0644);
    CHECK(w != NULL);
    rshm_value *r = rshm_value_open(name, RSHM_O_RDONLY, 0);
    CHECK_ERR(rshm_value_wait(r, 0, 0), -1, EAGAIN);
    CHECK_ERR(rshm_value_wait(r, 0, 2000000), -1, ETIMEDOUT);
    CHECK(rshm_value_wait(r, 5, -1) == 0);
    usleep(200000);
    double t = now();
    CHECK(rshm_value_write(w, buf, fill(buf, 1)) == 0);
    int st;
    CHECK(waitpid(a, &st, 0) == a && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (others)
        CHECK(waitpid(b, &st, 0) == b && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    else
        printf("SKIP: a waiter of another user needs root\n");
    CHECK(now() - t < 5.0);
    CHECK(rshm_value_wait(r, 0, 0) == 0);
    CHECK(rshm_value_close(r) == 0);
    CHECK(rshm_value_close(w) == 0);
    CHECK(rshm_value_unlink(name) == 0);
}

/* What the writer child shares with the test, outside the value. */
struct progress {
    _Atomic uint64_t done; /* versions whose write returned */
};

static void killed_writer(const char *name, struct progress *pr) {
    rshm_value *w = rshm_value_open(name, RSHM_O_RDWR, 5000);
    if (!w)
        _exit(2);
    unsigned char buf[MAXLEN];
    uint64_t ver;
    /* Continue from what the dead writer published last. */
    if (rshm_value_read(w, buf, sizeof buf, &ver) < 0)
        _exit(3);
    for (uint64_t v = ver + 1;; v++) {
        size_t n = fill(buf, v);
        if (rshm_value_write(w, buf, n) != 0)
            _exit(4);
        atomic_store(&pr->done, v);
    }
}

static void sigkill_at_200_points(void) {
    char name[64];
    check_name(name, sizeof name, "kill");
    struct progress *pr = mmap(NULL, sizeof *pr, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(pr != MAP_FAILED);
    rshm_value *w = rshm_value_create(name, MAXLEN, 0600);
    rshm_value *r = rshm_value_open(name, RSHM_O_RDONLY, 0);
    CHECK(w && r && rshm_value_close(w) == 0);
    unsigned char buf[MAXLEN];
    uint64_t ver, last = 0;
    int bad = 0;
    srand((unsigned)getpid());
    for (int round = 0; round < 200 && !bad; round++) {
        atomic_store(&pr->done, last);
        pid_t kid = fork();
        if (kid == 0)
            killed_writer(name, pr);
        /* Let it get going, then kill it anywhere (up to 2 ms in). */
        while (atomic_load(&pr->done) == last) {
            int st;
            if (waitpid(kid, &st, WNOHANG) == kid) {
                fprintf(stderr, "writer exited early: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
                bad = 1;
                break;
            }
        }
        if (bad)
            break;
        usleep((useconds_t)(rand() % 2000));
        kill(kid, SIGKILL);
        waitpid(kid, NULL, 0);
        uint64_t done = atomic_load(&pr->done);
        int64_t n = rshm_value_read(r, buf, sizeof buf, &ver);
        /* Whole, and the last version whose write returned or the one after. */
        if (n < 0 || !intact(buf, (size_t)n, ver) || ver < done || ver > done + 1 || ver < last) {
            fprintf(stderr, "round %d: read %lld, version %llu, done %llu\n", round, (long long)n,
                    (unsigned long long)ver, (unsigned long long)done);
            bad = 1;
        }
        last = ver;
    }
    CHECK(!bad);
    /* After 200 dead writers, a live one takes the role at once. */
    w = rshm_value_open(name, RSHM_O_RDWR, 0);
    CHECK(w != NULL);
    CHECK(rshm_value_write(w, buf, fill(buf, last + 1)) == 0);
    CHECK(rshm_value_read(r, buf, sizeof buf, &ver) >= 0 && ver == last + 1 && intact(buf, val_len(ver), ver));
    printf("sigkill: 200 writers killed, %llu versions\n", (unsigned long long)last);
    CHECK(rshm_value_close(w) == 0);
    CHECK(rshm_value_close(r) == 0);
    CHECK(rshm_value_unlink(name) == 0);
    munmap(pr, sizeof *pr);
}

int main(void) {
    basics();
    three_readers_against_a_writer_flat_out();
    wait_and_wake();
    sigkill_at_200_points();
    char mine[32];
    snprintf(mine, sizeof mine, "rshm-test-%ld-", (long)getpid());
    CHECK(check_shm_count(mine) == 0);
    return check_done("value");
}
