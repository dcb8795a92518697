/* rshm_mprotect, rshm_msync, rshm_madvise, rshm_mlock/munlock,
 * rshm_mlockall/munlockall and rshm_fallocate: success and errno. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "check.h"

/* 1 if writing to `p` in a child kills it with SIGSEGV. */
static int write_faults(volatile char *p) {
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would turn it into SIGABRT */
        *p = 1;
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

int main(void) {
    size_t page = (size_t)rshm_getpagesize();
    const int rw = RSHM_PROT_READ | RSHM_PROT_WRITE;
    const int anon = RSHM_MAP_PRIVATE | RSHM_MAP_ANONYMOUS;
    char perms[5];

    /* mprotect: read-only pages fault on write. */
    char *p = rshm_mmap(NULL, 2 * page, rw, anon, -1, 0);
    CHECK(p != RSHM_MAP_FAILED);
    memset(p, 0xaa, 2 * page);
    CHECK(rshm_mprotect(p, page, RSHM_PROT_READ) == 0);
    CHECK(check_map_perms(p, perms) == 0 && strcmp(perms, "r--p") == 0);
    CHECK(check_map_perms(p + page, perms) == 0 && strcmp(perms, "rw-p") == 0);
    CHECK(write_faults(p));
    CHECK(!write_faults(p + page));
    CHECK(rshm_mprotect(p, page, rw) == 0);
    CHECK(!write_faults(p));
    CHECK_ERR(rshm_mprotect(p + 1, page, RSHM_PROT_READ), -1, EINVAL);
    CHECK_ERR(rshm_mprotect(p, page, 0x100000), -1, EINVAL);

    /* madvise: DONTNEED on private anonymous memory reads back zeros. */
    CHECK(p[0] == (char)0xaa);
    CHECK(rshm_madvise(p, page, RSHM_MADV_DONTNEED) == 0);
    CHECK(p[0] == 0 && p[page] == (char)0xaa);
    CHECK(rshm_madvise(p, 2 * page, RSHM_MADV_WILLNEED) == 0);
    CHECK(rshm_madvise(p, 2 * page, RSHM_MADV_SEQUENTIAL) == 0);
    CHECK(rshm_madvise(p, 2 * page, RSHM_MADV_NORMAL) == 0);
    CHECK_ERR(rshm_madvise(p + 1, page, RSHM_MADV_NORMAL), -1, EINVAL);
    CHECK_ERR(rshm_madvise(p, page, 12345), -1, EINVAL);
    CHECK_ERR(rshm_madvise(p, page, RSHM_MADV_REMOVE), -1, EINVAL); /* private mapping */

    /* mlock / munlock, then on a range with nothing mapped. */
    CHECK(rshm_mlock(p, 2 * page) == 0);
    CHECK(rshm_munlock(p, 2 * page) == 0);
    CHECK(rshm_munmap(p, 2 * page) == 0);
    if (!CHECK_UNDER_ASAN) {
        CHECK_ERR(rshm_mlock(p, page), -1, ENOMEM);
        CHECK_ERR(rshm_munlock(p, page), -1, ENOMEM);
    }
    CHECK_ERR(rshm_mprotect(p, page, RSHM_PROT_READ), -1, ENOMEM);
    CHECK_ERR(rshm_msync(p, page, RSHM_MS_SYNC), -1, ENOMEM);
    CHECK_ERR(rshm_madvise(p, page, RSHM_MADV_NORMAL), -1, ENOMEM);

    /* mlockall / munlockall. */
    CHECK(rshm_mlockall(RSHM_MCL_CURRENT) == 0);
    CHECK(rshm_munlockall() == 0);
    if (!CHECK_UNDER_ASAN) {
        CHECK_ERR(rshm_mlockall(0), -1, EINVAL);
        CHECK_ERR(rshm_mlockall(0x100), -1, EINVAL);
        CHECK_ERR(rshm_mlockall(RSHM_MCL_ONFAULT), -1, EINVAL);
    }

    /* fallocate on a named object: reserves memory and grows the object. */
    char name[96];
    check_name(name, sizeof name, "memctl");
    int fd = rshm_shm_open(name, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600);
    CHECK(fd >= 0);
    rshm_stat st;
    CHECK(rshm_fallocate(fd, 0, 4 * (int64_t)page) == 0);
    CHECK(rshm_fstat(fd, &st) == 0 && st.size == 4 * (int64_t)page && st.blocks * 512 >= st.size);
    CHECK(rshm_fallocate(fd, (int64_t)page, (int64_t)page) == 0); /* inside: no change */
    CHECK(rshm_fstat(fd, &st) == 0 && st.size == 4 * (int64_t)page);
    CHECK_ERR(rshm_fallocate(fd, -1, 10), -1, EINVAL);
    CHECK_ERR(rshm_fallocate(fd, 0, 0), -1, EINVAL);
    CHECK_ERR(rshm_fallocate(fd, 0, -5), -1, EINVAL);
    CHECK_ERR(rshm_fallocate(fd, INT64_MAX, 1), -1, EFBIG);
    /* Far beyond what /dev/shm holds: refused at once, nothing committed. */
    CHECK_ERR(rshm_fallocate(fd, 0, (int64_t)1 << 50), -1, ENOSPC);
    CHECK(rshm_fstat(fd, &st) == 0 && st.size == 4 * (int64_t)page);
    CHECK_ERR(rshm_fallocate(-1, 0, 1), -1, EBADF);
    int ro = rshm_shm_open(name, RSHM_O_RDONLY, 0);
    CHECK_ERR(rshm_fallocate(ro, 0, 8 * (int64_t)page), -1, EBADF);
    rshm_close(ro);

    /* madvise REMOVE on a shared mapping frees the object's pages. */
    char *s = rshm_mmap(NULL, 4 * page, rw, RSHM_MAP_SHARED, fd, 0);
    CHECK(s != RSHM_MAP_FAILED);
    memset(s, 0x55, 4 * page);
    CHECK(rshm_msync(s, 4 * page, RSHM_MS_SYNC) == 0);
    CHECK(rshm_msync(s, 4 * page, RSHM_MS_ASYNC | RSHM_MS_INVALIDATE) == 0);
    CHECK_ERR(rshm_msync(s, page, RSHM_MS_SYNC | RSHM_MS_ASYNC), -1, EINVAL);
    CHECK_ERR(rshm_msync(s + 1, page, RSHM_MS_SYNC), -1, EINVAL);
    CHECK_ERR(rshm_msync(s, page, 0x1000), -1, EINVAL);
    rshm_stat before;
    CHECK(rshm_fstat(fd, &before) == 0);
    CHECK(rshm_madvise(s, 2 * page, RSHM_MADV_REMOVE) == 0);
    CHECK(s[0] == 0 && s[2 * page] == 0x55);
    CHECK(rshm_fstat(fd, &st) == 0 && st.blocks < before.blocks);
    CHECK(rshm_munmap(s, 4 * page) == 0);
    CHECK(rshm_close(fd) == 0);
    CHECK(rshm_shm_unlink(name) == 0);
    return check_done("memctl");
}
