/* The bad-input table (issue 5): every exported function against every
 * class of bad input that applies to it, each row asserting the exact
 * errno. Where libc has a twin that can take the same input, the twin runs
 * on the same input and must answer the same (rows marked "want LIBC" take
 * libc's answer as the expected one: it differs between glibc versions).
 *
 * `test_bad_input --table` prints the table as Markdown for the README
 * ("## Reliability"); `--functions` prints the functions covered, which
 * tests/run.sh compares with the exports in src/capi.
 *
 * Every failing row also asks rshm_error_detail() right after the call: it
 * must be a sentence that begins with the function's name, and the table's
 * last column shows it for the first input of each result.
 *
 * Strings that are not NUL-terminated within rshm's limit end exactly at a
 * PROT_NONE page: reading one byte past the limit would crash the test. */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <pthread.h>
#include <sys/stat.h>

#include "check.h"

/* `want` values beyond errno numbers. */
#define SUCCEEDS 0
#define LIBC (-1) /* whatever the libc twin answers, success included */

struct rec {
    const char *fn, *input, *result, *twin;
    char *detail; /* rshm_error_detail() after a failure, owned; NULL after a success */
};

static struct rec recs[512];
static int nrecs;
static const char *fn; /* the function the rows below are about */
/* Under valgrind, whose system-call wrappers part from the kernel's in a few
 * corner cases (mmap of SIZE_MAX bytes is EINVAL; MAP_FIXED_NOREPLACE is a
 * hint), a row with a libc twin passes when rshm gives the expected errno
 * or the same answer as the twin. */
static int lenient;

/* The detail a failure left must name the function, as "fn(" or "fn:". */
static void check_detail(const char *input, const char *detail) {
    size_t n = strlen(fn);
    if (strncmp(detail, fn, n) == 0 && (detail[n] == '(' || detail[n] == ':') && strlen(detail) > n + 2) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "FAIL %s(%s): rshm_error_detail() is \"%s\"\n", fn, input, detail);
    }
}

static void record(const char *input, int want, const char *note, int failed, int err, const char *detail,
                   const char *twin, int tfailed, int terr) {
    int ok;
    if (lenient && twin && failed == tfailed && (!failed || err == terr))
        ok = 1; /* valgrind answered both calls alike, if not as the kernel would */
    else if (lenient && want != LIBC && twin)
        ok = want == SUCCEEDS ? !failed : failed && err == want;
    else if (want == LIBC)
        ok = failed == tfailed && (!failed || err == terr);
    else if (want == SUCCEEDS)
        ok = !failed && (!twin || !tfailed);
    else
        ok = failed && err == want && (!twin || (tfailed && terr == want));
    char what[160];
    snprintf(what, sizeof what, "%s(%s)", fn, input);
    check_result(ok, NULL, 0, what);
    if (!ok) {
        fprintf(stderr, "FAIL %s(%s): want %s, got %s", fn, input,
                want == LIBC ? "libc's" : want == SUCCEEDS ? "success" : rshm_errno_name(want),
                failed ? rshm_errno_name(err) : "success");
        if (twin)
            fprintf(stderr, "; %s gives %s", twin, tfailed ? rshm_errno_name(terr) : "success");
        fprintf(stderr, "\n");
    }
    if (failed)
        check_detail(input, detail);
    if (nrecs < (int)(sizeof recs / sizeof *recs))
        recs[nrecs++] = (struct rec){fn, input, failed ? rshm_errno_name(err) : note ? note : "succeeds", twin,
                                     failed ? strdup(detail) : NULL};
}

/* One row: `call` is 1 when the function returned its failure value. */
#define ROW(input, want, call)                                                                  \
    do {                                                                                        \
        errno = 0;                                                                              \
        int f_ = (call);                                                                        \
        int e_ = errno;                                                                         \
        record(input, want, NULL, f_, e_, rshm_error_detail(), NULL, 0, 0);                     \
    } while (0)

/* A row that must succeed; `note` says what it returns. */
#define ROW_OK(input, note, call)                                                               \
    do {                                                                                        \
        errno = 0;                                                                              \
        int f_ = (call);                                                                        \
        int e_ = errno;                                                                         \
        record(input, SUCCEEDS, note, f_, e_, rshm_error_detail(), NULL, 0, 0);                 \
    } while (0)

/* A row whose input also goes to libc's `twin`, which must agree. */
#define ROW_T(input, want, call, twin_name, twin)                                               \
    do {                                                                                        \
        errno = 0;                                                                              \
        int f_ = (call);                                                                        \
        int e_ = errno;                                                                         \
        char *d_ = strdup(rshm_error_detail());                                                 \
        errno = 0;                                                                              \
        int tf_ = (twin);                                                                       \
        int te_ = errno;                                                                        \
        record(input, want, NULL, f_, e_, d_, twin_name, tf_, te_);                             \
        free(d_);                                                                               \
    } while (0)

#define FAILS(call, bad) ((call) == (bad))

/* Failure of a call that makes something on success, which is released. */
static int fd_fails(int fd) {
    if (fd == -1)
        return 1;
    close(fd);
    return 0;
}

static size_t map_len;
static int map_fails(void *p) {
    if (p == MAP_FAILED)
        return 1;
    munmap(p, map_len);
    return 0;
}

/* A page-aligned address with nothing mapped: a page just unmapped. Made
 * afresh for each call, as the kernel may reuse the range at any time. */
static char *gone(void) {
    char *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || munmap(p, (size_t)sysconf(_SC_PAGESIZE)) != 0)
        abort();
    return p;
}

static int seg_fails(rshm_segment *s) {
    if (!s)
        return 1;
    rshm_segment_close(s);
    return 0;
}

static int posix_fallocate_errno(int fd, int64_t off, int64_t len) {
    int r = posix_fallocate(fd, off, len);
    if (r) {
        errno = r;
        return -1;
    }
    return 0;
}

static int refuse(void *data, size_t size, void *ctx) {
    (void)data, (void)size, (void)ctx;
    return 1;
}

/* ---- fixtures ---- */

static long pg;
static int fd_closed, fd_never, fd_pipe[2], fd_dir, fd_null, fd_shm, fd_shm_ro, fd_mfd, fd_mfd_nosealing,
    fd_sealed, fd_big;
static int sock[2], sock_lonely, sock_widowed, sock_empty[2], sock_plain[2];
static char *page_rw, *guarded, *noterm_5000, *noterm_4096, *noterm_250;
static char prefix_4095[4096], chars_250[251], chars_256[257];
static char n_missing[64], n_plain[64], n_empty[64], n_badver[64], n_badfit[64], n_badkind[64], n_badoff[64],
    n_notready[64], n_slash[80], n_fifo[64], n_link[64], n_dir[64], n_grown[64];

/* "/dev/shm" + name, where Linux keeps the object `name`. */
static const char *shm_path(const char *name) {
    static char bufs[2][128];
    static int i;
    char *buf = bufs[i++ % 2]; /* two at a time: symlink(a, b) */
    snprintf(buf, sizeof bufs[0], "/dev/shm%s", name);
    return buf;
}

/* An object `name` of `total` bytes whose first bytes are `hdr`. */
static void make_obj(const char *name, const void *hdr, size_t hlen, long total) {
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, total) == 0);
    if (hlen)
        CHECK(pwrite(fd, hdr, hlen, 0) == (ssize_t)hlen);
    close(fd);
}

/* An object header, layout 2 (see src/object/header.rs). */
static void header(unsigned char h[64], uint32_t version, uint32_t kind, uint32_t state, uint64_t off,
                   uint64_t size) {
    memset(h, 0, 64);
    memcpy(h, "rshm-seg", 8);
    memcpy(h + 8, &version, 4);
    memcpy(h + 12, &kind, 4);
    memcpy(h + 16, &state, 4);
    memcpy(h + 24, &off, 8);
    memcpy(h + 32, &size, 8);
}

static void setup(void) {
    pg = sysconf(_SC_PAGESIZE);
    CHECK(pipe(fd_pipe) == 0);
    fd_dir = open("/", O_RDONLY | O_DIRECTORY);
    fd_null = open("/dev/null", O_RDWR);
    check_name(n_missing, sizeof n_missing, "missing");
    check_name(n_plain, sizeof n_plain, "plain");
    fd_shm = shm_open(n_plain, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd_shm >= 0 && ftruncate(fd_shm, pg) == 0);
    fd_shm_ro = shm_open(n_plain, O_RDONLY, 0);
    fd_mfd = memfd_create("bad-input", MFD_ALLOW_SEALING);
    CHECK(ftruncate(fd_mfd, pg) == 0);
    fd_mfd_nosealing = memfd_create("bad-input-nosealing", 0);
    fd_sealed = memfd_create("bad-input-sealed", MFD_ALLOW_SEALING);
    CHECK(ftruncate(fd_sealed, pg) == 0 && fcntl(fd_sealed, F_ADD_SEALS, F_SEAL_WRITE) == 0);
    fd_big = memfd_create("bad-input-big", 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sock) == 0);
    sock_lonely = socket(AF_UNIX, SOCK_STREAM, 0);
    int w[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, w) == 0);
    close(w[1]);
    sock_widowed = w[0];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sock_empty) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sock_plain) == 0);
    CHECK(write(sock_plain[1], "x", 1) == 1);
    CHECK(fd_dir >= 0 && fd_null >= 0 && fd_shm_ro >= 0 && fd_mfd >= 0 && fd_mfd_nosealing >= 0 && fd_big >= 0 &&
          sock_lonely >= 0);

    /* A number that was open and is closed, far above anything opened later. */
    fd_closed = 900;
    CHECK(dup2(fd_null, fd_closed) == fd_closed && close(fd_closed) == 0);
    fd_never = 777;
    CHECK(fcntl(fd_never, F_GETFD) == -1 && errno == EBADF);

    page_rw = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page_rw != MAP_FAILED);

    /* Three readable pages of 'a', then an unreadable one. */
    guarded = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(guarded != MAP_FAILED);
    memset(guarded, 'a', 3 * pg);
    CHECK(mprotect(guarded + 3 * pg, pg, PROT_NONE) == 0);
    noterm_5000 = guarded + 3 * pg - 5000;
    noterm_4096 = guarded + 3 * pg - 4096;
    noterm_250 = guarded + 3 * pg - 250;
    memset(prefix_4095, 'a', 4095);
    memset(chars_250, 'a', 250);
    memset(chars_256, 'a', 256);

    snprintf(n_slash, sizeof n_slash, "%s/b", check_name((char[64]){0}, 64, "slash"));
    unsigned char h[64];
    const uint32_t ready = 0x52454459;
    check_name(n_empty, sizeof n_empty, "empty");
    make_obj(n_empty, NULL, 0, 0);
    check_name(n_badver, sizeof n_badver, "badver");
    header(h, 99, 1, ready, (uint64_t)pg, 100);
    make_obj(n_badver, h, 64, 2 * pg);
    check_name(n_badfit, sizeof n_badfit, "badfit");
    header(h, 2, 1, ready, (uint64_t)pg, 1ull << 40);
    make_obj(n_badfit, h, 64, 2 * pg);
    check_name(n_badkind, sizeof n_badkind, "badkind");
    header(h, 2, 7, ready, (uint64_t)pg, 100);
    make_obj(n_badkind, h, 64, 2 * pg);
    check_name(n_badoff, sizeof n_badoff, "badoff");
    header(h, 2, 1, ready, 100, 100);
    make_obj(n_badoff, h, 64, 2 * pg);
    check_name(n_notready, sizeof n_notready, "notready");
    header(h, 2, 1, 0, (uint64_t)pg, 100);
    make_obj(n_notready, h, 64, 2 * pg);

    /* What any local user can put under a name (issue 17). */
    check_name(n_fifo, sizeof n_fifo, "fifo");
    CHECK(mkfifo(shm_path(n_fifo), 0600) == 0);
    check_name(n_link, sizeof n_link, "link");
    CHECK(symlink(shm_path(n_plain), shm_path(n_link)) == 0);
    check_name(n_dir, sizeof n_dir, "dir");
    CHECK(mkdir(shm_path(n_dir), 0700) == 0);
    /* A segment grown after its creation: its header no longer matches. */
    check_name(n_grown, sizeof n_grown, "grown");
    rshm_segment *grown = rshm_segment_create(n_grown, 100, 0600);
    CHECK(grown != NULL);
    int fd = shm_open(n_grown, O_RDWR, 0);
    CHECK(fd >= 0 && ftruncate(fd, 1 << 30) == 0);
    close(fd);
    rshm_segment_close(grown);
}

