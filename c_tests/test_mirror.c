/* The POSIX mirrors one by one: each success path, and each error path
 * with its exact errno. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "check.h"

static long pg;

/* An object of `size` bytes, created O_RDWR; its name in `name`. */
static int make(char *name, size_t len, const char *tag, int64_t size) {
    check_name(name, len, tag);
    int fd = rshm_shm_open(name, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK(rshm_ftruncate(fd, size) == 0);
    return fd;
}

static void test_shm_open(void) {
    char n[128];
    int fd = make(n, sizeof n, "open", pg);
    CHECK_ERR(rshm_shm_open(n, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600), -1, EEXIST);

    /* Opening again, with and without the leading slash: the same object. */
    rshm_stat a, b, c;
    int again = rshm_shm_open(n, RSHM_O_RDONLY, 0);
    int bare = rshm_shm_open(n + 1, RSHM_O_RDWR, 0);
    CHECK(again >= 0 && bare >= 0);
    CHECK(rshm_fstat(fd, &a) == 0 && rshm_fstat(again, &b) == 0 && rshm_fstat(bare, &c) == 0);
    CHECK(a.ino == b.ino && a.ino == c.ino && a.dev == c.dev);

    /* Close-on-exec on every descriptor, as POSIX requires. */
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(again, F_GETFD) & FD_CLOEXEC);
    CHECK((fcntl(again, F_GETFL) & O_ACCMODE) == O_RDONLY);

    /* O_TRUNC empties an existing object. */
    CHECK(a.size == pg);
    int tr = rshm_shm_open(n, RSHM_O_RDWR | RSHM_O_TRUNC, 0);
    CHECK(tr >= 0 && rshm_fstat(fd, &a) == 0 && a.size == 0);
    rshm_close(tr), rshm_close(again), rshm_close(bare), rshm_close(fd);
    CHECK(rshm_shm_unlink(n) == 0);
    CHECK_ERR(rshm_shm_open(n, RSHM_O_RDWR, 0), -1, ENOENT);

    /* The mode is honoured, with no umask in the way. */
    mode_t old = umask(0);
    check_name(n, sizeof n, "mode");
    fd = rshm_shm_open(n, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0640);
    CHECK(fd >= 0 && rshm_fstat(fd, &a) == 0);
    CHECK((a.mode & 0777) == 0640 && S_ISREG(a.mode));
    rshm_close(fd);
    rshm_shm_unlink(n);
    umask(old);

    /* Names: empty, only slashes, inner slash. */
    CHECK_ERR(rshm_shm_open("", RSHM_O_RDWR | RSHM_O_CREAT, 0600), -1, EINVAL);
    CHECK_ERR(rshm_shm_open("/", RSHM_O_RDWR | RSHM_O_CREAT, 0600), -1, EINVAL);
    CHECK_ERR(rshm_shm_open("/a/b", RSHM_O_RDWR | RSHM_O_CREAT, 0600), -1, EINVAL);
    CHECK_ERR(rshm_shm_open(NULL, RSHM_O_RDWR, 0), -1, EFAULT);

    /* 255 bytes is the longest name; 256 is too long. */
    static char longn[5001];
    check_name(n, sizeof n, "max");
    memset(longn, 'a', 255), longn[255] = 0;
    memcpy(longn, n + 1, strlen(n + 1));
    fd = rshm_shm_open(longn, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600);
    CHECK(fd >= 0);
    rshm_close(fd);
    CHECK(rshm_shm_unlink(longn) == 0);
    longn[255] = 'a', longn[256] = 0;
    CHECK_ERR(rshm_shm_open(longn, RSHM_O_RDWR | RSHM_O_CREAT, 0600), -1, ENAMETOOLONG);

    /* Far longer names: libc's own answer (glibc 2.36 EINVAL, later glibc
     * ENAMETOOLONG); either way the same from rshm as from libc. */
    memset(longn, 'a', 5000), longn[5000] = 0;
    errno = 0;
    int lr = shm_open(longn, O_RDWR | O_CREAT, 0600), le = errno;
    CHECK(lr == -1 && (le == EINVAL || le == ENAMETOOLONG));
    CHECK_ERR(rshm_shm_open(longn, RSHM_O_RDWR | RSHM_O_CREAT, 0600), -1, le);
    /* A slash is an EINVAL before any length, as glibc checks it first. */
    memset(longn, 'a', 300), longn[150] = '/', longn[300] = 0;
    CHECK_ERR(rshm_shm_open(longn, RSHM_O_RDWR | RSHM_O_CREAT, 0600), -1, EINVAL);
}

