/* Differential tests: each input goes to libc's call and to rshm's twin in
 * the same state; both must succeed or both fail with the same errno. This
 * is the evidence for "same results and errno as libc" (README). Where libc
 * itself would crash (a NULL shm name) only rshm's EFAULT is asserted. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "check.h"

/* Both fail with the same errno, or both succeed. */
static void same(const char *what, int fail1, int e1, int fail2, int e2) {
    int ok = fail1 == fail2 && (!fail1 || e1 == e2);
    if (!ok)
        fprintf(stderr, "differs: %s: libc %s (%d), rshm %s (%d)\n", what, fail1 ? strerror(e1) : "ok", e1,
                fail2 ? strerror(e2) : "ok", e2);
    CHECK(ok);
}

/* Calls `libc_call` then its rshm twin `rshm_call`, each with errno cleared
 * first, leaves their results in r1 and r2, and checks them with same():
 * -1 is failure. `what` is built before the calls, which it must not
 * disturb. */
#define SAME_CALL(what, r1, libc_call, r2, rshm_call)                                                                  \
    do {                                                                                                               \
        errno = 0;                                                                                                     \
        (r1) = (libc_call);                                                                                            \
        int e1_ = errno;                                                                                               \
        errno = 0;                                                                                                     \
        (r2) = (rshm_call);                                                                                            \
        same((what), (r1) == -1, e1_, (r2) == -1, errno);                                                              \
    } while (0)

/* ---- shm_open / shm_unlink over name shapes ---- */

static char names[24][5200];
static const char *labels[24];
static int nnames;

/* base: "rshm-test-PID-N-tag", no slash, unique to this shape. */
static char *add(const char *label) {
    labels[nnames] = label;
    return names[nnames++];
}

static void base(char *out, const char *tag) {
    char b[128];
    strcpy(out, check_name(b, sizeof b, tag) + 1);
}

/* `pre` + base padded with 'a' to exactly `len` bytes. */
static void padded(const char *label, const char *pre, size_t len) {
    char *n = add(label);
    strcpy(n, pre);
    base(n + strlen(pre), "pad");
    size_t have = strlen(n) - strlen(pre);
    memset(n + strlen(n), 'a', len - have);
    n[strlen(pre) + len] = '\0';
}

static void build_names(void) {
    strcpy(add("\"\""), "");
    strcpy(add("\"/\""), "/");
    strcpy(add("\"//\""), "//");
    base(add("a"), "a");
    strcpy(add("/a"), "/"), base(names[nnames - 1] + 1, "sa");
    strcpy(add("//a"), "//"), base(names[nnames - 1] + 2, "ssa");
    char *n = add("/a/b");
    strcpy(n, "/"), base(n + 1, "ab"), strcat(n, "/b");
    n = add("a/");
    base(n, "as"), strcat(n, "/");
    padded("255*a", "", 255);
    padded("/+255*a", "/", 255);
    padded("256*a", "", 256);
    padded("/+256*a", "/", 256);
    padded("259*a", "", 259);
    padded("260*a", "", 260);
    padded("300*a", "", 300);
    padded("4095*a", "", 4095);
    padded("4096*a", "", 4096);
    padded("/+4095*a", "/", 4095);
    padded("4100*a", "", 4100);
    strcpy(add("."), ".");
    strcpy(add(".."), "..");
}

static const int oflags[] = {O_RDONLY, O_RDWR, O_RDWR | O_CREAT, O_RDWR | O_CREAT | O_EXCL, O_RDONLY | O_TRUNC,
                             O_WRONLY};
static const char *oflag_labels[] = {"O_RDONLY", "O_RDWR", "O_RDWR|O_CREAT", "O_RDWR|O_CREAT|O_EXCL",
                                     "O_RDONLY|O_TRUNC", "O_WRONLY"};

/* Creates `name` with 4096 bytes; 0 if the name cannot be created. */
static int setup(const char *name) {
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return 0;
    CHECK(ftruncate(fd, 4096) == 0);
    close(fd);
    return 1;
}