static void teardown(void) {
    const char *names[] = {n_plain, n_empty, n_badver, n_badfit, n_badkind, n_badoff, n_notready, n_link, n_grown};
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
        CHECK(shm_unlink(names[i]) == 0);
    CHECK(unlink(shm_path(n_fifo)) == 0);
    CHECK(rmdir(shm_path(n_dir)) == 0);
    int fds[] = {fd_pipe[0], fd_pipe[1], fd_dir, fd_null, fd_shm, fd_shm_ro, fd_mfd, fd_mfd_nosealing, fd_sealed,
                 fd_big, sock[0], sock[1], sock_lonely, sock_widowed, sock_empty[0], sock_empty[1],
                 sock_plain[0], sock_plain[1]};
    for (unsigned i = 0; i < sizeof fds / sizeof *fds; i++)
        CHECK(close(fds[i]) == 0);
    CHECK(munmap(page_rw, 2 * pg) == 0 && munmap(guarded, 4 * pg) == 0);
}

/* ---- the rows ---- */

static void names_for_shm(void) {
    fn = "rshm_shm_open";
    ROW("name NULL", EFAULT, FAILS(rshm_shm_open(NULL, O_RDONLY, 0), -1));
#define SHM_OPEN(input, want, name, oflag)                                                      \
    ROW_T(input, want, fd_fails(rshm_shm_open(name, oflag, 0600)), "shm_open(3)",               \
          fd_fails(shm_open(name, oflag, 0600)))
    SHM_OPEN("name \"\"", EINVAL, "", O_RDONLY);
    SHM_OPEN("name \"/\"", EINVAL, "/", O_RDONLY);
    SHM_OPEN("name with an inner slash", EINVAL, n_slash, O_RDWR | O_CREAT);
    SHM_OPEN("name of 256 bytes", ENAMETOOLONG, chars_256, O_RDWR | O_CREAT);
    ROW_T("4096 bytes without NUL up to an unreadable page", LIBC,
          fd_fails(rshm_shm_open(noterm_4096, O_RDWR | O_CREAT, 0600)), "shm_open(3)",
          fd_fails(shm_open(prefix_4095, O_RDWR | O_CREAT, 0600)));
    ROW_T("5000 bytes without NUL", LIBC, fd_fails(rshm_shm_open(noterm_5000, O_RDONLY, 0)), "shm_open(3)",
          fd_fails(shm_open(prefix_4095, O_RDONLY, 0)));
    SHM_OPEN("no such name without O_CREAT", ENOENT, n_missing, O_RDWR);
    SHM_OPEN("existing name with O_CREAT|O_EXCL", EEXIST, n_plain, O_RDWR | O_CREAT | O_EXCL);
    SHM_OPEN("no such name with an unknown oflag bit (ignored as by open(2))", ENOENT, n_missing,
             O_RDWR | (1 << 30));
    SHM_OPEN("oflag -1", LIBC, n_missing, -1);
    SHM_OPEN("oflag O_CREAT|O_DIRECTORY", EINVAL, n_missing, O_RDWR | O_CREAT | O_DIRECTORY);

    fn = "rshm_shm_unlink";
    ROW("name NULL", EFAULT, FAILS(rshm_shm_unlink(NULL), -1));
/* A row for `call`, rshm_shm_unlink or rshm_segment_unlink, beside
 * shm_unlink(3) given the same name. */
#define UNLINK(call, input, want, name) \
    ROW_T(input, want, FAILS(call(name), -1), "shm_unlink(3)", FAILS(shm_unlink(name), -1))
    UNLINK(rshm_shm_unlink, "name \"\"", ENOENT, "");
    UNLINK(rshm_shm_unlink, "name \"/\"", ENOENT, "/");
    UNLINK(rshm_shm_unlink, "name with an inner slash", ENOENT, n_slash);
    UNLINK(rshm_shm_unlink, "name of 256 bytes", ENAMETOOLONG, chars_256);
    ROW_T("5000 bytes without NUL", LIBC, FAILS(rshm_shm_unlink(noterm_5000), -1), "shm_unlink(3)",
          FAILS(shm_unlink(prefix_4095), -1));
    UNLINK(rshm_shm_unlink, "no such name", ENOENT, n_missing);

    fn = "rshm_memfd_create";
    ROW_T("name NULL", EFAULT, fd_fails(rshm_memfd_create(NULL, 0)), "memfd_create(2)",
          fd_fails(memfd_create(NULL, 0)));
    ROW_T("name NULL and unknown flags", EINVAL, fd_fails(rshm_memfd_create(NULL, 1u << 31)), "memfd_create(2)",
          fd_fails(memfd_create(NULL, 1u << 31)));
    ROW_T("flags with an unknown bit", EINVAL, fd_fails(rshm_memfd_create("x", 1u << 31)), "memfd_create(2)",
          fd_fails(memfd_create("x", 1u << 31)));
    ROW_T("flags UINT_MAX", EINVAL, fd_fails(rshm_memfd_create("x", UINT_MAX)), "memfd_create(2)",
          fd_fails(memfd_create("x", UINT_MAX)));
    ROW_T("name of 250 bytes", EINVAL, fd_fails(rshm_memfd_create(chars_250, 0)), "memfd_create(2)",
          fd_fails(memfd_create(chars_250, 0)));
    ROW_T("250 bytes without NUL up to an unreadable page", EINVAL, fd_fails(rshm_memfd_create(noterm_250, 0)),
          "memfd_create(2)", fd_fails(memfd_create(chars_250, 0)));
    ROW("5000 bytes without NUL", EINVAL, fd_fails(rshm_memfd_create(noterm_5000, 0)));
}

/* The descriptors every fd-taking function is tried with. */
#define BAD_FDS(CALL, TWIN)                                                                     \
    ROW_T("fd closed", EBADF, CALL(fd_closed), twin_name, TWIN(fd_closed));                     \
    ROW_T("fd never opened", EBADF, CALL(fd_never), twin_name, TWIN(fd_never));                 \
    ROW_T("fd -1", EBADF, CALL(-1), twin_name, TWIN(-1))

