// rshm.h from C++17 (-Wall -Wextra -Werror): C linkage, rshm_stat usable
// without `struct`, a standard-layout type that C and C++ lay out alike.
// Clean also under C++'s stricter warnings, which a program may turn on:
// the header's inline functions are C.
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wold-style-cast"
#pragma GCC diagnostic error "-Wzero-as-null-pointer-constant"
#pragma GCC diagnostic error "-Wpedantic"
#include <rshm.h>
#include <rshm.h>
#pragma GCC diagnostic pop

#include <cstddef>
#include <type_traits>

#include "check.h"

static_assert(std::is_standard_layout<rshm_stat>::value, "rshm_stat is shared with C");
static_assert(std::is_trivially_copyable<rshm_stat>::value, "rshm_stat is plain data");
static_assert(std::is_same<decltype(rshm_stat::size), int64_t>::value, "size is int64_t");
static_assert(offsetof(rshm_stat, size) == 0, "size comes first");
static_assert(sizeof(rshm_stat) == 104, "same size as in C");
static_assert(std::is_same<decltype(&rshm_mmap), void *(*)(void *, size_t, int, int, int, int64_t)>::value,
              "rshm_mmap's prototype");

int main() {
    rshm_stat st{};
    CHECK_ERR(rshm_fstat(-1, &st), -1, EBADF);
    CHECK(rshm_errno() == EBADF);
    int fd = rshm_memfd_create("rshm-test-cxx", RSHM_MFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(rshm_ftruncate(fd, 4096) == 0);
    CHECK(rshm_fstat(fd, &st) == 0 && st.size == 4096);
    void *p = rshm_mmap(nullptr, 4096, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    CHECK(p != RSHM_MAP_FAILED);
    if (p != RSHM_MAP_FAILED)
        CHECK(rshm_munmap(p, 4096) == 0);
    CHECK(rshm_close(fd) == 0);
    CHECK(rshm_errno_name(0) != nullptr && rshm_errno_help(0) != nullptr);
    return check_done("header (C++17)");
}
