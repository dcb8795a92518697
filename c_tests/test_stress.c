/* Stress: 4 processes hammer the same 4 names at once through the plain
 * calls (shm_open/ftruncate/mmap/unlink) and the segment calls
 * (create/create_init/open/close/unlink), holding handles across each
 * other's unlinks. No process may crash, every failure must be one of the
 * errnos the race explains, and nothing may be left in /dev/shm.
 *
 * The errnos a failure may have, and why:
 * - ENOENT: the name is not there (open without O_CREAT, unlink, and
 *   segment_open with no wait, which reports ENOENT on Linux).
 * - EEXIST: the name is there (O_CREAT | O_EXCL, segment_create, whose
 *   link(2) never replaces a name).
 * - EINVAL: segment_open found an object that is no segment: a plain
 *   object (empty, or a page of zeros without the magic).
 * - EPROTO: segment_open found a segment that the plain calls grew
 *   (shm_open(O_CREAT) + ftruncate of a name a segment held): its length
 *   no longer matches its header, and rshm maps nothing a header does not
 *   vouch for.
 * No other errno is expected: sizes never shrink an object below two pages
 * once it has them, so no mapping here can fault, and objects are 0600 of
 * one user. */
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

#define PROCS 4
#define NAMES 4
#define PATTERN 0xc3

enum op {
    OP_SHM_CREATE,   /* shm_open O_CREAT, grow to 2..4 pages, map, write, unmap */
    OP_SHM_EXCL,     /* shm_open O_CREAT | O_EXCL */
    OP_SHM_OPEN,     /* shm_open O_RDWR, map what is there */
    OP_SHM_UNLINK,   /* shm_unlink */
    OP_SEG_CREATE,   /* segment_create, kept open for a while */
    OP_SEG_INIT,     /* segment_create_init with a pattern */
    OP_SEG_OPEN,     /* segment_open, read the data, kept open for a while */
    OP_SEG_UNLINK,   /* segment_unlink */
    OP_COUNT
};

static const char *op_names[OP_COUNT] = {"shm_open(O_CREAT)+ftruncate+mmap", "shm_open(O_CREAT|O_EXCL)",
                                         "shm_open(O_RDWR)+mmap",           "shm_unlink",
                                         "segment_create",                  "segment_create_init",
                                         "segment_open",                    "segment_unlink"};

/* What every child counts, in memory shared with the parent. */
struct tally {
    atomic_long ok[OP_COUNT];
    atomic_long enoent[OP_COUNT];
    atomic_long eexist[OP_COUNT];
    atomic_long einval[OP_COUNT];
    atomic_long eproto[OP_COUNT];
    atomic_long unexpected;
    atomic_long ops;
};

static char names[NAMES][64];
static size_t page;

static int fill(void *data, size_t size, void *ctx) {
    (void)ctx;
    memset(data, PATTERN, size);
    return 0;
}

/* Records a failure: an expected errno, or an unexpected one (printed). */
static void failed(struct tally *t, enum op op, int e) {
    if (e == ENOENT)
        atomic_fetch_add(&t->enoent[op], 1);
    else if (e == EEXIST)
        atomic_fetch_add(&t->eexist[op], 1);
    else if (e == EINVAL)
        atomic_fetch_add(&t->einval[op], 1);
    else if (e == EPROTO && op == OP_SEG_OPEN)
        atomic_fetch_add(&t->eproto[op], 1);
    else if (atomic_fetch_add(&t->unexpected, 1) < 10) {
        fprintf(stderr, "pid %ld: %s: unexpected %s\n", (long)getpid(), op_names[op], rshm_errno_name(e));
    }
}

/* Maps the object behind fd and writes one byte of the second page; only
 * when it already has two pages, which it then keeps (see above). */