static void descriptors(void) {
    const char *twin_name;

    fn = "rshm_ftruncate", twin_name = "ftruncate(2)";
#define TRUNC(fd) FAILS(rshm_ftruncate(fd, pg), -1)
#define TRUNC_LIBC(fd) FAILS(ftruncate(fd, pg), -1)
    BAD_FDS(TRUNC, TRUNC_LIBC);
    ROW_T("fd of a pipe", EINVAL, TRUNC(fd_pipe[1]), twin_name, TRUNC_LIBC(fd_pipe[1]));
    ROW_T("fd of a directory", EINVAL, TRUNC(fd_dir), twin_name, TRUNC_LIBC(fd_dir));
    ROW_T("fd of /dev/null", EINVAL, TRUNC(fd_null), twin_name, TRUNC_LIBC(fd_null));
    ROW_T("fd opened O_RDONLY", EINVAL, TRUNC(fd_shm_ro), twin_name, TRUNC_LIBC(fd_shm_ro));
    ROW_T("length -1", EINVAL, FAILS(rshm_ftruncate(fd_mfd, -1), -1), twin_name, FAILS(ftruncate(fd_mfd, -1), -1));
    ROW_T("length INT64_MIN", EINVAL, FAILS(rshm_ftruncate(fd_mfd, INT64_MIN), -1), twin_name,
          FAILS(ftruncate(fd_mfd, INT64_MIN), -1));
    ROW_T("length INT64_MAX on a memfd", LIBC, FAILS(rshm_ftruncate(fd_big, INT64_MAX), -1), twin_name,
          FAILS(ftruncate(fd_big, INT64_MAX), -1));

    fn = "rshm_fallocate", twin_name = "posix_fallocate(3)";
#define FALLOC(fd) FAILS(rshm_fallocate(fd, 0, pg), -1)
#define FALLOC_LIBC(fd) FAILS(posix_fallocate_errno(fd, 0, pg), -1)
    BAD_FDS(FALLOC, FALLOC_LIBC);
    ROW_T("fd of a pipe", ESPIPE, FALLOC(fd_pipe[1]), twin_name, FALLOC_LIBC(fd_pipe[1]));
    ROW_T("fd of a directory", EBADF, FALLOC(fd_dir), twin_name, FALLOC_LIBC(fd_dir));
    ROW_T("fd of /dev/null", ENODEV, FALLOC(fd_null), twin_name, FALLOC_LIBC(fd_null));
    ROW_T("fd opened O_RDONLY", EBADF, FALLOC(fd_shm_ro), twin_name, FALLOC_LIBC(fd_shm_ro));
#define FALLOC2(input, want, off, len)                                                          \
    ROW_T(input, want, FAILS(rshm_fallocate(fd_mfd, off, len), -1), twin_name,                   \
          FAILS(posix_fallocate_errno(fd_mfd, off, len), -1))
    FALLOC2("offset -1", EINVAL, -1, pg);
    FALLOC2("offset INT64_MIN", EINVAL, INT64_MIN, pg);
    FALLOC2("length 0", EINVAL, 0, 0);
    FALLOC2("length -1", EINVAL, 0, -1);
    FALLOC2("length INT64_MIN", EINVAL, 0, INT64_MIN);
    FALLOC2("offset INT64_MAX with length 1", EFBIG, INT64_MAX, 1);
    FALLOC2("offset 1 with length INT64_MAX", EFBIG, 1, INT64_MAX);

    fn = "rshm_fcntl", twin_name = "fcntl(2)";
#define GETFD(fd) FAILS(rshm_fcntl(fd, F_GETFD, 0), -1)
#define GETFD_LIBC(fd) FAILS(fcntl(fd, F_GETFD, 0), -1)
    BAD_FDS(GETFD, GETFD_LIBC);
    ROW("cmd F_GETLK (takes a pointer)", EINVAL, FAILS(rshm_fcntl(fd_mfd, F_GETLK, 0), -1));
    ROW("cmd F_OFD_SETLKW (takes a pointer)", EINVAL, FAILS(rshm_fcntl(fd_mfd, F_OFD_SETLKW, 0), -1));
    ROW_T("cmd 9999 (unknown)", EINVAL, FAILS(rshm_fcntl(fd_mfd, 9999, 0), -1), twin_name,
          FAILS(fcntl(fd_mfd, 9999, 0), -1));
    ROW_T("cmd -1", EINVAL, FAILS(rshm_fcntl(fd_mfd, -1, 0), -1), twin_name, FAILS(fcntl(fd_mfd, -1, 0), -1));
    ROW_T("F_DUPFD with arg -1", EINVAL, fd_fails(rshm_fcntl(fd_mfd, F_DUPFD, -1)), twin_name,
          fd_fails(fcntl(fd_mfd, F_DUPFD, -1)));
    ROW_T("F_DUPFD with arg INT_MAX", EINVAL, fd_fails(rshm_fcntl(fd_mfd, F_DUPFD, INT_MAX)), twin_name,
          fd_fails(fcntl(fd_mfd, F_DUPFD, INT_MAX)));
    ROW_T("F_ADD_SEALS with an unknown bit", EINVAL, FAILS(rshm_fcntl(fd_mfd, F_ADD_SEALS, 1 << 30), -1),
          twin_name, FAILS(fcntl(fd_mfd, F_ADD_SEALS, 1 << 30), -1));

    fn = "rshm_fchown", twin_name = "fchown(2)";
#define CHOWN(fd) FAILS(rshm_fchown(fd, UINT32_MAX, UINT32_MAX), -1)
#define CHOWN_LIBC(fd) FAILS(fchown(fd, (uid_t)-1, (gid_t)-1), -1)
    BAD_FDS(CHOWN, CHOWN_LIBC);

    fn = "rshm_fchmod", twin_name = "fchmod(2)";
#define CHMOD(fd) FAILS(rshm_fchmod(fd, 0600), -1)
#define CHMOD_LIBC(fd) FAILS(fchmod(fd, 0600), -1)
    BAD_FDS(CHMOD, CHMOD_LIBC);

    fn = "rshm_fstat", twin_name = "fstat(2)";
    rshm_stat rst;
    struct stat st;
#define FSTAT(fd) FAILS(rshm_fstat(fd, &rst), -1)
#define FSTAT_LIBC(fd) FAILS(fstat(fd, &st), -1)
    BAD_FDS(FSTAT, FSTAT_LIBC);
    ROW("out NULL", EFAULT, FAILS(rshm_fstat(fd_mfd, NULL), -1));
    ROW("fd closed and out NULL", EBADF, FAILS(rshm_fstat(fd_closed, NULL), -1));

    fn = "rshm_close", twin_name = "close(2)";
#define CLOSE(fd) FAILS(rshm_close(fd), -1)
#define CLOSE_LIBC(fd) FAILS(close(fd), -1)
    BAD_FDS(CLOSE, CLOSE_LIBC);
    ROW_T("fd INT_MAX", EBADF, CLOSE(INT_MAX), twin_name, CLOSE_LIBC(INT_MAX));
    ROW_T("fd INT_MIN", EBADF, CLOSE(INT_MIN), twin_name, CLOSE_LIBC(INT_MIN));

    fn = "rshm_add_seals", twin_name = "fcntl(F_ADD_SEALS)";
#define SEAL(fd) FAILS(rshm_add_seals(fd, F_SEAL_GROW), -1)
#define SEAL_LIBC(fd) FAILS(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), -1)
    BAD_FDS(SEAL, SEAL_LIBC);
    ROW_T("fd of a pipe", EINVAL, SEAL(fd_pipe[1]), twin_name, SEAL_LIBC(fd_pipe[1]));
    ROW_T("fd of a directory", EPERM, SEAL(fd_dir), twin_name, SEAL_LIBC(fd_dir));
    ROW_T("fd of /dev/null", EINVAL, SEAL(fd_null), twin_name, SEAL_LIBC(fd_null));
    ROW_T("fd of a memfd made without MFD_ALLOW_SEALING", EPERM, SEAL(fd_mfd_nosealing), twin_name,
          SEAL_LIBC(fd_mfd_nosealing));
    ROW_T("fd of a /dev/shm object", EPERM, SEAL(fd_shm), twin_name, SEAL_LIBC(fd_shm));
    ROW_T("seals with an unknown bit", EINVAL, FAILS(rshm_add_seals(fd_mfd, 1u << 30), -1), twin_name,
          FAILS(fcntl(fd_mfd, F_ADD_SEALS, 1 << 30), -1));
    ROW_T("seals UINT_MAX", EINVAL, FAILS(rshm_add_seals(fd_mfd, UINT_MAX), -1), twin_name,
          FAILS(fcntl(fd_mfd, F_ADD_SEALS, -1), -1));

    fn = "rshm_get_seals", twin_name = "fcntl(F_GET_SEALS)";
#define GSEAL(fd) FAILS(rshm_get_seals(fd), -1)
#define GSEAL_LIBC(fd) FAILS(fcntl(fd, F_GET_SEALS), -1)
    BAD_FDS(GSEAL, GSEAL_LIBC);
    ROW_T("fd of a pipe", EINVAL, GSEAL(fd_pipe[0]), twin_name, GSEAL_LIBC(fd_pipe[0]));
    ROW_T("fd of a directory", EINVAL, GSEAL(fd_dir), twin_name, GSEAL_LIBC(fd_dir));
    ROW_T("fd of /dev/null", EINVAL, GSEAL(fd_null), twin_name, GSEAL_LIBC(fd_null));

    fn = "rshm_send_fd";
    ROW("sock closed", EBADF, FAILS(rshm_send_fd(fd_closed, fd_mfd), -1));
    ROW("sock never opened", EBADF, FAILS(rshm_send_fd(fd_never, fd_mfd), -1));
    ROW("sock -1", EBADF, FAILS(rshm_send_fd(-1, fd_mfd), -1));
    ROW("sock a pipe", ENOTSOCK, FAILS(rshm_send_fd(fd_pipe[1], fd_mfd), -1));
    ROW("sock a directory", ENOTSOCK, FAILS(rshm_send_fd(fd_dir, fd_mfd), -1));
    ROW("sock /dev/null", ENOTSOCK, FAILS(rshm_send_fd(fd_null, fd_mfd), -1));
    ROW("sock not connected", ENOTCONN, FAILS(rshm_send_fd(sock_lonely, fd_mfd), -1));
    ROW("sock whose peer has closed", EPIPE, FAILS(rshm_send_fd(sock_widowed, fd_mfd), -1));
    ROW("fd closed", EBADF, FAILS(rshm_send_fd(sock[0], fd_closed), -1));
    ROW("fd never opened", EBADF, FAILS(rshm_send_fd(sock[0], fd_never), -1));
    ROW("fd -1", EBADF, FAILS(rshm_send_fd(sock[0], -1), -1));

    fn = "rshm_recv_fd";
    ROW("sock closed", EBADF, fd_fails(rshm_recv_fd(fd_closed)));
    ROW("sock never opened", EBADF, fd_fails(rshm_recv_fd(fd_never)));
    ROW("sock -1", EBADF, fd_fails(rshm_recv_fd(-1)));
    ROW("sock a pipe", ENOTSOCK, fd_fails(rshm_recv_fd(fd_pipe[0])));
    ROW("sock a directory", ENOTSOCK, fd_fails(rshm_recv_fd(fd_dir)));
    ROW("sock /dev/null", ENOTSOCK, fd_fails(rshm_recv_fd(fd_null)));
    ROW("sock not connected", EINVAL, fd_fails(rshm_recv_fd(sock_lonely)));
    ROW("sock whose peer has closed", ECONNRESET, fd_fails(rshm_recv_fd(sock_widowed)));
    ROW("non-blocking sock with nothing sent", EAGAIN, fd_fails(rshm_recv_fd(sock_empty[0])));
    ROW("a message without a descriptor", EBADMSG, fd_fails(rshm_recv_fd(sock_plain[0])));
}