static void test_shm_unlink(void) {
    char n[128];
    check_name(n, sizeof n, "unlink");
    CHECK_ERR(rshm_shm_unlink(n), -1, ENOENT);
    CHECK_ERR(rshm_shm_unlink(NULL), -1, EFAULT);
    /* glibc says ENOENT of names shm_open calls EINVAL; rshm is libc's twin. */
    errno = 0;
    int r = shm_unlink("/a/b"), e = errno;
    CHECK(r == -1 && (e == EINVAL || e == ENOENT));
    CHECK_ERR(rshm_shm_unlink("/a/b"), -1, e);
    errno = 0;
    r = shm_unlink(""), e = errno;
    CHECK_ERR(rshm_shm_unlink(""), -1, e);
}

static void test_ftruncate(void) {
    char n[128];
    int fd = make(n, sizeof n, "trunc", 3 * pg);
    rshm_stat st;
    CHECK(rshm_fstat(fd, &st) == 0 && st.size == 3 * pg);
    CHECK(rshm_ftruncate(fd, 1) == 0 && rshm_fstat(fd, &st) == 0 && st.size == 1);
    CHECK_ERR(rshm_ftruncate(fd, -1), -1, EINVAL);
    CHECK_ERR(rshm_ftruncate(fd, INT64_MIN), -1, EINVAL);
    CHECK_ERR(rshm_ftruncate(-1, 0), -1, EBADF);
    /* Read-only descriptor: the kernel says EINVAL, and so does libc. */
    int ro = rshm_shm_open(n, RSHM_O_RDONLY, 0);
    CHECK(ro >= 0);
    errno = 0;
    int r = ftruncate(ro, 10), e = errno;
    CHECK(r == -1 && e == EINVAL);
    CHECK_ERR(rshm_ftruncate(ro, 10), -1, EINVAL);
    rshm_close(ro), rshm_close(fd);
    rshm_shm_unlink(n);
}