/* Size of the object `name`, -1 if there is none; then removes it. */
static long teardown(const char *name) {
    long size = -1;
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd >= 0) {
        struct stat st;
        int reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        close(fd);
        if (reg) { /* "." opens /dev/shm itself: nothing to remove */
            size = (long)st.st_size;
            shm_unlink(name);
        }
    }
    return size;
}

struct open_result {
    int fd, err, cloexec, accmode;
    long size;
};

static struct open_result one_open(int use_rshm, const char *name, int oflag, int present) {
    struct open_result r = {0};
    if (present)
        setup(name);
    errno = 0;
    r.fd = use_rshm ? rshm_shm_open(name, oflag, 0600) : shm_open(name, oflag, 0600);
    r.err = errno;
    if (r.fd >= 0) {
        r.cloexec = fcntl(r.fd, F_GETFD) & FD_CLOEXEC;
        r.accmode = fcntl(r.fd, F_GETFL) & O_ACCMODE;
        close(r.fd);
    }
    r.size = teardown(name);
    return r;
}

static void diff_shm_open(void) {
    for (int i = 0; i < nnames; i++) {
        for (unsigned f = 0; f < sizeof oflags / sizeof *oflags; f++) {
            for (int present = 0; present < 2; present++) {
                if (present && !setup(names[i]))
                    continue; /* no such state for an invalid name */
                teardown(names[i]);
                struct open_result a = one_open(0, names[i], oflags[f], present);
                struct open_result b = one_open(1, names[i], oflags[f], present);
                char what[160];
                snprintf(what, sizeof what, "shm_open(%s, %s) %s", labels[i], oflag_labels[f],
                         present ? "existing" : "absent");
                same(what, a.fd < 0, a.err, b.fd < 0, b.err);
                if (a.fd >= 0 && b.fd >= 0) {
                    CHECK(a.cloexec && b.cloexec);
                    CHECK(a.accmode == b.accmode);
                    CHECK(a.size == b.size); /* O_TRUNC alike, O_CREAT alike */
                }
            }
        }
    }
}

static void diff_shm_unlink(void) {
    for (int i = 0; i < nnames; i++) {
        for (int present = 0; present < 2; present++) {
            if (present && !setup(names[i]))
                continue;
            errno = 0;
            int r1 = shm_unlink(names[i]);
            int e1 = errno;
            long left1 = teardown(names[i]);
            if (present)
                setup(names[i]);
            errno = 0;
            int r2 = rshm_shm_unlink(names[i]);
            int e2 = errno;
            long left2 = teardown(names[i]);
            char what[160];
            snprintf(what, sizeof what, "shm_unlink(%s) %s", labels[i], present ? "existing" : "absent");
            same(what, r1 == -1, e1, r2 == -1, e2);
            CHECK(left1 == left2);
        }
    }
    CHECK_ERR(rshm_shm_unlink(NULL), -1, EFAULT);
    CHECK_ERR(rshm_shm_open(NULL, O_RDWR | O_CREAT, 0600), -1, EFAULT);
}

/* ---- descriptor calls over bad descriptors ---- */

enum { NFDS = 7 };
static int fds[NFDS];
static const char *fd_labels[NFDS] = {"-1", "999999", "closed fd", "pipe", "directory", "/dev/null", "O_RDONLY shm"};
static char dir[] = "/tmp/rshm-test-dir-XXXXXX";
static char ro_name[128];