static void memory(void) {
    const char *twin_name = "mmap(2)";
    char *mid = page_rw + pg; /* the second page of page_rw: mapped, aligned */

    fn = "rshm_mmap";
    map_len = (size_t)pg;
#define MMAP(input, want, len, prot, flags, fd, off)                                            \
    ROW_T(input, want, map_fails(rshm_mmap(NULL, len, prot, flags, fd, off)), twin_name,          \
          map_fails(mmap(NULL, len, prot, flags, fd, off)))
    MMAP("fd closed", EBADF, pg, PROT_READ, MAP_SHARED, fd_closed, 0);
    MMAP("fd never opened", EBADF, pg, PROT_READ, MAP_SHARED, fd_never, 0);
    MMAP("fd -1 without MAP_ANONYMOUS", EBADF, pg, PROT_READ, MAP_SHARED, -1, 0);
    MMAP("fd of a pipe (read end)", ENODEV, pg, PROT_READ, MAP_SHARED, fd_pipe[0], 0);
    MMAP("fd of a pipe (write end)", EACCES, pg, PROT_READ, MAP_SHARED, fd_pipe[1], 0);
    MMAP("fd of a directory", ENODEV, pg, PROT_READ, MAP_SHARED, fd_dir, 0);
    MMAP("fd of /dev/null", ENODEV, pg, PROT_READ, MAP_SHARED, fd_null, 0);
    MMAP("PROT_WRITE|MAP_SHARED on an O_RDONLY fd", EACCES, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd_shm_ro, 0);
    MMAP("PROT_WRITE|MAP_SHARED on a memfd sealed F_SEAL_WRITE", EPERM, pg, PROT_READ | PROT_WRITE, MAP_SHARED,
         fd_sealed, 0);
    MMAP("length 0", EINVAL, 0, PROT_READ, MAP_SHARED, fd_mfd, 0);
    MMAP("length SIZE_MAX", ENOMEM, SIZE_MAX, PROT_READ, MAP_SHARED, fd_mfd, 0);
    MMAP("offset -1", EINVAL, pg, PROT_READ, MAP_SHARED, fd_mfd, -1);
    MMAP("offset 1 (not page-aligned)", EINVAL, pg, PROT_READ, MAP_SHARED, fd_mfd, 1);
    MMAP("offset INT64_MIN", EOVERFLOW, pg, PROT_READ, MAP_SHARED, fd_mfd, INT64_MIN);
    MMAP("offset INT64_MAX", EINVAL, pg, PROT_READ, MAP_SHARED, fd_mfd, INT64_MAX);
    MMAP("offset + length past INT64_MAX", EOVERFLOW, pg, PROT_READ, MAP_SHARED, fd_mfd, INT64_MAX & ~(pg - 1));
    MMAP("flags 0 (neither shared nor private)", EINVAL, pg, PROT_READ, 0, fd_mfd, 0);
    MMAP("flags -1", EINVAL, pg, PROT_READ, -1, fd_mfd, 0);
    MMAP("MAP_SHARED_VALIDATE with an unknown bit", EOPNOTSUPP, pg, PROT_READ, MAP_SHARED_VALIDATE | (1 << 21),
         fd_mfd, 0);
    MMAP("MAP_SHARED with an unknown bit (ignored as by mmap(2))", LIBC, pg, PROT_READ, MAP_SHARED | (1 << 21),
         fd_mfd, 0);
    MMAP("prot with an unknown bit", LIBC, pg, PROT_READ | 0x100, MAP_SHARED, fd_mfd, 0);
    MMAP("MAP_ANONYMOUS with offset 1", EINVAL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1);
    ROW_T("MAP_FIXED at an unaligned address", EINVAL,
          map_fails(rshm_mmap(mid + 1, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)), twin_name,
          map_fails(mmap(mid + 1, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
    ROW_T("MAP_FIXED_NOREPLACE over a mapping", EEXIST,
          map_fails(rshm_mmap(mid, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)),
          twin_name, map_fails(mmap(mid, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)));

    fn = "rshm_mmap_fixed", twin_name = "mmap(MAP_FIXED_NOREPLACE)";
#define FIXED(input, want, addr, len, fd, off)                                                  \
    ROW_T(input, want, map_fails(rshm_mmap_fixed(addr, len, PROT_READ, MAP_SHARED, fd, off)), twin_name, \
          map_fails(mmap(addr, len, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, off)))
    ROW("addr NULL", EINVAL, map_fails(rshm_mmap_fixed(NULL, pg, PROT_READ, MAP_SHARED, fd_mfd, 0)));
    FIXED("addr not page-aligned", EINVAL, gone() + 1, pg, fd_mfd, 0);
    FIXED("range already mapped", EEXIST, mid, pg, fd_mfd, 0);
    FIXED("length 0", EINVAL, gone(), 0, fd_mfd, 0);
    FIXED("length SIZE_MAX", ENOMEM, gone(), SIZE_MAX, fd_mfd, 0);
    FIXED("fd closed", EBADF, gone(), pg, fd_closed, 0);
    FIXED("fd of a directory", ENODEV, gone(), pg, fd_dir, 0);
    FIXED("offset 1", EINVAL, gone(), pg, fd_mfd, 1);
    FIXED("offset -1", EINVAL, gone(), pg, fd_mfd, -1);

    fn = "rshm_munmap", twin_name = "munmap(2)";
#define MUNMAP(input, want, addr, len) \
    ROW_T(input, want, FAILS(rshm_munmap(addr, len), -1), twin_name, FAILS(munmap(addr, len), -1))
    MUNMAP("addr not page-aligned", EINVAL, mid + 1, pg);
    MUNMAP("length 0", EINVAL, mid, 0);
    MUNMAP("length SIZE_MAX", EINVAL, mid, SIZE_MAX);
    MUNMAP("range past the end of the address space", EINVAL, (void *)(uintptr_t)-pg, 2 * pg);
    MUNMAP("a range just unmapped (nothing to do, as munmap(2))", SUCCEEDS, gone(), pg);

#define MEM3(input, want, rcall, lcall) ROW_T(input, want, FAILS(rcall, -1), twin_name, FAILS(lcall, -1))
    fn = "rshm_mprotect", twin_name = "mprotect(2)";
    MEM3("addr not page-aligned", EINVAL, rshm_mprotect(mid + 1, pg, PROT_READ), mprotect(mid + 1, pg, PROT_READ));
    MEM3("a range just unmapped", ENOMEM, rshm_mprotect(gone(), pg, PROT_READ),
         mprotect(gone(), pg, PROT_READ));
    MEM3("addr NULL", ENOMEM, rshm_mprotect(NULL, pg, PROT_READ), mprotect(NULL, pg, PROT_READ));
    MEM3("length SIZE_MAX", ENOMEM, rshm_mprotect(mid, SIZE_MAX, PROT_READ), mprotect(mid, SIZE_MAX, PROT_READ));
    MEM3("prot with an unknown bit", EINVAL, rshm_mprotect(mid, pg, PROT_READ | 0x100),
         mprotect(mid, pg, PROT_READ | 0x100));
    if (!check_under_valgrind()) /* valgrind 3.19 asserts on PROT_GROWSDOWN|PROT_GROWSUP */
        MEM3("prot -1", EINVAL, rshm_mprotect(mid, pg, -1), mprotect(mid, pg, -1));

    fn = "rshm_msync", twin_name = "msync(2)";
    MEM3("addr not page-aligned", EINVAL, rshm_msync(mid + 1, pg, MS_SYNC), msync(mid + 1, pg, MS_SYNC));
    MEM3("a range just unmapped", ENOMEM, rshm_msync(gone(), pg, MS_SYNC), msync(gone(), pg, MS_SYNC));
    MEM3("length SIZE_MAX", LIBC, rshm_msync(mid, SIZE_MAX, MS_SYNC), msync(mid, SIZE_MAX, MS_SYNC));
    MEM3("flags with an unknown bit", EINVAL, rshm_msync(mid, pg, MS_SYNC | 0x100), msync(mid, pg, MS_SYNC | 0x100));
    MEM3("flags MS_SYNC|MS_ASYNC", EINVAL, rshm_msync(mid, pg, MS_SYNC | MS_ASYNC), msync(mid, pg, MS_SYNC | MS_ASYNC));
    MEM3("flags -1", EINVAL, rshm_msync(mid, pg, -1), msync(mid, pg, -1));

    fn = "rshm_madvise", twin_name = "madvise(2)";
    MEM3("addr not page-aligned", EINVAL, rshm_madvise(mid + 1, pg, MADV_NORMAL), madvise(mid + 1, pg, MADV_NORMAL));
    MEM3("a range just unmapped", ENOMEM, rshm_madvise(gone(), pg, MADV_NORMAL),
         madvise(gone(), pg, MADV_NORMAL));
    MEM3("length SIZE_MAX", EINVAL, rshm_madvise(mid, SIZE_MAX, MADV_NORMAL), madvise(mid, SIZE_MAX, MADV_NORMAL));
    MEM3("advice 9999 (unknown)", EINVAL, rshm_madvise(mid, pg, 9999), madvise(mid, pg, 9999));
    MEM3("advice -1", EINVAL, rshm_madvise(mid, pg, -1), madvise(mid, pg, -1));

    if (CHECK_UNDER_ASAN) /* see check.h */
        return;
    fn = "rshm_mlock", twin_name = "mlock(2)";
    MEM3("a range just unmapped", ENOMEM, rshm_mlock(gone(), pg), mlock(gone(), pg));
    MEM3("addr NULL", ENOMEM, rshm_mlock(NULL, pg), mlock(NULL, pg));
    MEM3("length SIZE_MAX", LIBC, rshm_mlock(mid, SIZE_MAX), mlock(mid, SIZE_MAX));
    MEM3("addr not page-aligned (rounded down as by mlock(2))", SUCCEEDS, rshm_mlock(mid + 1, 10),
         mlock(mid + 1, 10));
    CHECK(munlock(mid, pg) == 0);

    fn = "rshm_munlock", twin_name = "munlock(2)";
    MEM3("a range just unmapped", ENOMEM, rshm_munlock(gone(), pg), munlock(gone(), pg));
    MEM3("addr NULL", ENOMEM, rshm_munlock(NULL, pg), munlock(NULL, pg));
    MEM3("length SIZE_MAX", LIBC, rshm_munlock(mid, SIZE_MAX), munlock(mid, SIZE_MAX));

    fn = "rshm_mlockall", twin_name = "mlockall(2)";
    MEM3("flags 0", EINVAL, rshm_mlockall(0), mlockall(0));
    MEM3("flags with an unknown bit", EINVAL, rshm_mlockall(0x100), mlockall(0x100));
    MEM3("MCL_ONFAULT alone", EINVAL, rshm_mlockall(MCL_ONFAULT), mlockall(MCL_ONFAULT));
    MEM3("flags -1", EINVAL, rshm_mlockall(-1), mlockall(-1));

    fn = "rshm_munlockall";
    ROW_OK("(no arguments)", "succeeds", FAILS(rshm_munlockall(), -1));
}

/* A FIFO, a symbolic link (to a plain object) and a directory under the
 * name, each opened with a 200 ms timeout: refused at once. */
#define HOSTILE_NAMES(fifo, link, dir)                                                           \
    ROW("a FIFO under the name, timeout 200 ms", ENODEV, fifo);                                  \
    ROW("a symbolic link under the name (not followed)", ELOOP, link);                           \
    ROW("a directory under the name", ENODEV, dir)

static void segments(void) {
    fn = "rshm_segment_create";
#define SEG_NAMES(CALL)                                                                          \
    ROW("name NULL", EFAULT, CALL(NULL));                                                        \
    ROW("name \"\"", EINVAL, CALL(""));                                                          \
    ROW("name with an inner slash", EINVAL, CALL(n_slash));                                      \
    ROW("name of 256 bytes", ENAMETOOLONG, CALL(chars_256));                                     \
    ROW("4096 bytes without NUL up to an unreadable page", ENAMETOOLONG, CALL(noterm_4096)); \
    ROW("5000 bytes without NUL", ENAMETOOLONG, CALL(noterm_5000))
#define CREATE(name) seg_fails(rshm_segment_create(name, 100, 0600))
#define CHAN_CREATE(name) chan_fails(rshm_channel_create(name, 4096, 0600))
#define CHAN_OPEN(name) chan_fails(rshm_channel_open(name, 0))
    SEG_NAMES(CREATE);
    ROW("name taken by an object that is not a segment", EEXIST, CREATE(n_plain));
    ROW("name taken by a FIFO, a symbolic link or a directory", EEXIST,
        CREATE(n_fifo) && CREATE(n_link) && CREATE(n_dir));
    ROW("name \"/..\"", EINVAL, CREATE("/.."));
    char fresh[64];
    check_name(fresh, sizeof fresh, "fresh");
    ROW("size 0", EINVAL, seg_fails(rshm_segment_create(fresh, 0, 0600)));
    ROW("size SIZE_MAX", EOVERFLOW, seg_fails(rshm_segment_create(fresh, SIZE_MAX, 0600)));
    ROW("size INT64_MAX (with the header page: too big)", EOVERFLOW,
        seg_fails(rshm_segment_create(fresh, INT64_MAX, 0600)));
    ROW("size 1 PiB (more than /dev/shm holds)", ENOSPC, seg_fails(rshm_segment_create(fresh, 1ull << 50, 0600)));

    fn = "rshm_segment_create_init";
#define CREATE_INIT(name) seg_fails(rshm_segment_create_init(name, 100, 0600, refuse, NULL))
    SEG_NAMES(CREATE_INIT);
    ROW("size 0", EINVAL, seg_fails(rshm_segment_create_init(fresh, 0, 0600, refuse, NULL)));
    ROW("size SIZE_MAX", EOVERFLOW, seg_fails(rshm_segment_create_init(fresh, SIZE_MAX, 0600, refuse, NULL)));
    ROW("init returns non-zero", ECANCELED, CREATE_INIT(fresh));

    fn = "rshm_segment_open";
#define OPEN(name) seg_fails(rshm_segment_open(name, O_RDONLY, 0))
    SEG_NAMES(OPEN);
    ROW("no such name with timeout 0", ENOENT, OPEN(n_missing));
    ROW("no such name with timeout 10 ms", ETIMEDOUT, seg_fails(rshm_segment_open(n_missing, O_RDONLY, 10)));
    ROW("oflag O_WRONLY", EINVAL, seg_fails(rshm_segment_open(n_badver, O_WRONLY, 0)));
    ROW("oflag O_RDWR|O_CREAT", EINVAL, seg_fails(rshm_segment_open(n_badver, O_RDWR | O_CREAT, 0)));
    ROW("oflag with an unknown bit", EINVAL, seg_fails(rshm_segment_open(n_badver, O_RDONLY | (1 << 30), 0)));
    ROW("oflag -1", EINVAL, seg_fails(rshm_segment_open(n_badver, -1, 0)));
    ROW("an empty object", EINVAL, OPEN(n_empty));
    ROW("an object of zeros (no magic)", EINVAL, OPEN(n_plain));
    ROW("header of layout version 99", EPROTO, OPEN(n_badver));
    ROW("header whose data lies past the object", EPROTO, OPEN(n_badfit));
    ROW("header of another kind", EINVAL, OPEN(n_badkind));
    ROW("header with a data offset not 64-aligned", EINVAL, OPEN(n_badoff));
    ROW("header not marked ready with timeout 0", EAGAIN, OPEN(n_notready));
    ROW("header not marked ready with timeout 10 ms", ETIMEDOUT, seg_fails(rshm_segment_open(n_notready, O_RDONLY, 10)));
    ROW("a segment grown after its creation (1 GiB)", EPROTO, OPEN(n_grown));
    ROW("name \"/..\"", EINVAL, OPEN("/.."));
    HOSTILE_NAMES(seg_fails(rshm_segment_open(n_fifo, O_RDONLY, 200)), seg_fails(rshm_segment_open(n_link, O_RDWR, 200)),
                  seg_fails(rshm_segment_open(n_dir, O_RDWR, 200)));

    fn = "rshm_segment_unlink";
    ROW("name NULL", EFAULT, FAILS(rshm_segment_unlink(NULL), -1));
    UNLINK(rshm_segment_unlink, "name \"\"", ENOENT, "");
    UNLINK(rshm_segment_unlink, "name with an inner slash", ENOENT, n_slash);
    UNLINK(rshm_segment_unlink, "name of 256 bytes", ENAMETOOLONG, chars_256);
    ROW_T("5000 bytes without NUL", LIBC, FAILS(rshm_segment_unlink(noterm_5000), -1), "shm_unlink(3)",
          FAILS(shm_unlink(prefix_4095), -1));
    UNLINK(rshm_segment_unlink, "no such name", ENOENT, n_missing);

    fn = "rshm_segment_data";
    ROW("seg NULL", EFAULT, FAILS(rshm_segment_data(NULL), NULL));
    fn = "rshm_segment_size";
    ROW("seg NULL", EFAULT, FAILS(rshm_segment_size(NULL), 0));
    fn = "rshm_segment_close";
    ROW_OK("seg NULL", "succeeds (no-op)", FAILS(rshm_segment_close(NULL), -1));

    /* This test's objects: plain, held, or with headers no creator wrote. */
    char mine[64];
    snprintf(mine, sizeof mine, "/rshm-test-%ld-", (long)getpid());
    fn = "rshm_reap";
    ROW("prefix of 5000 bytes without NUL", ENAMETOOLONG, FAILS(rshm_reap(noterm_5000), -1));
    ROW_OK("prefix of plain objects and damaged headers", "0: none removed", rshm_reap(mine) != 0);
}

static int chan_fails(rshm_channel *ch) {
    if (!ch)
        return 1;
    rshm_channel_close(ch);
    return 0;
}

static void sync_and_channels(void) {
    /* An initialised mutex the process may only read: a read-only view of
     * a page whose writable view it was initialised through. */
    int ro_fd = memfd_create("rshm-bad-input-ro", MFD_CLOEXEC);
    rshm_mutex *ro = MAP_FAILED;
    if (ftruncate(ro_fd, 4096) == 0) {
        void *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro_fd, 0);
        if (rw != MAP_FAILED) {
            rshm_mutex_init(rw);
            munmap(rw, 4096);
            ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro_fd, 0);
        }
    }
    close(ro_fd);
    if (ro == MAP_FAILED)
        ro = NULL; /* the rows below then fail, visibly */
    /* A page that was mapped and is not any more: an aligned, unmapped address. */
    uint32_t *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, 4096);
    _Alignas(8) unsigned char raw[sizeof(rshm_mutex) + 8] = {0};
    uint32_t word = 7;

    fn = "rshm_wait";
    ROW("addr NULL", EFAULT, FAILS(rshm_wait(NULL, 0, 0), -1));
    ROW("addr not 4-byte aligned", EINVAL, FAILS(rshm_wait((const uint32_t *)(raw + 1), 0, 0), -1));
    ROW("addr unmapped", EFAULT, FAILS(rshm_wait(gone, 0, 0), -1));
    ROW("timeout_ns -2", EINVAL, FAILS(rshm_wait(&word, 7, -2), -1));
    ROW("timeout_ns INT64_MIN", EINVAL, FAILS(rshm_wait(&word, 7, INT64_MIN), -1));
    ROW("*addr == expected, timeout 0", EAGAIN, FAILS(rshm_wait(&word, 7, 0), -1));
    ROW_OK("*addr != expected", "returns 0 at once", FAILS(rshm_wait(&word, 8, -1), -1));
    ROW("addr in read-only memory, == expected, timeout 0", EAGAIN, FAILS(rshm_wait((uint32_t *)ro, 0, 0), -1));

    fn = "rshm_wake";
    ROW("addr NULL", EFAULT, FAILS(rshm_wake(NULL, 1), -1));
    ROW("addr not 4-byte aligned", EINVAL, FAILS(rshm_wake((const uint32_t *)(raw + 1), 1), -1));
    ROW("count -1", EINVAL, FAILS(rshm_wake(&word, -1), -1));
    ROW("count INT_MIN", EINVAL, FAILS(rshm_wake(&word, INT_MIN), -1));
    ROW_OK("count 0", "returns 0", FAILS(rshm_wake(&word, 0), -1));
    ROW_OK("addr in read-only memory", "returns 0 (none woken)", FAILS(rshm_wake((uint32_t *)ro, 1), -1));

    rshm_mutex *misaligned = (rshm_mutex *)(raw + 4);
    rshm_mutex *zeroed = (rshm_mutex *)raw;
    fn = "rshm_mutex_init";
    ROW("m NULL", EFAULT, FAILS(rshm_mutex_init(NULL), -1));
    ROW("m misaligned", EINVAL, FAILS(rshm_mutex_init(misaligned), -1));
    ROW("m in read-only memory", EFAULT, FAILS(rshm_mutex_init(ro), -1));
    fn = "rshm_mutex_lock";
    ROW("m NULL", EFAULT, FAILS(rshm_mutex_lock(NULL, -1), -1));
    ROW("m misaligned", EINVAL, FAILS(rshm_mutex_lock(misaligned, 0), -1));
    ROW("m never initialised (zeros)", EINVAL, FAILS(rshm_mutex_lock(zeroed, 0), -1));
    rshm_mutex m;
    rshm_mutex_init(&m);
    ROW("timeout_ns -2", EINVAL, FAILS(rshm_mutex_lock(&m, -2), -1));
    rshm_mutex_lock(&m, -1);
    ROW("already held by this thread, timeout 0", EDEADLK, FAILS(rshm_mutex_lock(&m, 0), -1));
    rshm_mutex_unlock(&m);
#ifdef __linux__
    /* Bytes a peer wrote: a lock word naming no thread (tid 2^22 - 1 is
     * beyond every pid), then the layout mark of the glibc-based mutex. */
    uint32_t *words = (uint32_t *)&m;
    words[0] = 0x3fffffu;
    ROW("lock word names no live thread", EOWNERDEAD, FAILS(rshm_mutex_lock(&m, 0), -1));
    rshm_mutex_consistent(&m);
    rshm_mutex_unlock(&m);
    memcpy(&words[15], "-mtx", 4);
    ROW("m of the old glibc-based layout", EPROTO, FAILS(rshm_mutex_lock(&m, 0), -1));
    rshm_mutex_init(&m);
    memset(&m, 0xa5, sizeof m);
    ROW("m overwritten with other bytes", EINVAL, FAILS(rshm_mutex_lock(&m, 0), -1));
    rshm_mutex_init(&m);
#endif
    fn = "rshm_mutex_unlock";
    ROW("m NULL", EFAULT, FAILS(rshm_mutex_unlock(NULL), -1));
    ROW("m misaligned", EINVAL, FAILS(rshm_mutex_unlock(misaligned), -1));
    ROW("m not held", EPERM, FAILS(rshm_mutex_unlock(&m), -1));
    ROW("m in read-only memory, not held", EPERM, FAILS(rshm_mutex_unlock(ro), -1));
    fn = "rshm_mutex_consistent";
    ROW("m NULL", EFAULT, FAILS(rshm_mutex_consistent(NULL), -1));
    ROW("m not taken with EOWNERDEAD", EINVAL, FAILS(rshm_mutex_consistent(&m), -1));
    ROW("m in read-only memory, not held", EINVAL, FAILS(rshm_mutex_consistent(ro), -1));
    if (ro)
        munmap(ro, 4096);

    char name[64], other[64];
    check_name(name, sizeof name, "chan");
    check_name(other, sizeof other, "chan2");
    fn = "rshm_channel_create";
    SEG_NAMES(CHAN_CREATE);
    ROW("name taken by an object that is not a channel", EEXIST, CHAN_CREATE(n_plain));
    ROW("name \"/..\"", EINVAL, CHAN_CREATE("/.."));
    ROW("capacity 0", EINVAL, chan_fails(rshm_channel_create(other, 0, 0600)));
    ROW("capacity SIZE_MAX", EOVERFLOW, chan_fails(rshm_channel_create(other, SIZE_MAX, 0600)));

    fn = "rshm_channel_open";
    SEG_NAMES(CHAN_OPEN);
    ROW("no such name with timeout 0", ENOENT, CHAN_OPEN(n_missing));
    ROW("no such name with timeout 10 ms", ETIMEDOUT, chan_fails(rshm_channel_open(n_missing, 10)));
    ROW("an object of zeros (no magic)", EINVAL, CHAN_OPEN(n_plain));
    ROW("header of layout version 99", EPROTO, CHAN_OPEN(n_badver));
    ROW("name \"/..\"", EINVAL, CHAN_OPEN("/.."));
    HOSTILE_NAMES(chan_fails(rshm_channel_open(n_fifo, 200)), chan_fails(rshm_channel_open(n_link, 200)),
                  chan_fails(rshm_channel_open(n_dir, 200)));

    rshm_channel *tx = rshm_channel_create(name, 4096, 0600);
    rshm_channel *rx = rshm_channel_open(name, 0);
    rshm_channel *rx2 = rshm_channel_open(name, 0);
    char buf[64] = "message";
    size_t len;
    fn = "rshm_channel_send";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_send(NULL, buf, 8, 0), -1));
    ROW("msg NULL, len 8", EFAULT, FAILS(rshm_channel_send(tx, NULL, 8, 0), -1));
    ROW("timeout_ns -2", EINVAL, FAILS(rshm_channel_send(tx, buf, 8, -2), -1));
    ROW("len beyond rshm_channel_max_message", EMSGSIZE,
        FAILS(rshm_channel_send(tx, buf, rshm_channel_max_message(tx) + 1, 0), -1));
    ROW("len SIZE_MAX", EMSGSIZE, FAILS(rshm_channel_send(tx, buf, SIZE_MAX, 0), -1));
    fn = "rshm_channel_wake_receiver";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_wake_receiver(NULL), -1));
    ROW_OK("nobody waits", "succeeds (nothing to do)", FAILS(rshm_channel_wake_receiver(tx), -1));
    fn = "rshm_channel_recv";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_recv(NULL, buf, sizeof buf, 0), -1));
    ROW("buf NULL, cap 64", EFAULT, FAILS(rshm_channel_recv(rx, NULL, sizeof buf, 0), -1));
    ROW("timeout_ns -2", EINVAL, FAILS(rshm_channel_recv(rx, buf, sizeof buf, -2), -1));
    ROW("empty, timeout 0", EAGAIN, FAILS(rshm_channel_recv(rx, buf, sizeof buf, 0), -1));
    ROW("empty, timeout 1 ms", ETIMEDOUT, FAILS(rshm_channel_recv(rx, buf, sizeof buf, 1000000), -1));
    rshm_channel_send(tx, buf, 16, 0);
    ROW("cap smaller than the message (it stays)", EMSGSIZE, FAILS(rshm_channel_recv(rx, buf, 8, 0), -1));
    ROW("a second receiver", EBUSY, FAILS(rshm_channel_recv(rx2, buf, sizeof buf, 0), -1));
    ROW_OK("cap large enough after EMSGSIZE", "the kept message", FAILS(rshm_channel_recv(rx, buf, sizeof buf, 0), -1));
    rshm_channel_sender cur;
    memset(&cur, 0, sizeof cur);
    fn = "rshm_channel_sender_slow";
    ROW("a cursor never lent (abi 0)", EINVAL, FAILS(rshm_channel_sender_slow(cur, buf, 8, 0).status, -1));
    fn = "rshm_channel_sender_take_back";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_sender_take_back(NULL), -1));
    ROW("nothing lent", EINVAL, FAILS(rshm_channel_sender_take_back(tx), -1));
    /* tx is the sender now (it sent above). */
    fn = "rshm_channel_sender_lend";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_sender_lend(NULL, &cur), -1));
    ROW("s NULL", EFAULT, FAILS(rshm_channel_sender_lend(tx, NULL), -1));
    ROW("another handle is the sender", EBUSY, FAILS(rshm_channel_sender_lend(rx2, &cur), -1));
    ROW_OK("the sender", "lends", FAILS(rshm_channel_sender_lend(tx, &cur), -1));
    ROW("lent already", EBUSY, FAILS(rshm_channel_sender_lend(tx, &cur), -1));
    fn = "rshm_channel_close";
    ROW("a sender's cursor is out (the handle stays open)", EBUSY, FAILS(rshm_channel_close(tx), -1));
    fn = "rshm_channel_sender_slow";
    ROW("len beyond rshm_channel_max_message", EMSGSIZE,
        FAILS(rshm_channel_sender_slow(cur, buf, rshm_channel_max_message(tx) + 1, 0).status, -1));
    fn = "rshm_channel_sender_take_back";
    ROW_OK("lent", "takes back", FAILS(rshm_channel_sender_take_back(tx), -1));
    fn = "rshm_channel_reserve";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_reserve(NULL, 8, 0), NULL));
    ROW("len SIZE_MAX", EMSGSIZE, FAILS(rshm_channel_reserve(tx, SIZE_MAX, 0), NULL));
    ROW("a second sender", EBUSY, FAILS(rshm_channel_reserve(rx2, 8, 0), NULL));
    fn = "rshm_channel_commit";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_commit(NULL, 8), -1));
    ROW("nothing reserved", EINVAL, FAILS(rshm_channel_commit(tx, 8), -1));
    rshm_channel_reserve(tx, 8, 0);
    ROW("len beyond the reservation", EINVAL, FAILS(rshm_channel_commit(tx, 9), -1));
    fn = "rshm_channel_peek";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_peek(NULL, &len, 0), NULL));
    ROW("len NULL", EFAULT, FAILS(rshm_channel_peek(rx, NULL, 0), NULL));
    ROW("empty, timeout 0", EAGAIN, FAILS(rshm_channel_peek(rx, &len, 0), NULL));
    fn = "rshm_channel_release";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_release(NULL), -1));
    ROW("nothing peeked", EINVAL, FAILS(rshm_channel_release(rx), -1));
    fn = "rshm_channel_capacity";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_capacity(NULL), 0));
    fn = "rshm_channel_max_message";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_max_message(NULL), 0));
    fn = "rshm_channel_fd";
    ROW("ch NULL", EFAULT, FAILS(rshm_channel_fd(NULL), -1));
    ROW("another handle is the receiver", EBUSY, FAILS(rshm_channel_fd(rx2), -1));
    fn = "rshm_channel_close";
    ROW_OK("ch NULL", "succeeds (no-op)", FAILS(rshm_channel_close(NULL), -1));
    rshm_channel_close(rx2);
    rshm_channel_close(rx);
    rshm_channel_close(tx);
    fn = "rshm_channel_unlink";
    ROW("name NULL", EFAULT, FAILS(rshm_channel_unlink(NULL), -1));
    ROW("no such name", ENOENT, FAILS(rshm_channel_unlink(n_missing), -1));
    rshm_channel_unlink(name);
}