static void test_mmap(void) {
    char n[128];
    int fd = make(n, sizeof n, "mmap", 2 * pg);

    /* Data written through one mapping shows through another. */
    char *a = rshm_mmap(NULL, 2 * pg, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    char *b = rshm_mmap(NULL, pg, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, pg);
    CHECK(a != RSHM_MAP_FAILED && b != RSHM_MAP_FAILED && a != b);
    if (a != RSHM_MAP_FAILED && b != RSHM_MAP_FAILED) {
        strcpy(a + pg, "through the second page");
        CHECK(strcmp(b, "through the second page") == 0);
    }

    /* A hint at a free address is followed, without MAP_FIXED. */
    void *hole = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(hole != MAP_FAILED && munmap(hole, 4 * pg) == 0);
    char *h = rshm_mmap(hole, pg, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, pg);
    CHECK(h == hole);
    if (h != RSHM_MAP_FAILED)
        CHECK(strcmp(h, "through the second page") == 0);

    /* MAP_FIXED replaces; MAP_FIXED_NOREPLACE refuses with EEXIST. */
    char *f = rshm_mmap(h, pg, RSHM_PROT_READ, RSHM_MAP_SHARED | RSHM_MAP_FIXED, fd, 0);
    CHECK(f == h);
    if (!check_under_valgrind()) /* valgrind 3.19 takes MAP_FIXED_NOREPLACE for a hint */
        CHECK_ERR(rshm_mmap(h, pg, RSHM_PROT_READ, RSHM_MAP_SHARED | RSHM_MAP_FIXED_NOREPLACE, fd, 0),
                  RSHM_MAP_FAILED, EEXIST);
    CHECK(rshm_munmap(h, pg) == 0);
    char *nr = rshm_mmap(h, pg, RSHM_PROT_READ, RSHM_MAP_SHARED | RSHM_MAP_FIXED_NOREPLACE, fd, 0);
    CHECK(nr == h);
    if (nr != RSHM_MAP_FAILED)
        CHECK(rshm_munmap(nr, pg) == 0);

    /* Bad arguments. */
    CHECK_ERR(rshm_mmap(NULL, 0, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, 0), RSHM_MAP_FAILED, EINVAL);
    CHECK_ERR(rshm_mmap(NULL, pg, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, 1), RSHM_MAP_FAILED, EINVAL);
    CHECK_ERR(rshm_mmap(NULL, pg, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, pg / 2), RSHM_MAP_FAILED, EINVAL);
    CHECK_ERR(rshm_mmap(NULL, pg, RSHM_PROT_READ, RSHM_MAP_SHARED, -1, 0), RSHM_MAP_FAILED, EBADF);
    CHECK_ERR(rshm_mmap(NULL, pg, RSHM_PROT_READ, 0, fd, 0), RSHM_MAP_FAILED, EINVAL);
    int ro = rshm_shm_open(n, RSHM_O_RDONLY, 0);
    CHECK(ro >= 0);
    CHECK_ERR(rshm_mmap(NULL, pg, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, ro, 0), RSHM_MAP_FAILED,
              EACCES);
    /* A private writable mapping of a read-only descriptor is fine. */
    char *p = rshm_mmap(NULL, pg, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_PRIVATE, ro, 0);
    CHECK(p != RSHM_MAP_FAILED);
    if (p != RSHM_MAP_FAILED)
        CHECK(rshm_munmap(p, pg) == 0);
    rshm_close(ro);

    /* A pipe cannot be mapped: the same errno as libc (ENODEV). */
    int pp[2];
    CHECK(pipe(pp) == 0);
    errno = 0;
    void *lp = mmap(NULL, pg, PROT_READ, MAP_SHARED, pp[0], 0);
    int le = errno;
    CHECK(lp == MAP_FAILED && le == ENODEV);
    CHECK_ERR(rshm_mmap(NULL, pg, RSHM_PROT_READ, RSHM_MAP_SHARED, pp[0], 0), RSHM_MAP_FAILED, le);
    close(pp[0]), close(pp[1]);

    /* munmap: unaligned address, empty length. */
    CHECK_ERR(rshm_munmap(a + 1, pg), -1, EINVAL);
    CHECK_ERR(rshm_munmap(a, 0), -1, EINVAL);
    CHECK(rshm_munmap(a, 2 * pg) == 0);
    CHECK(rshm_munmap(b, pg) == 0);

    /* A mapping outlives its descriptor and its name. */
    char *c = rshm_mmap(NULL, pg, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    CHECK(c != RSHM_MAP_FAILED);
    CHECK(rshm_close(fd) == 0 && rshm_shm_unlink(n) == 0);
    if (c != RSHM_MAP_FAILED) {
        c[0] = 'x';
        CHECK(c[0] == 'x');
        CHECK(rshm_munmap(c, pg) == 0);
    }
}

static void test_close(void) {
    char n[128];
    int fd = make(n, sizeof n, "close", 0);
    rshm_shm_unlink(n);
    CHECK(rshm_close(fd) == 0);
    CHECK_ERR(rshm_close(fd), -1, EBADF);
    CHECK_ERR(rshm_close(-1), -1, EBADF);
    CHECK_ERR(rshm_close(999999), -1, EBADF);
}

static void test_fstat(void) {
    char n[128];
    int fd = make(n, sizeof n, "fstat", 5 * pg + 1);
    char *m = rshm_mmap(NULL, pg, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    CHECK(m != RSHM_MAP_FAILED);
    if (m != RSHM_MAP_FAILED)
        m[0] = 1;
    rshm_stat st;
    memset(&st, 0xff, sizeof st);
    CHECK(rshm_fstat(fd, &st) == 0);
    struct stat ls;
    CHECK(fstat(fd, &ls) == 0);
    CHECK(st.size == 5 * pg + 1);
    CHECK(S_ISREG(st.mode) && (st.mode & 0777) == 0600);
    CHECK(st.uid == getuid() && st.gid == getgid());
    CHECK(st.nlink == 1);
    /* One page touched: one page allocated (tmpfs counts 512-byte blocks). */
    CHECK(st.blocks * 512 == pg);
    CHECK(st.ino == ls.st_ino && st.dev == ls.st_dev && st.blksize == (uint32_t)ls.st_blksize);
    CHECK(st.mtime_sec == ls.st_mtim.tv_sec && st.mtime_nsec == ls.st_mtim.tv_nsec);
    CHECK(st.ctime_sec == ls.st_ctim.tv_sec && st.atime_nsec == ls.st_atim.tv_nsec);
    CHECK(st.mtime_nsec >= 0 && st.mtime_nsec < 1000000000);
    CHECK(rshm_shm_unlink(n) == 0);
    CHECK(rshm_fstat(fd, &st) == 0 && st.nlink == 0);

    CHECK_ERR(rshm_fstat(-1, &st), -1, EBADF);
    CHECK_ERR(rshm_fstat(fd, NULL), -1, EFAULT);
    CHECK_ERR(rshm_fstat(-1, NULL), -1, EBADF);
    /* A failed call leaves *out alone. */
    memset(&st, 0xab, sizeof st);
    rshm_fstat(-1, &st);
    CHECK(st.size == (int64_t)0xabababababababab);
    if (m != RSHM_MAP_FAILED)
        rshm_munmap(m, pg);
    rshm_close(fd);
}

static void test_fchmod_fchown(void) {
    char n[128];
    int fd = make(n, sizeof n, "chmod", 0);
    rshm_stat st;
    CHECK(rshm_fchmod(fd, 0640) == 0 && rshm_fstat(fd, &st) == 0 && (st.mode & 07777) == 0640);
    CHECK(rshm_fchmod(fd, 0600) == 0 && rshm_fstat(fd, &st) == 0 && (st.mode & 07777) == 0600);
    CHECK_ERR(rshm_fchmod(-1, 0600), -1, EBADF);
    CHECK(rshm_fchown(fd, (uint32_t)getuid(), (uint32_t)getgid()) == 0);
    CHECK(rshm_fchown(fd, UINT32_MAX, UINT32_MAX) == 0);
    CHECK(rshm_fstat(fd, &st) == 0 && st.uid == getuid() && st.gid == getgid());
    CHECK_ERR(rshm_fchown(-1, UINT32_MAX, UINT32_MAX), -1, EBADF);
    CHECK_ERR(rshm_fchown(999999, 0, 0), -1, EBADF);
    rshm_close(fd);
    rshm_shm_unlink(n);
}

static void test_memfd(void) {
    int fd = rshm_memfd_create("rshm-test", RSHM_MFD_CLOEXEC | RSHM_MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(fd, F_GET_SEALS) == 0); /* sealing allowed, nothing sealed yet */
    char path[64], link[128] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    CHECK(readlink(path, link, sizeof link - 1) > 0 && strncmp(link, "/memfd:rshm-test", 16) == 0);
    rshm_stat st;
    CHECK(rshm_fstat(fd, &st) == 0 && st.size == 0 && st.nlink == 0);
    CHECK(rshm_ftruncate(fd, pg) == 0);
    char *m = rshm_mmap(NULL, pg, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    CHECK(m != RSHM_MAP_FAILED);
    if (m != RSHM_MAP_FAILED)
        CHECK(m[0] == 0 && rshm_munmap(m, pg) == 0);
    rshm_close(fd);

    /* Without ALLOW_SEALING the file is born sealed against seals; no CLOEXEC asked, none set. */
    fd = rshm_memfd_create("plain", 0);
    CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0);
    CHECK(fcntl(fd, F_GET_SEALS) == F_SEAL_SEAL);
    rshm_close(fd);

    CHECK_ERR(rshm_memfd_create("x", 0x100), -1, EINVAL);
    CHECK_ERR(rshm_memfd_create("x", 0x80000000u), -1, EINVAL);
    char name[251];
    memset(name, 'm', 250), name[250] = 0;
    CHECK_ERR(rshm_memfd_create(name, 0), -1, EINVAL);
    name[249] = 0;
    fd = rshm_memfd_create(name, RSHM_MFD_CLOEXEC);
    CHECK(fd >= 0);
    rshm_close(fd);
    CHECK_ERR(rshm_memfd_create(NULL, 0), -1, EFAULT);
    CHECK_ERR(rshm_memfd_create(NULL, 0x100), -1, EINVAL); /* flags first, as the kernel */
}

static void test_misc(void) {
    CHECK(rshm_getpagesize() == sysconf(_SC_PAGESIZE));
    CHECK(rshm_getpagesize() == getpagesize());
    rshm_close(-1);
    CHECK(rshm_errno() == EBADF);
    rshm_shm_open("/", RSHM_O_RDWR, 0);
    CHECK(rshm_errno() == EINVAL);
    errno = 1234;
    CHECK(rshm_errno() == 1234);
    /* The failure reads the same through errno and rshm_errno. */
    errno = 0;
    rshm_ftruncate(-5, 0);
    CHECK(errno == EBADF && rshm_errno() == errno);
}

int main(void) {
    pg = rshm_getpagesize();
    test_shm_open();
    test_shm_unlink();
    test_ftruncate();
    test_mmap();
    test_close();
    test_fstat();
    test_fchmod_fchown();
    test_memfd();
    test_misc();
    return check_done("mirror");
}