static void open_fds(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(mkdtemp(dir) != NULL);
    /* A number far above what this test opens, so that nothing reuses it. */
    int closed = dup2(p[1], 900);
    CHECK(closed == 900 && close(closed) == 0);
    check_name(ro_name, sizeof ro_name, "ro");
    int ro = shm_open(ro_name, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(ro >= 0 && ftruncate(ro, 8192) == 0);
    close(ro);
    int v[NFDS] = {-1, 999999, closed, p[0], open(dir, O_RDONLY | O_DIRECTORY), open("/dev/null", O_RDWR),
                   shm_open(ro_name, O_RDONLY, 0)};
    memcpy(fds, v, sizeof fds);
    close(p[1]);
    CHECK(fds[4] >= 0 && fds[5] >= 0 && fds[6] >= 0);
}

static void close_fds(void) {
    for (int i = 3; i < NFDS; i++)
        close(fds[i]);
    CHECK(rmdir(dir) == 0);
    CHECK(shm_unlink(ro_name) == 0);
}

static void diff_mmap_fd(int fd, const char *label, size_t len, int prot, int flags, int64_t off) {
    errno = 0;
    void *a = mmap(NULL, len, prot, flags, fd, (off_t)off);
    int e1 = errno;
    errno = 0;
    void *b = rshm_mmap(NULL, len, prot, flags, fd, off);
    int e2 = errno;
    char what[160];
    snprintf(what, sizeof what, "mmap(len %zu, prot %d, flags %#x, %s, off %lld)", len, prot, flags, label,
             (long long)off);
    same(what, a == MAP_FAILED, e1, b == RSHM_MAP_FAILED, e2);
    if (a != MAP_FAILED)
        munmap(a, len);
    if (b != RSHM_MAP_FAILED)
        munmap(b, len);
}

static void diff_fd_calls(void) {
    for (int i = 0; i < NFDS; i++) {
        int fd = fds[i];
        const char *l = fd_labels[i];
        char what[96];
        diff_mmap_fd(fd, l, 4096, PROT_READ, MAP_SHARED, 0);
        diff_mmap_fd(fd, l, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
        diff_mmap_fd(fd, l, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);

        struct stat st;
        rshm_stat rs;
        int r1, r2;
        snprintf(what, sizeof what, "fstat(%s)", l);
        SAME_CALL(what, r1, fstat(fd, &st), r2, rshm_fstat(fd, &rs));
        if (r1 == 0 && r2 == 0)
            CHECK(rs.ino == (uint64_t)st.st_ino && rs.mode == st.st_mode && rs.size == (int64_t)st.st_size);

        /* NULL out: EBADF first for a bad fd, EFAULT for a good one. */
        /* Through a pointer: fstat is declared nonnull, which UBSan would enforce. */
        int (*volatile libc_fstat)(int, struct stat *) = fstat;
        snprintf(what, sizeof what, "fstat(%s, NULL)", l);
        SAME_CALL(what, r1, libc_fstat(fd, NULL), r2, rshm_fstat(fd, NULL));

        for (int k = 0; k < 3; k++) {
            int64_t len = k == 0 ? 4096 : k == 1 ? -1 : 0;
            snprintf(what, sizeof what, "ftruncate(%s, %lld)", l, (long long)len);
            SAME_CALL(what, r1, ftruncate(fd, (off_t)len), r2, rshm_ftruncate(fd, len));
        }

        /* Give each file its own mode and owners back: a no-op change. */
        mode_t mode = fstat(fd, &st) == 0 ? st.st_mode & 07777 : 0600;
        snprintf(what, sizeof what, "fchmod(%s)", l);
        SAME_CALL(what, r1, fchmod(fd, mode), r2, rshm_fchmod(fd, mode));

        snprintf(what, sizeof what, "fchown(%s, -1, -1)", l);
        SAME_CALL(what, r1, fchown(fd, (uid_t)-1, (gid_t)-1), r2, rshm_fchown(fd, UINT32_MAX, UINT32_MAX));
    }

    /* close: bad numbers alike; a real descriptor closes with both. */
    int r1, r2;
    for (int i = 0; i < 3; i++)
        SAME_CALL(fd_labels[i], r1, close(fds[i]), r2, rshm_close(fds[i]));
    int p[2];
    CHECK(pipe(p) == 0);
    SAME_CALL("close(pipe)", r1, close(p[0]), r2, rshm_close(p[1]));
}

/* ---- mmap / munmap lengths, offsets, flags on a good descriptor ---- */

static void diff_mmap_args(void) {
    long pg = sysconf(_SC_PAGESIZE);
    int rw = memfd_create("rshm-diff", MFD_CLOEXEC);
    CHECK(rw >= 0 && ftruncate(rw, 4 * pg) == 0);
    int ro = fds[6];
    size_t lens[] = {0, 1, (size_t)pg, (size_t)pg + 1, SIZE_MAX, SIZE_MAX - (size_t)pg + 1, (size_t)1 << 62};
    int64_t offs[] = {0, 1, pg - 1, pg, -pg, -1, INT64_MAX & ~(int64_t)(pg - 1), (int64_t)1 << 62};
    for (unsigned i = 0; i < sizeof lens / sizeof *lens; i++)
        for (unsigned j = 0; j < sizeof offs / sizeof *offs; j++) {
            diff_mmap_fd(rw, "memfd", lens[i], PROT_READ | PROT_WRITE, MAP_SHARED, offs[j]);
            diff_mmap_fd(ro, "O_RDONLY shm", lens[i], PROT_READ, MAP_PRIVATE, offs[j]);
        }
    int flagset[] = {0, MAP_SHARED, MAP_PRIVATE, MAP_SHARED | MAP_PRIVATE, MAP_SHARED_VALIDATE | 0x40000000,
                     MAP_SHARED | 0x40000000, MAP_PRIVATE | MAP_ANONYMOUS, MAP_SHARED | MAP_NORESERVE,
                     MAP_SHARED | MAP_POPULATE};
    int protset[] = {PROT_NONE, PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, 0x100};
    for (unsigned i = 0; i < sizeof flagset / sizeof *flagset; i++)
        for (unsigned j = 0; j < sizeof protset / sizeof *protset; j++) {
            diff_mmap_fd(rw, "memfd", (size_t)pg, protset[j], flagset[i], 0);
            diff_mmap_fd(ro, "O_RDONLY shm", (size_t)pg, protset[j], flagset[i], 0);
        }
    close(rw);

    /* munmap: unaligned, empty, out of the address space; an empty range is fine. */
    char *p = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    struct {
        void *addr;
        size_t len;
    } um[] = {{p + 1, (size_t)pg},         {p, 0},
              {(void *)(uintptr_t)-pg, 2 * (size_t)pg}, {p, SIZE_MAX},
              {(void *)0xffff800000000000ull, (size_t)pg}};
    int r1, r2;
    for (unsigned i = 0; i < sizeof um / sizeof *um; i++) {
        char what[80];
        snprintf(what, sizeof what, "munmap case %u", i);
        SAME_CALL(what, r1, munmap(um[i].addr, um[i].len), r2, rshm_munmap(um[i].addr, um[i].len));
    }
    /* The same whole range, once each: both succeed (the second has nothing left). */
    SAME_CALL("munmap whole, then again", r1, munmap(p, 2 * pg), r2, rshm_munmap(p, 2 * pg));
}

/* ---- memfd_create ---- */

static void diff_memfd(void) {
    char n249[250], n250[251];
    memset(n249, 'm', 249), n249[249] = 0;
    memset(n250, 'm', 250), n250[250] = 0;
    const char *volatile null_name = NULL;
    const char *mnames[] = {"", "x", "a/b", n249, n250, NULL};
    unsigned flags[] = {0, MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_CLOEXEC | MFD_ALLOW_SEALING, 0x8, 0x100, 0x80000000u};
    for (unsigned i = 0; i < sizeof mnames / sizeof *mnames; i++)
        for (unsigned j = 0; j < sizeof flags / sizeof *flags; j++) {
            const char *n = mnames[i] ? mnames[i] : null_name;
            int a, b;
            char what[96];
            snprintf(what, sizeof what, "memfd_create(%zu bytes, %#x)", mnames[i] ? strlen(mnames[i]) : 0, flags[j]);
            SAME_CALL(what, a, memfd_create(n, flags[j]), b, rshm_memfd_create(n, flags[j]));
            if (a >= 0 && b >= 0)
                CHECK((fcntl(a, F_GETFD) & FD_CLOEXEC) == (fcntl(b, F_GETFD) & FD_CLOEXEC) &&
                      fcntl(a, F_GET_SEALS) == fcntl(b, F_GET_SEALS));
            if (a >= 0)
                close(a);
            if (b >= 0)
                close(b);
        }
}

int main(void) {
    build_names();
    diff_shm_open();
    diff_shm_unlink();
    open_fds();
    diff_fd_calls();
    diff_mmap_args();
    close_fds();
    diff_memfd();
    CHECK(rshm_getpagesize() == sysconf(_SC_PAGESIZE));
    return check_done("differential");
}