/* rshm_error_detail() as a new thread sees it: "" expected (returns 0). */
static void *fresh_thread(void *arg) {
    const char *d = rshm_error_detail();
    *(int *)arg = d == NULL ? 2 : *d != '\0';
    return NULL;
}

static int detail_of_a_new_thread(void) {
    pthread_t t;
    int r = 3;
    if (pthread_create(&t, NULL, fresh_thread, &r) != 0 || pthread_join(t, NULL) != 0)
        return 4;
    return r;
}

/* After a failed open the detail names the call and the object, reads the
 * same twice (one pointer), and leaves errno alone: 0 if so. */
static int detail_after_a_failure(void) {
    if (rshm_segment_open(n_missing, O_RDONLY, 0) != NULL || errno != ENOENT)
        return 1;
    const char *a = rshm_error_detail(), *b = rshm_error_detail();
    if (errno != ENOENT || a != b)
        return 2;
    char want[256];
    snprintf(want, sizeof want, "rshm_segment_open(\"%s\"): no object \"/dev/shm%s\"", n_missing, n_missing);
    return strcmp(a, want) != 0 ? 3 : 0;
}

static int value_fails(rshm_value *v) {
    if (!v)
        return 1;
    rshm_value_close(v);
    return 0;
}

static void values(void) {
    char name[64], other[64], seg_name[64];
    check_name(name, sizeof name, "value");
    check_name(other, sizeof other, "value2");
    check_name(seg_name, sizeof seg_name, "notvalue");
#define VAL_CREATE(name) value_fails(rshm_value_create(name, 64, 0600))
#define VAL_OPEN(name) value_fails(rshm_value_open(name, RSHM_O_RDONLY, 0))
    fn = "rshm_value_create";
    SEG_NAMES(VAL_CREATE);
    ROW("name taken by an object that is not a value", EEXIST, VAL_CREATE(n_plain));
    ROW("size 0", EINVAL, value_fails(rshm_value_create(other, 0, 0600)));
    ROW("size SIZE_MAX", EOVERFLOW, value_fails(rshm_value_create(other, SIZE_MAX, 0600)));

    fn = "rshm_value_open";
    SEG_NAMES(VAL_OPEN);
    ROW("no such name with timeout 0", ENOENT, VAL_OPEN(n_missing));
    ROW("no such name with timeout 10 ms", ETIMEDOUT, value_fails(rshm_value_open(n_missing, RSHM_O_RDONLY, 10)));
    ROW("an object of zeros (no magic)", EINVAL, VAL_OPEN(n_plain));
    ROW("header of layout version 99", EPROTO, VAL_OPEN(n_badver));
    rshm_segment *seg = rshm_segment_create(seg_name, 4096, 0600);
    ROW("an rshm segment (wrong kind)", EINVAL, VAL_OPEN(seg_name));
    rshm_segment_close(seg);
    rshm_segment_unlink(seg_name);

    unsigned char buf[128] = {0};
    uint64_t version = 0;
    rshm_value *w = rshm_value_create(name, 64, 0600);
    rshm_value *r = rshm_value_open(name, RSHM_O_RDONLY, 0);
    ROW("oflag O_WRONLY", EINVAL, value_fails(rshm_value_open(name, O_WRONLY, 0)));
    ROW("oflag O_RDWR|O_CREAT", EINVAL, value_fails(rshm_value_open(name, O_RDWR | O_CREAT, 0)));
    ROW("oflag O_RDWR while a live writer holds it", EBUSY, value_fails(rshm_value_open(name, RSHM_O_RDWR, 0)));

    fn = "rshm_value_write";
    ROW("v NULL", EFAULT, FAILS(rshm_value_write(NULL, buf, 8), -1));
    ROW("data NULL, len 8", EFAULT, FAILS(rshm_value_write(w, NULL, 8), -1));
    ROW("a reader's handle", EBADF, FAILS(rshm_value_write(r, buf, 8), -1));
    ROW("len beyond rshm_value_size", EMSGSIZE, FAILS(rshm_value_write(w, buf, rshm_value_size(w) + 1), -1));
    ROW("len SIZE_MAX", EMSGSIZE, FAILS(rshm_value_write(w, buf, SIZE_MAX), -1));
    ROW_OK("data NULL, len 0", "publishes an empty value", FAILS(rshm_value_write(w, NULL, 0), -1));

    fn = "rshm_value_read";
    rshm_value_write(w, buf, 16);
    ROW("v NULL", EFAULT, FAILS(rshm_value_read(NULL, buf, sizeof buf, &version), -1));
    ROW("buf NULL, cap 64", EFAULT, FAILS(rshm_value_read(r, NULL, 64, &version), -1));
    ROW("cap smaller than the value", EMSGSIZE, FAILS(rshm_value_read(r, buf, 8, &version), -1));
    ROW("buf NULL, cap 0, value not empty", EMSGSIZE, FAILS(rshm_value_read(r, NULL, 0, &version), -1));
    ROW_OK("version NULL", "the length", rshm_value_read(r, buf, sizeof buf, NULL) != 16);
    ROW_OK("cap SIZE_MAX", "the length", rshm_value_read(r, buf, SIZE_MAX, &version) != 16);

    /* A reader's cursor (rshm_value_reader_begin/_read/_end are inline in
     * rshm.h; these are what they call). */
    rshm_value_reader vcur;
    memset(&vcur, 0, sizeof vcur);
    fn = "rshm_value_reader_slow";
    ROW("r NULL", EFAULT, FAILS(rshm_value_reader_slow(NULL, buf, sizeof buf, NULL), -1));
    ROW("a cursor never lent (abi 0)", EINVAL, FAILS(rshm_value_reader_slow(&vcur, buf, sizeof buf, NULL), -1));
    fn = "rshm_value_reader_take_back";
    ROW("v NULL", EFAULT, FAILS(rshm_value_reader_take_back(NULL, 0), -1));
    ROW("nothing lent", EINVAL, FAILS(rshm_value_reader_take_back(r, 0), -1));
    fn = "rshm_value_reader_lend";
    ROW("v NULL", EFAULT, FAILS(rshm_value_reader_lend(NULL, &vcur), -1));
    ROW("r NULL", EFAULT, FAILS(rshm_value_reader_lend(r, NULL), -1));
    ROW_OK("a reader", "lends", FAILS(rshm_value_reader_lend(r, &vcur), -1));
    ROW("lent already", EBUSY, FAILS(rshm_value_reader_lend(r, &vcur), -1));
    fn = "rshm_value_read";
    ROW("a cursor is out", EBUSY, FAILS(rshm_value_read(r, buf, sizeof buf, &version), -1));
    fn = "rshm_value_fd";
    ROW("a cursor is out, no descriptor yet", EBUSY, FAILS(rshm_value_fd(r), -1));
    fn = "rshm_value_close";
    ROW("a cursor is out (the handle stays open)", EBUSY, FAILS(rshm_value_close(r), -1));
    fn = "rshm_value_reader_slow";
    ROW("buf NULL, cap 64", EFAULT, FAILS(rshm_value_reader_slow(&vcur, NULL, 64, NULL), -1));
    ROW("cap smaller than the value", EMSGSIZE, FAILS(rshm_value_reader_slow(&vcur, buf, 8, NULL), -1));
    ROW_OK("lent", "the length", rshm_value_reader_slow(&vcur, buf, sizeof buf, NULL) != 16);
    fn = "rshm_value_reader_take_back";
    ROW_OK("lent", "takes back", FAILS(rshm_value_reader_take_back(r, vcur.seen), -1));

    fn = "rshm_value_wait";
    ROW("v NULL", EFAULT, FAILS(rshm_value_wait(NULL, 0, 0), -1));
    ROW("timeout_ns -2", EINVAL, FAILS(rshm_value_wait(r, version, -2), -1));
    ROW("version current, timeout 0", EAGAIN, FAILS(rshm_value_wait(r, version, 0), -1));
    ROW("version current, timeout 1 ms", ETIMEDOUT, FAILS(rshm_value_wait(r, version, 1000000), -1));
    ROW_OK("version not current", "returns 0 at once", FAILS(rshm_value_wait(r, version + 1, -1), -1));

    fn = "rshm_value_fd";
    ROW("v NULL", EFAULT, FAILS(rshm_value_fd(NULL), -1));
    ROW("the writer's handle", EBADF, FAILS(rshm_value_fd(w), -1));
    ROW_OK("a reader, twice", "the same descriptor", rshm_value_fd(r) < 0 || rshm_value_fd(r) != rshm_value_fd(r));

    fn = "rshm_value_size";
    ROW("v NULL", EFAULT, FAILS(rshm_value_size(NULL), 0));
    fn = "rshm_value_close";
    ROW_OK("v NULL", "succeeds (no-op)", FAILS(rshm_value_close(NULL), -1));
    rshm_value_close(r);
    rshm_value_close(w);
    fn = "rshm_value_unlink";
    ROW("name NULL", EFAULT, FAILS(rshm_value_unlink(NULL), -1));
    ROW("no such name", ENOENT, FAILS(rshm_value_unlink(n_missing), -1));
    rshm_value_unlink(name);
}

