/* rshm_add_seals, rshm_get_seals and rshm_fcntl: what each seal forbids,
 * with the errno the kernel gives, and the errors of unsealable files. */
#include <fcntl.h>

#include "check.h"

int main(void) {
    long page = rshm_getpagesize();
    int fd = rshm_memfd_create("seal", RSHM_MFD_CLOEXEC | RSHM_MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK(rshm_ftruncate(fd, 2 * page) == 0);
    CHECK(rshm_get_seals(fd) == 0);

    /* SHRINK: shrinking is EPERM, growing still works. */
    CHECK(rshm_add_seals(fd, RSHM_F_SEAL_SHRINK) == 0);
    CHECK_ERR(rshm_ftruncate(fd, page), -1, EPERM);
    CHECK(rshm_ftruncate(fd, 4 * page) == 0);
    /* GROW: growing is EPERM too, and so is fallocate past the end. */
    CHECK(rshm_add_seals(fd, RSHM_F_SEAL_GROW) == 0);
    CHECK_ERR(rshm_ftruncate(fd, 8 * page), -1, EPERM);
    CHECK_ERR(rshm_fallocate(fd, 0, 8 * page), -1, EPERM);

    /* WRITE while a writable shared mapping exists: EBUSY. */
    char *p = rshm_mmap(NULL, (size_t)page, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    CHECK(p != RSHM_MAP_FAILED);
    strcpy(p, "sealed contents");
    CHECK_ERR(rshm_add_seals(fd, RSHM_F_SEAL_WRITE), -1, EBUSY);
    CHECK(rshm_munmap(p, (size_t)page) == 0);
    CHECK(rshm_add_seals(fd, RSHM_F_SEAL_WRITE) == 0);
    /* After WRITE: a writable shared mapping is EPERM, a read-only one works. */
    CHECK_ERR(rshm_mmap(NULL, (size_t)page, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0),
              RSHM_MAP_FAILED, EPERM);
    const char *r = rshm_mmap(NULL, (size_t)page, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, 0);
    CHECK(r != RSHM_MAP_FAILED && strcmp(r, "sealed contents") == 0);
    CHECK(write(fd, "x", 1) == -1 && errno == EPERM);
    CHECK(rshm_munmap((void *)r, (size_t)page) == 0);
    CHECK(rshm_get_seals(fd) == (int)(RSHM_F_SEAL_SHRINK | RSHM_F_SEAL_GROW | RSHM_F_SEAL_WRITE));

    /* rshm_fcntl is the raw call: the same answer by another road. */
    CHECK(rshm_fcntl(fd, RSHM_F_GET_SEALS, 0) == rshm_get_seals(fd));
    /* SEAL: no more seals, not even ones already there. */
    CHECK(rshm_add_seals(fd, RSHM_F_SEAL_SEAL) == 0);
    CHECK_ERR(rshm_add_seals(fd, RSHM_F_SEAL_FUTURE_WRITE), -1, EPERM);
    CHECK(rshm_close(fd) == 0);

    /* A memfd made without RSHM_MFD_ALLOW_SEALING carries SEAL_SEAL. */
    fd = rshm_memfd_create("unsealable", RSHM_MFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_ERR(rshm_add_seals(fd, RSHM_F_SEAL_WRITE), -1, EPERM);
    CHECK(rshm_get_seals(fd) == (int)RSHM_F_SEAL_SEAL);
    CHECK(rshm_close(fd) == 0);

    /* Unknown seal bits, bad descriptors, files without seals. */
    fd = rshm_memfd_create("bits", RSHM_MFD_ALLOW_SEALING);
    CHECK_ERR(rshm_add_seals(fd, 0x8000u), -1, EINVAL);
    CHECK(rshm_close(fd) == 0);
    CHECK_ERR(rshm_add_seals(-1, RSHM_F_SEAL_WRITE), -1, EBADF);
    CHECK_ERR(rshm_get_seals(-1), -1, EBADF);
    int sv[2];
    CHECK(pipe(sv) == 0);
    CHECK_ERR(rshm_get_seals(sv[0]), -1, EINVAL);
    CHECK_ERR(rshm_add_seals(sv[1], RSHM_F_SEAL_WRITE), -1, EINVAL);

    /* rshm_fcntl: int commands pass, pointer ones are refused. */
    CHECK(rshm_fcntl(sv[0], F_SETFD, FD_CLOEXEC) == 0);
    CHECK(rshm_fcntl(sv[0], F_GETFD, 0) == FD_CLOEXEC);
    CHECK((rshm_fcntl(sv[1], F_GETFL, 0) & O_ACCMODE) == O_WRONLY);
    int dup = rshm_fcntl(sv[0], F_DUPFD_CLOEXEC, 100);
    CHECK(dup >= 100);
    CHECK(rshm_close(dup) == 0);
    CHECK_ERR(rshm_fcntl(sv[0], F_GETLK, 0), -1, EINVAL);
    CHECK_ERR(rshm_fcntl(sv[0], F_OFD_SETLK, 0), -1, EINVAL);
    CHECK_ERR(rshm_fcntl(sv[0], 0x7fff, 0), -1, EINVAL);
    CHECK_ERR(rshm_fcntl(-1, F_GETFD, 0), -1, EBADF);
    close(sv[0]);
    close(sv[1]);
    return check_done("seal");
}