static int touch_fd(int fd) {
    struct rshm_stat st;
    if (rshm_fstat(fd, &st) != 0)
        return -1;
    if (st.size < (int64_t)(2 * page))
        return 0;
    unsigned char *p = rshm_mmap(NULL, 2 * page, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    if (p == RSHM_MAP_FAILED)
        return -1;
    p[page] = PATTERN;
    return rshm_munmap(p, 2 * page);
}

static void child(struct tally *t, int iterations, unsigned seed) {
    struct rshm_segment *held = NULL;
    int held_for = 0;
    for (int i = 0; i < iterations; i++) {
        const char *n = names[rand_r(&seed) % NAMES];
        enum op op = (enum op)(rand_r(&seed) % OP_COUNT);
        errno = 0;
        int ok = 1;
        struct rshm_segment *seg = NULL;
        switch (op) {
        case OP_SHM_CREATE: {
            int fd = rshm_shm_open(n, RSHM_O_RDWR | RSHM_O_CREAT, 0600);
            if (fd < 0) {
                ok = 0;
                break;
            }
            int64_t want = (int64_t)(2 + rand_r(&seed) % 3) * (int64_t)page;
            struct rshm_stat st;
            /* Grow only: never below two pages once there (a segment's size). */
            if (rshm_fstat(fd, &st) != 0 || (st.size < want && rshm_ftruncate(fd, want) != 0) ||
                touch_fd(fd) != 0) {
                atomic_fetch_add(&t->unexpected, 1);
                fprintf(stderr, "pid %ld: fstat/ftruncate/mmap: %s\n", (long)getpid(), rshm_errno_name(errno));
            }
            rshm_close(fd);
            break;
        }
        case OP_SHM_EXCL: {
            int fd = rshm_shm_open(n, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600);
            if (fd < 0)
                ok = 0;
            else
                rshm_close(fd);
            break;
        }
        case OP_SHM_OPEN: {
            int fd = rshm_shm_open(n, RSHM_O_RDWR, 0);
            if (fd < 0) {
                ok = 0;
                break;
            }
            if (touch_fd(fd) != 0) {
                atomic_fetch_add(&t->unexpected, 1);
                fprintf(stderr, "pid %ld: mmap: %s\n", (long)getpid(), rshm_errno_name(errno));
            }
            rshm_close(fd);
            break;
        }
        case OP_SHM_UNLINK:
            ok = rshm_shm_unlink(n) == 0;
            break;
        case OP_SEG_CREATE:
            seg = rshm_segment_create(n, page, 0600);
            ok = seg != NULL;
            break;
        case OP_SEG_INIT:
            seg = rshm_segment_create_init(n, page, 0600, fill, NULL);
            ok = seg != NULL;
            break;
        case OP_SEG_OPEN:
            seg = rshm_segment_open(n, (i & 1) ? RSHM_O_RDWR : RSHM_O_RDONLY, 0);
            ok = seg != NULL;
            if (seg) {
                /* Its size is what every creator here asks for, whoever
                 * made it, and every byte of the data is readable. */
                const volatile unsigned char *d = rshm_segment_data(seg);
                size_t size = rshm_segment_size(seg);
                unsigned sum = d[0] + d[size - 1];
                (void)sum;
                if (size != page) {
                    atomic_fetch_add(&t->unexpected, 1);
                    fprintf(stderr, "pid %ld: segment of size %zu\n", (long)getpid(), size);
                }
            }
            break;
        case OP_SEG_UNLINK:
            ok = rshm_segment_unlink(n) == 0;
            break;
        case OP_COUNT:
            break;
        }
        if (ok)
            atomic_fetch_add(&t->ok[op], 1);
        else
            failed(t, op, errno);
        atomic_fetch_add(&t->ops, 1);
        /* A segment stays open for a few iterations, across other
         * processes' unlinks and re-creations of its name. */
        if (seg) {
            if (held)
                rshm_segment_close(held);
            held = seg;
            held_for = 1 + rand_r(&seed) % 8;
        } else if (held && --held_for == 0) {
            rshm_segment_close(held);
            held = NULL;
        }
    }
    if (held)
        rshm_segment_close(held);
}

int main(void) {
    page = (size_t)sysconf(_SC_PAGESIZE);
    /* The calls are mostly system calls: about 1 s, under valgrind 4 s. */
    int iterations = 20000;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    static const char *tags[NAMES] = {"stress0", "stress1", "stress2", "stress3"};
    for (int i = 0; i < NAMES; i++)
        check_name(names[i], sizeof names[i], tags[i]);
    struct tally *t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(t != MAP_FAILED);
    if (t == MAP_FAILED)
        return check_done("stress");

    pid_t kids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        kids[p] = fork();
        if (kids[p] == 0) {
            child(t, iterations, seed + (unsigned)p * 7919u);
            _exit(0);
        }
        CHECK(kids[p] > 0);
    }
    int crashed = 0;
    for (int p = 0; p < PROCS; p++) {
        int st = 0;
        if (kids[p] > 0 && (waitpid(kids[p], &st, 0) != kids[p] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
            crashed++;
            fprintf(stderr, "child %ld ended with status 0x%x\n", (long)kids[p], st);
        }
    }
    CHECK(crashed == 0);
    CHECK(atomic_load(&t->ops) == (long)PROCS * iterations);
    CHECK(atomic_load(&t->unexpected) == 0);

    printf("stress: %d processes x %d iterations on %d names (seed %u)\n", PROCS, iterations, NAMES, seed);
    printf("  %-34s %7s %7s %7s %7s %7s\n", "call", "ok", "ENOENT", "EEXIST", "EINVAL", "EPROTO");
    long successes = 0;
    for (int op = 0; op < OP_COUNT; op++) {
        printf("  %-34s %7ld %7ld %7ld %7ld %7ld\n", op_names[op], atomic_load(&t->ok[op]),
               atomic_load(&t->enoent[op]), atomic_load(&t->eexist[op]), atomic_load(&t->einval[op]),
               atomic_load(&t->eproto[op]));
        successes += atomic_load(&t->ok[op]);
    }
    /* The races happened: both outcomes of the contended calls were seen. */
    CHECK(successes > 0);
    CHECK(atomic_load(&t->ok[OP_SEG_OPEN]) > 0);
    CHECK(atomic_load(&t->eexist[OP_SEG_CREATE]) + atomic_load(&t->eexist[OP_SEG_INIT]) > 0);

    /* The test's own names go; then nothing of its own may remain: no
     * name, and no temporary name of any child (rshm-tmp.PID.). */
    for (int i = 0; i < NAMES; i++)
        if (rshm_shm_unlink(names[i]) != 0)
            CHECK(errno == ENOENT);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "rshm-test-%ld-", (long)getpid());
    CHECK(check_shm_count(prefix) == 0);
    for (int p = 0; p < PROCS; p++) {
        snprintf(prefix, sizeof prefix, "rshm-tmp.%ld.", (long)kids[p]);
        CHECK(check_shm_count(prefix) == 0);
    }
    munmap(t, sizeof *t);
    return check_done("stress");
}