static int topic_fails(rshm_topic *t) {
    if (!t)
        return 1;
    rshm_topic_close(t);
    return 0;
}

static void topics(void) {
#define TOPIC_CREATE(name) topic_fails(rshm_topic_create(name, 4096, 4, 0, 0600))
#define TOPIC_OPEN(name) topic_fails(rshm_topic_open(name, RSHM_O_RDONLY, 0))
    char name[64], other[64], chan[64];
    check_name(name, sizeof name, "topic");
    check_name(other, sizeof other, "topic2");
    check_name(chan, sizeof chan, "topicchan");
    fn = "rshm_topic_create";
    SEG_NAMES(TOPIC_CREATE);
    ROW("name taken by an object that is not a topic", EEXIST, TOPIC_CREATE(n_plain));
    ROW("capacity 0", EINVAL, topic_fails(rshm_topic_create(other, 0, 4, 0, 0600)));
    ROW("max_subscribers 0", EINVAL, topic_fails(rshm_topic_create(other, 4096, 0, 0, 0600)));
    ROW("max_subscribers 1025", EINVAL, topic_fails(rshm_topic_create(other, 4096, 1025, 0, 0600)));
    ROW("max_subscribers UINT32_MAX", EINVAL, topic_fails(rshm_topic_create(other, 4096, UINT32_MAX, 0, 0600)));
    ROW("flags with an unknown bit", EINVAL, topic_fails(rshm_topic_create(other, 4096, 4, 2, 0600)));
    ROW("flags -1", EINVAL, topic_fails(rshm_topic_create(other, 4096, 4, -1, 0600)));
    ROW("capacity SIZE_MAX", EOVERFLOW, topic_fails(rshm_topic_create(other, SIZE_MAX, 4, 0, 0600)));

    fn = "rshm_topic_open";
    SEG_NAMES(TOPIC_OPEN);
    ROW("no such name with timeout 0", ENOENT, TOPIC_OPEN(n_missing));
    ROW("no such name with timeout 10 ms", ETIMEDOUT, topic_fails(rshm_topic_open(n_missing, RSHM_O_RDONLY, 10)));
    ROW("an object of zeros (no magic)", EINVAL, TOPIC_OPEN(n_plain));
    ROW("header of layout version 99", EPROTO, TOPIC_OPEN(n_badver));
    rshm_channel *ch = rshm_channel_create(chan, 4096, 0600);
    ROW("a channel, not a topic", EINVAL, TOPIC_OPEN(chan));
    rshm_channel_close(ch);
    rshm_channel_unlink(chan);

    rshm_topic *pub = rshm_topic_create(name, 256, 1, RSHM_TOPIC_BLOCK, 0600);
    ROW("oflag RSHM_O_WRONLY", EINVAL, topic_fails(rshm_topic_open(name, RSHM_O_WRONLY, 0)));
    ROW("oflag -1", EINVAL, topic_fails(rshm_topic_open(name, -1, 0)));
    ROW("RSHM_O_RDWR while a live publisher exists", EBUSY, topic_fails(rshm_topic_open(name, RSHM_O_RDWR, 0)));
    rshm_topic *sub = rshm_topic_open(name, RSHM_O_RDONLY, 0);
    ROW("RSHM_O_RDONLY with every place taken", EUSERS, TOPIC_OPEN(name));
    char buf[64] = "message";
    size_t len;
    fn = "rshm_topic_publish";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_publish(NULL, buf, 8, 0), -1));
    ROW("msg NULL, len 8", EFAULT, FAILS(rshm_topic_publish(pub, NULL, 8, 0), -1));
    ROW("timeout_ns -2", EINVAL, FAILS(rshm_topic_publish(pub, buf, 8, -2), -1));
    ROW("len beyond rshm_topic_max_message", EMSGSIZE,
        FAILS(rshm_topic_publish(pub, buf, rshm_topic_max_message(pub) + 1, 0), -1));
    ROW("len SIZE_MAX", EMSGSIZE, FAILS(rshm_topic_publish(pub, buf, SIZE_MAX, 0), -1));
    ROW("a subscriber's handle", EBADF, FAILS(rshm_topic_publish(sub, buf, 8, 0), -1));
    while (rshm_topic_publish(pub, buf, 48, 0) == 0) {
    }
    ROW("RSHM_TOPIC_BLOCK, full, timeout 0", EAGAIN, FAILS(rshm_topic_publish(pub, buf, 48, 0), -1));
    ROW("RSHM_TOPIC_BLOCK, full, timeout 1 ms", ETIMEDOUT, FAILS(rshm_topic_publish(pub, buf, 48, 1000000), -1));
    fn = "rshm_topic_receive";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_receive(NULL, buf, sizeof buf, 0), -1));
    ROW("buf NULL, cap 64", EFAULT, FAILS(rshm_topic_receive(sub, NULL, sizeof buf, 0), -1));
    ROW("timeout_ns -2", EINVAL, FAILS(rshm_topic_receive(sub, buf, sizeof buf, -2), -1));
    ROW("the publisher's handle", EBADF, FAILS(rshm_topic_receive(pub, buf, sizeof buf, 0), -1));
    ROW("cap smaller than the message (it stays)", EMSGSIZE, FAILS(rshm_topic_receive(sub, buf, 8, 0), -1));
    ROW_OK("cap large enough after EMSGSIZE", "the kept message", FAILS(rshm_topic_receive(sub, buf, sizeof buf, 0), -1));
    while (rshm_topic_receive(sub, buf, sizeof buf, 0) >= 0) {
    }
    ROW("empty, timeout 0", EAGAIN, FAILS(rshm_topic_receive(sub, buf, sizeof buf, 0), -1));
    ROW("empty, timeout 1 ms", ETIMEDOUT, FAILS(rshm_topic_receive(sub, buf, sizeof buf, 1000000), -1));
    fn = "rshm_topic_lost";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_lost(NULL), 0));
    fn = "rshm_topic_reserve";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_reserve(NULL, 8, 0), NULL));
    ROW("len SIZE_MAX", EMSGSIZE, FAILS(rshm_topic_reserve(pub, SIZE_MAX, 0), NULL));
    ROW("timeout_ns -2", EINVAL, FAILS(rshm_topic_reserve(pub, 8, -2), NULL));
    ROW("a subscriber's handle", EBADF, FAILS(rshm_topic_reserve(sub, 8, 0), NULL));
    fn = "rshm_topic_commit";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_commit(NULL, 8), -1));
    ROW("nothing reserved", EINVAL, FAILS(rshm_topic_commit(pub, 8), -1));
    rshm_topic_reserve(pub, 8, 0);
    ROW("len beyond the reservation", EINVAL, FAILS(rshm_topic_commit(pub, 9), -1));
    ROW("a subscriber's handle", EBADF, FAILS(rshm_topic_commit(sub, 8), -1));
    fn = "rshm_topic_peek";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_peek(NULL, &len, 0), NULL));
    ROW("len NULL", EFAULT, FAILS(rshm_topic_peek(sub, NULL, 0), NULL));
    ROW("empty, timeout 0", EAGAIN, FAILS(rshm_topic_peek(sub, &len, 0), NULL));
    ROW("the publisher's handle", EBADF, FAILS(rshm_topic_peek(pub, &len, 0), NULL));
    fn = "rshm_topic_release";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_release(NULL), -1));
    ROW("nothing peeked", EINVAL, FAILS(rshm_topic_release(sub), -1));
    fn = "rshm_topic_fd";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_fd(NULL), -1));
    ROW("the publisher's handle (nothing to receive)", EBADF, FAILS(rshm_topic_fd(pub), -1));
    fn = "rshm_topic_capacity";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_capacity(NULL), 0));
    fn = "rshm_topic_max_message";
    ROW("t NULL", EFAULT, FAILS(rshm_topic_max_message(NULL), 0));
    fn = "rshm_topic_close";
    ROW_OK("t NULL", "succeeds (no-op)", FAILS(rshm_topic_close(NULL), -1));
    rshm_topic_close(pub);
    fn = "rshm_topic_receive";
    ROW("empty, the publisher closed", EPIPE, FAILS(rshm_topic_receive(sub, buf, sizeof buf, -1), -1));
    rshm_topic_close(sub);
    fn = "rshm_topic_unlink";
    ROW("name NULL", EFAULT, FAILS(rshm_topic_unlink(NULL), -1));
    ROW("no such name", ENOENT, FAILS(rshm_topic_unlink(n_missing), -1));
    rshm_topic_unlink(name);
}

