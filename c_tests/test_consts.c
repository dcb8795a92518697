/* Every RSHM_* constant has the system header's value, and rshm_stat has
 * the layout the header promises: int64_t size at offset 0, fixed-width
 * fields, no padding that differs between compilers. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "check.h"

/* The field has exactly type T. */
#define IS(T, field) _Generic(((rshm_stat *)0)->field, T: 1, default: 0)

int main(void) {
    CHECK(RSHM_O_RDONLY == O_RDONLY);
    CHECK(RSHM_O_WRONLY == O_WRONLY);
    CHECK(RSHM_O_RDWR == O_RDWR);
    CHECK(RSHM_O_CREAT == O_CREAT);
    CHECK(RSHM_O_EXCL == O_EXCL);
    CHECK(RSHM_O_TRUNC == O_TRUNC);
    CHECK(RSHM_O_CLOEXEC == O_CLOEXEC);

    CHECK(RSHM_PROT_NONE == PROT_NONE);
    CHECK(RSHM_PROT_READ == PROT_READ);
    CHECK(RSHM_PROT_WRITE == PROT_WRITE);
    CHECK(RSHM_PROT_EXEC == PROT_EXEC);

    CHECK(RSHM_MAP_SHARED == MAP_SHARED);
    CHECK(RSHM_MAP_PRIVATE == MAP_PRIVATE);
    CHECK(RSHM_MAP_FIXED == MAP_FIXED);
    CHECK(RSHM_MAP_SHARED_VALIDATE == MAP_SHARED_VALIDATE);
    CHECK(RSHM_MAP_ANONYMOUS == MAP_ANONYMOUS);
    CHECK(RSHM_MAP_NORESERVE == MAP_NORESERVE);
    CHECK(RSHM_MAP_POPULATE == MAP_POPULATE);
    CHECK(RSHM_MAP_HUGETLB == MAP_HUGETLB);
    CHECK(RSHM_MAP_FIXED_NOREPLACE == MAP_FIXED_NOREPLACE);
    CHECK(RSHM_MAP_FAILED == MAP_FAILED);

    CHECK(RSHM_MFD_CLOEXEC == MFD_CLOEXEC);
    CHECK(RSHM_MFD_ALLOW_SEALING == MFD_ALLOW_SEALING);
    CHECK(RSHM_MFD_HUGETLB == MFD_HUGETLB);

    CHECK(RSHM_F_SEAL_SEAL == F_SEAL_SEAL);
    CHECK(RSHM_F_SEAL_SHRINK == F_SEAL_SHRINK);
    CHECK(RSHM_F_SEAL_GROW == F_SEAL_GROW);
    CHECK(RSHM_F_SEAL_WRITE == F_SEAL_WRITE);
    CHECK(RSHM_F_SEAL_FUTURE_WRITE == F_SEAL_FUTURE_WRITE);

    /* Layout: 5 eight-byte fields, 4 four-byte ones, 6 eight-byte times. */
    CHECK(offsetof(rshm_stat, size) == 0);
    CHECK(offsetof(rshm_stat, blocks) == 8);
    CHECK(offsetof(rshm_stat, ino) == 16);
    CHECK(offsetof(rshm_stat, dev) == 24);
    CHECK(offsetof(rshm_stat, nlink) == 32);
    CHECK(offsetof(rshm_stat, mode) == 40);
    CHECK(offsetof(rshm_stat, uid) == 44);
    CHECK(offsetof(rshm_stat, gid) == 48);
    CHECK(offsetof(rshm_stat, blksize) == 52);
    CHECK(offsetof(rshm_stat, atime_sec) == 56);
    CHECK(offsetof(rshm_stat, atime_nsec) == 64);
    CHECK(offsetof(rshm_stat, mtime_sec) == 72);
    CHECK(offsetof(rshm_stat, mtime_nsec) == 80);
    CHECK(offsetof(rshm_stat, ctime_sec) == 88);
    CHECK(offsetof(rshm_stat, ctime_nsec) == 96);
    CHECK(sizeof(rshm_stat) == 104);
    CHECK(_Alignof(rshm_stat) == 8);

    CHECK(IS(int64_t, size) && IS(int64_t, blocks));
    CHECK(IS(uint64_t, ino) && IS(uint64_t, dev) && IS(uint64_t, nlink));
    CHECK(IS(uint32_t, mode) && IS(uint32_t, uid) && IS(uint32_t, gid) && IS(uint32_t, blksize));
    CHECK(IS(int64_t, atime_sec) && IS(int64_t, atime_nsec) && IS(int64_t, mtime_sec));
    CHECK(IS(int64_t, mtime_nsec) && IS(int64_t, ctime_sec) && IS(int64_t, ctime_nsec));
    return check_done("consts");
}
