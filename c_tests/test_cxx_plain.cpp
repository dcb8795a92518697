// The plain C API from C++17: rshm.h compiles as C++ (extern "C", usable
// constants) and its calls behave as they do from C.
#include <fcntl.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

#include "check.h"

static_assert(RSHM_PROT_READ == PROT_READ && RSHM_PROT_WRITE == PROT_WRITE && RSHM_MAP_SHARED == MAP_SHARED);
static_assert(RSHM_O_CREAT == O_CREAT && RSHM_O_EXCL == O_EXCL && RSHM_O_RDWR == O_RDWR);
static_assert(std::is_same_v<decltype(&rshm_ftruncate), int (*)(int, std::int64_t)>);
static_assert(std::is_same_v<decltype(&rshm_mmap), void *(*)(void *, std::size_t, int, int, int, std::int64_t)>);
static_assert(std::is_standard_layout_v<rshm_stat> && sizeof(rshm_stat) == 8 * 11 + 4 * 4);

int main() {
    char buf[96];
    const std::string name = check_name(buf, sizeof buf, "cxx-plain");
    const long page = rshm_getpagesize();
    CHECK(page > 0);

    int fd = rshm_shm_open(name.c_str(), RSHM_O_CREAT | RSHM_O_EXCL | RSHM_O_RDWR, 0600);
    CHECK(fd >= 0);
    CHECK(rshm_ftruncate(fd, page) == 0);
    auto *p = static_cast<char *>(
        rshm_mmap(nullptr, static_cast<std::size_t>(page), RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0));
    CHECK(p != RSHM_MAP_FAILED);
    std::strcpy(p, "from C++ via C");

    int ro = rshm_shm_open(name.c_str(), RSHM_O_RDONLY, 0);
    CHECK(ro >= 0);
    auto *q = static_cast<const char *>(
        rshm_mmap(nullptr, static_cast<std::size_t>(page), RSHM_PROT_READ, RSHM_MAP_SHARED, ro, 0));
    CHECK(q != RSHM_MAP_FAILED && std::strcmp(q, "from C++ via C") == 0);

    rshm_stat st{};
    CHECK(rshm_fstat(ro, &st) == 0);
    auto [size, mode] = std::pair{st.size, st.mode};
    CHECK(size == page && (mode & 0777) == 0600);

    CHECK_ERR(rshm_shm_open(name.c_str(), RSHM_O_CREAT | RSHM_O_EXCL | RSHM_O_RDWR, 0600), -1, EEXIST);
    CHECK_ERR(rshm_fstat(ro, nullptr), -1, EFAULT);
    CHECK_ERR(rshm_mmap(nullptr, 0, RSHM_PROT_READ, RSHM_MAP_SHARED, ro, 0), RSHM_MAP_FAILED, EINVAL);
    CHECK_ERR(rshm_shm_open(nullptr, RSHM_O_RDWR, 0), -1, EFAULT);
    CHECK(std::string(rshm_errno_name(ENOENT)) == "ENOENT");
    CHECK(*rshm_errno_help(ENOENT) != '\0' && *rshm_errno_string(ENOENT) != '\0');

    CHECK(rshm_munmap(const_cast<char *>(q), static_cast<std::size_t>(page)) == 0);
    CHECK(rshm_munmap(p, static_cast<std::size_t>(page)) == 0);
    CHECK(rshm_close(ro) == 0 && rshm_close(fd) == 0);
    CHECK_ERR(rshm_close(fd), -1, EBADF);
    CHECK(rshm_shm_unlink(name.c_str()) == 0);
    CHECK_ERR(rshm_shm_unlink(name.c_str()), -1, ENOENT);
    return check_done("cxx-plain");
}