static void strings(void) {
    char buf[32];
    fn = "rshm_mode_string";
    ROW("buf NULL", EFAULT, FAILS(rshm_mode_string(0600, NULL, 17), NULL));
    ROW("buf NULL and len 0", EFAULT, FAILS(rshm_mode_string(0600, NULL, 0), NULL));
    ROW("len 0", ERANGE, FAILS(rshm_mode_string(0600, buf, 0), NULL));
    ROW("len 16 (one short)", ERANGE, FAILS(rshm_mode_string(0600, buf, 16), NULL));
    ROW_OK("mode UINT32_MAX", "\"[7777] rwsrwsrwt\"",
           !rshm_mode_string(UINT32_MAX, buf, sizeof buf) || strcmp(buf, "[7777] rwsrwsrwt") != 0);
    memset(buf, 'z', sizeof buf);
    ROW_OK("len SIZE_MAX", "writes 17 bytes only",
           !rshm_mode_string(0600, buf, SIZE_MAX) || strcmp(buf, "[0600] rw-------") != 0 || buf[17] != 'z');

    static const int nums[] = {0, -1, INT_MIN, INT_MAX, 4096};
    static const char *labels[] = {"errnum 0", "errnum -1", "errnum INT_MIN", "errnum INT_MAX", "errnum 4096"};
    for (int i = 0; i < 5; i++) {
        fn = "rshm_errno_name";
        ROW_OK(labels[i], "\"EUNKNOWN\"", strcmp(rshm_errno_name(nums[i]), "EUNKNOWN") != 0);
        fn = "rshm_errno_string";
        ROW_OK(labels[i], "a non-NULL static string", !rshm_errno_string(nums[i]) || !*rshm_errno_string(nums[i]));
        fn = "rshm_errno_help";
        ROW_OK(labels[i], "a non-NULL static string", !rshm_errno_help(nums[i]) || !*rshm_errno_help(nums[i]));
    }
    fn = "rshm_error_detail";
    ROW_OK("after a failed call", "its sentence, errno unchanged", detail_after_a_failure() != 0);
    ROW_OK("after a call that succeeds", "still the last failure's sentence",
           rshm_getpagesize() <= 0 || strncmp(rshm_error_detail(), "rshm_segment_open(", 18) != 0);
    ROW_OK("in a thread where no call failed", "\"\" (never NULL)", detail_of_a_new_thread() != 0);

    fn = "rshm_errno";
    ROW_OK("(no arguments)", "the thread's errno", (errno = EXDEV, rshm_errno() != EXDEV));
    fn = "rshm_getpagesize";
    ROW_OK("(no arguments)", "the page size", rshm_getpagesize() != pg);
    fn = "rshm_version";
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", RSHM_VERSION_MAJOR, RSHM_VERSION_MINOR, RSHM_VERSION_PATCH);
    ROW_OK("(no arguments)", "RSHM_VERSION, from the same Cargo.toml as the macros",
           strcmp(rshm_version(), RSHM_VERSION) != 0 || strcmp(v, RSHM_VERSION) != 0);
}

