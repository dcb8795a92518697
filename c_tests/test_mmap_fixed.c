/* rshm_mmap_fixed: exactly at addr, or EEXIST and the mapping in the way
 * left as it was; never a silent replacement as with MAP_FIXED. */
#include "check.h"

int main(void) {
    size_t page = (size_t)rshm_getpagesize();
    const int rw = RSHM_PROT_READ | RSHM_PROT_WRITE;
    char name[96];
    check_name(name, sizeof name, "fixed");
    int fd = rshm_shm_open(name, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600);
    CHECK(fd >= 0 && rshm_ftruncate(fd, (int64_t)page) == 0);

    /* Three pages of ours, the middle one freed: a hole of known address. */
    char *base = rshm_mmap(NULL, 3 * page, rw, RSHM_MAP_PRIVATE | RSHM_MAP_ANONYMOUS, -1, 0);
    CHECK(base != RSHM_MAP_FAILED);
    memset(base, 'a', 3 * page);
    char *hole = base + page;
    CHECK(rshm_munmap(hole, page) == 0);

    char *p = rshm_mmap_fixed(hole, page, rw, RSHM_MAP_SHARED, fd, 0);
    CHECK(p == hole);
    strcpy(p, "exactly here");
    /* A second mapping of the object sees the write: it is the object. */
    char *q = rshm_mmap(NULL, page, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, 0);
    CHECK(q != RSHM_MAP_FAILED && strcmp(q, "exactly here") == 0);
    rshm_munmap(q, page);

    /* Occupied: EEXIST, even with RSHM_MAP_FIXED asked for, and the
     * pages in the way keep their contents. */
    CHECK_ERR(rshm_mmap_fixed(base, page, rw, RSHM_MAP_SHARED, fd, 0), RSHM_MAP_FAILED, EEXIST);
    CHECK_ERR(rshm_mmap_fixed(base, page, rw, RSHM_MAP_SHARED | RSHM_MAP_FIXED, fd, 0), RSHM_MAP_FAILED,
              EEXIST);
    CHECK_ERR(rshm_mmap_fixed(hole, page, rw, RSHM_MAP_SHARED, fd, 0), RSHM_MAP_FAILED, EEXIST);
    /* Partly occupied (the hole and the page after it). */
    CHECK(rshm_munmap(hole, page) == 0);
    CHECK_ERR(rshm_mmap_fixed(hole, 2 * page, rw, RSHM_MAP_SHARED, fd, 0), RSHM_MAP_FAILED, EEXIST);
    CHECK(base[0] == 'a' && base[2 * page] == 'a');

    /* Bad addresses and arguments. */
    CHECK_ERR(rshm_mmap_fixed(NULL, page, rw, RSHM_MAP_SHARED, fd, 0), RSHM_MAP_FAILED, EINVAL);
    CHECK_ERR(rshm_mmap_fixed(hole + 1, page, rw, RSHM_MAP_SHARED, fd, 0), RSHM_MAP_FAILED, EINVAL);
    CHECK_ERR(rshm_mmap_fixed(hole, 0, rw, RSHM_MAP_SHARED, fd, 0), RSHM_MAP_FAILED, EINVAL);
    CHECK_ERR(rshm_mmap_fixed(hole, page, rw, RSHM_MAP_SHARED, fd, 1), RSHM_MAP_FAILED, EINVAL);
    CHECK_ERR(rshm_mmap_fixed(hole, page, rw, RSHM_MAP_SHARED, -1, 0), RSHM_MAP_FAILED, EBADF);
    /* The hole is still free after all that. */
    p = rshm_mmap_fixed(hole, page, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, 0);
    CHECK(p == hole && strcmp(p, "exactly here") == 0);

    CHECK(rshm_munmap(base, 3 * page) == 0);
    rshm_close(fd);
    CHECK(rshm_shm_unlink(name) == 0);
    return check_done("mmap_fixed");
}