/* ---- output ---- */

/* Markdown cell text: '|' would end the cell. */
static void put(const char *s) {
    for (; *s; s++)
        printf(*s == '|' ? "\\|" : "%c", *s);
}

/* A detail as the table shows it: the pid and counter of the test's
 * names ("/rshm-test-PID-N-") as "/rshm-test-P-N-", so that the table is
 * the same from run to run, and '|' escaped. */
static void put_detail(const char *d) {
    static const char tag[] = "rshm-test-";
    while (*d) {
        const char *t = strstr(d, tag);
        size_t n = t ? (size_t)(t - d) : strlen(d);
        for (size_t i = 0; i < n; i++)
            printf(d[i] == '|' ? "\\|" : "%c", d[i]);
        if (!t)
            break;
        printf("%sP-N-", tag);
        d = t + sizeof tag - 1;
        for (int dashes = 0; *d && dashes < 2; d++)
            dashes += *d == '-';
    }
}

static int first_of_fn(int i) {
    for (int j = 0; j < i; j++)
        if (strcmp(recs[j].fn, recs[i].fn) == 0)
            return 0;
    return 1;
}

/* One line per function, inputs with the same result grouped. Inputs not
 * given to a function's libc twin (it would crash, or has no such
 * argument) are marked "¹". */
static void print_table(void) {
    printf("| Function | Bad input → result | libc twin | `rshm_error_detail()` after the first input of each "
           "failing result |\n|---|---|---|---|\n");
    for (int i = 0; i < nrecs; i++) {
        if (!first_of_fn(i))
            continue;
        const char *twin = NULL;
        for (int j = i; j < nrecs; j++)
            if (strcmp(recs[j].fn, recs[i].fn) == 0 && recs[j].twin)
                twin = recs[j].twin;
        printf("| `%s` | ", recs[i].fn);
        int groups = 0;
        for (int j = i; j < nrecs; j++) {
            int seen = strcmp(recs[j].fn, recs[i].fn) != 0;
            for (int k = i; k < j && !seen; k++)
                seen = strcmp(recs[k].fn, recs[i].fn) == 0 && strcmp(recs[k].result, recs[j].result) == 0;
            if (seen)
                continue;
            printf("%s", groups++ ? "; " : "");
            int n = 0;
            for (int k = j; k < nrecs; k++) {
                if (strcmp(recs[k].fn, recs[i].fn) != 0 || strcmp(recs[k].result, recs[j].result) != 0)
                    continue;
                printf("%s", n++ ? ", " : "");
                put(recs[k].input);
                printf("%s", twin && !recs[k].twin ? "¹" : "");
            }
            int is_errno = recs[j].result[0] == 'E';
            printf(" → %s", is_errno ? "`" : "");
            put(recs[j].result);
            printf("%s", is_errno ? "`" : "");
        }
        printf(" | %s | ", twin ? twin : "");
        int details = 0;
        for (int j = i; j < nrecs; j++) {
            int seen = strcmp(recs[j].fn, recs[i].fn) != 0 || !recs[j].detail;
            for (int k = i; k < j && !seen; k++)
                seen = strcmp(recs[k].fn, recs[i].fn) == 0 && strcmp(recs[k].result, recs[j].result) == 0;
            if (seen)
                continue;
            printf("%s`%s`: ", details++ ? "<br>" : "", recs[j].result);
            put_detail(recs[j].detail);
        }
        printf(" |\n");
    }
}

static void print_functions(void) {
    for (int i = 0; i < nrecs; i++)
        if (first_of_fn(i))
            printf("%s\n", recs[i].fn);
}

int main(int argc, char **argv) {
    check_silent = argc > 1; /* --table and --functions print data, not TAP */
    lenient = check_under_valgrind();
    setup();
    names_for_shm();
    descriptors();
    memory();
    segments();
    sync_and_channels();
    values();
    topics();
    strings();
    teardown();
    int rc;
    if (argc > 1 && strcmp(argv[1], "--table") == 0) {
        print_table();
        rc = check_failed ? 1 : 0;
    } else if (argc > 1 && strcmp(argv[1], "--functions") == 0) {
        print_functions();
        rc = check_failed ? 1 : 0;
    } else {
        rc = check_done("bad-input");
    }
    for (int i = 0; i < nrecs; i++)
        free(recs[i].detail);
    return rc;
}
