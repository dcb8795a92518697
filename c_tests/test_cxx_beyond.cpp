// include/rshm.hpp over issue 4's calls: seals, descriptor passing, memory
// control, fallocate, fcntl, mode strings and exact fixed mappings; each
// failure throws rshm::error carrying the errno.
#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string>

#include "check_cxx.h"

static void seals() {
    const std::size_t page = rshm::page_size();
    const auto psize = static_cast<std::int64_t>(page);
    rshm::fd f = rshm::memfd_create("cxx-seal", RSHM_MFD_CLOEXEC | RSHM_MFD_ALLOW_SEALING);
    rshm::ftruncate(f, 2 * psize);
    CHECK(rshm::get_seals(f) == 0);
    rshm::add_seals(f, RSHM_F_SEAL_SHRINK | RSHM_F_SEAL_GROW);
    check_throws([&] { rshm::ftruncate(f, psize); }, "ftruncate", EPERM);
    check_throws([&] { rshm::fallocate(f, 0, 8 * psize); }, "fallocate", EPERM);
    {
        rshm::mapping m = rshm::map(f, page, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED);
        std::strcpy(m.as<char>(), "sealed");
        check_throws([&] { rshm::add_seals(f, RSHM_F_SEAL_WRITE); }, "add_seals", EBUSY);
    }  // unmapped here: now the write seal can go on
    rshm::add_seals(f, RSHM_F_SEAL_WRITE);
    check_throws([&] { rshm::map(f, page, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED); }, "mmap", EPERM);
    rshm::mapping ro = rshm::map(f, page, RSHM_PROT_READ, RSHM_MAP_SHARED);
    CHECK(std::strcmp(ro.as<char>(), "sealed") == 0);
    const unsigned want = RSHM_F_SEAL_SHRINK | RSHM_F_SEAL_GROW | RSHM_F_SEAL_WRITE;
    CHECK(rshm::get_seals(f) == want);
    CHECK(rshm::fcntl(f, RSHM_F_GET_SEALS) == static_cast<int>(want));
    rshm::add_seals(f, RSHM_F_SEAL_SEAL);
    check_throws([&] { rshm::add_seals(f, RSHM_F_SEAL_FUTURE_WRITE); }, "add_seals", EPERM);

    rshm::fd plain = rshm::memfd_create("cxx-unsealable");
    check_throws([&] { rshm::add_seals(plain, RSHM_F_SEAL_WRITE); }, "add_seals", EPERM);
    CHECK(rshm::get_seals(plain) == RSHM_F_SEAL_SEAL);
    rshm::fd none;
    check_throws([&] { rshm::add_seals(none, RSHM_F_SEAL_WRITE); }, "add_seals", EBADF);
    check_throws([&] { rshm::get_seals(none); }, "get_seals", EBADF);
    rshm::fd bits = rshm::memfd_create("cxx-bits", RSHM_MFD_ALLOW_SEALING);
    check_throws([&] { rshm::add_seals(bits, 0x8000u); }, "add_seals", EINVAL);
}

static void fd_passing() {
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    rshm::fd a(sv[0]), b(sv[1]);
    rshm::fd f = rshm::memfd_create("cxx-pass");
    rshm::ftruncate(f, 4096);
    rshm::send_fd(a, f);
    rshm::fd got = rshm::recv_fd(b);
    CHECK(got && got.get() != f.get());
    CHECK(rshm::fcntl(got, F_GETFD) & FD_CLOEXEC);
    rshm_stat x = rshm::fstat(f), y = rshm::fstat(got);
    CHECK(x.ino == y.ino && x.dev == y.dev && y.size == 4096);
    int raw = got.get();
    { rshm::fd gone = std::move(got); }
    CHECK(closed(raw));  // the received descriptor is owned like any other

    CHECK(write(a.get(), "x", 1) == 1);
    check_throws([&] { rshm::recv_fd(b); }, "recv_fd", EBADMSG);
    rshm::fd none;
    check_throws([&] { rshm::send_fd(none, f); }, "send_fd", EBADF);
    check_throws([&] { rshm::send_fd(a, none); }, "send_fd", EBADF);
    check_throws([&] { rshm::send_fd(f, f); }, "send_fd", ENOTSOCK);
    check_throws([&] { rshm::recv_fd(f); }, "recv_fd", ENOTSOCK);
    a.close();
    check_throws([&] { rshm::recv_fd(b); }, "recv_fd", ECONNRESET);
    check_throws([&] { rshm::send_fd(b, f); }, "send_fd", EPIPE);
}

static void memory_control() {
    const std::size_t page = rshm::page_size();
    rshm::fd f = rshm::memfd_create("cxx-memctl");
    rshm::fallocate(f, 0, 4 * static_cast<std::int64_t>(page));
    rshm_stat st = rshm::fstat(f);
    CHECK(st.size == 4 * static_cast<std::int64_t>(page) && st.blocks * 512 >= st.size);
    rshm::mapping m = rshm::map(f, 4 * page, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED);
    char perms[5];
    m.protect(RSHM_PROT_READ);
    CHECK(check_map_perms(m.data(), perms) == 0 && std::strcmp(perms, "r--s") == 0);
    m.protect(RSHM_PROT_READ | RSHM_PROT_WRITE);
    CHECK(check_map_perms(m.data(), perms) == 0 && std::strcmp(perms, "rw-s") == 0);
    std::memset(m.data(), 0x55, m.size());
    m.sync();
    m.sync(RSHM_MS_ASYNC | RSHM_MS_INVALIDATE);
    m.advise(RSHM_MADV_WILLNEED);
    m.advise(RSHM_MADV_REMOVE);  // frees the object's pages: zeros everywhere
    CHECK(m.as<unsigned char>()[0] == 0);
    m.lock();
    m.unlock();
    rshm::mlockall(RSHM_MCL_CURRENT);
    rshm::munlockall();

    check_throws([&] { m.protect(0x100000); }, "mprotect", EINVAL);
    check_throws([&] { m.sync(RSHM_MS_SYNC | RSHM_MS_ASYNC); }, "msync", EINVAL);
    check_throws([&] { m.advise(12345); }, "madvise", EINVAL);
    if (!CHECK_UNDER_ASAN)  // ASan makes mlockall a no-op that returns 0 (check.h)
        check_throws([] { rshm::mlockall(0); }, "mlockall", EINVAL);
    rshm::mapping empty;
    check_throws([&] { empty.protect(RSHM_PROT_READ); }, "mprotect", EINVAL);
    check_throws([&] { empty.sync(); }, "msync", EINVAL);
    check_throws([&] { empty.advise(RSHM_MADV_NORMAL); }, "madvise", EINVAL);
    check_throws([&] { empty.lock(); }, "mlock", EINVAL);
    check_throws([&] { empty.unlock(); }, "munlock", EINVAL);
    rshm::fd dup(rshm::fcntl(f, F_DUPFD_CLOEXEC, 100));
    CHECK(dup.get() >= 100 && rshm::fstat(dup).ino == st.ino);
    // A read-only descriptor's shared mapping cannot become writable.
    char name[96];
    check_name(name, sizeof name, "cxx-memctl");
    rshm::fd w = rshm::shm_open(name, RSHM_O_CREAT | RSHM_O_EXCL | RSHM_O_RDWR, 0600);
    rshm::fd r = rshm::shm_open(name, RSHM_O_RDONLY);
    rshm::shm_unlink(name);
    rshm::ftruncate(w, static_cast<std::int64_t>(page));
    rshm::mapping rm = rshm::map(r, page, RSHM_PROT_READ, RSHM_MAP_SHARED);
    check_throws([&] { rm.protect(RSHM_PROT_READ | RSHM_PROT_WRITE); }, "mprotect", EACCES);
    check_throws([&] { rshm::fallocate(r, 0, 8 * static_cast<std::int64_t>(page)); }, "fallocate", EBADF);

    check_throws([&] { rshm::fallocate(f, -1, 10); }, "fallocate", EINVAL);
    check_throws([&] { rshm::fallocate(f, INT64_MAX, 1); }, "fallocate", EFBIG);
    // On /dev/shm (never a memfd, which has no size limit: that would ask
    // the machine for the memory) far too much is ENOSPC at once.
    check_throws([&] { rshm::fallocate(w, 0, std::int64_t{1} << 50); }, "fallocate", ENOSPC);
    check_throws([&] { rshm::fcntl(f, F_GETLK); }, "fcntl", EINVAL);
    rshm::fd none;
    check_throws([&] { rshm::fcntl(none, F_GETFD); }, "fcntl", EBADF);
    check_throws([&] { rshm::fallocate(none, 0, 1); }, "fallocate", EBADF);
}

static void modes() {
    CHECK(rshm::mode_string(0600) == "[0600] rw-------");
    CHECK(rshm::mode_string(0100640) == "[0640] rw-r-----");
    CHECK(rshm::mode_string(04755) == "[4755] rwsr-xr-x");
    CHECK(rshm::mode_string(01777) == "[1777] rwxrwxrwt");
}

static void fixed_mappings() {
    const std::size_t page = rshm::page_size();
    const int rw = RSHM_PROT_READ | RSHM_PROT_WRITE;
    rshm::fd f = rshm::memfd_create("cxx-fixed");
    rshm::ftruncate(f, static_cast<std::int64_t>(page));
    rshm::fd anon;
    // Three pages of ours, the middle one freed: a hole of known address.
    rshm::mapping held = rshm::map(anon, 3 * page, rw, RSHM_MAP_PRIVATE | RSHM_MAP_ANONYMOUS);
    char *base = held.as<char>();
    std::memset(base, 'a', 3 * page);
    char *hole = base + page;
    CHECK(rshm_munmap(hole, page) == 0);
    {
        rshm::mapping m = rshm::map_fixed(hole, f, page, rw, RSHM_MAP_SHARED);
        CHECK(m.data() == hole && m.size() == page);
        std::strcpy(m.as<char>(), "exactly here");
        rshm::mapping other = rshm::map(f, page, RSHM_PROT_READ, RSHM_MAP_SHARED);
        CHECK(std::strcmp(other.as<char>(), "exactly here") == 0);
        check_throws([&] { rshm::map_fixed(hole, f, page, rw, RSHM_MAP_SHARED); }, "mmap_fixed", EEXIST);
        check_throws([&] { rshm::map_fixed(base, f, page, rw, RSHM_MAP_SHARED | RSHM_MAP_FIXED); }, "mmap_fixed",
                     EEXIST);
    }
    CHECK(unmapped(hole, page));  // the mapping's destructor released it
    CHECK(base[0] == 'a' && base[2 * page] == 'a');
    check_throws([&] { rshm::map_fixed(nullptr, f, page, rw, RSHM_MAP_SHARED); }, "mmap_fixed", EINVAL);
    check_throws([&] { rshm::map_fixed(hole + 1, f, page, rw, RSHM_MAP_SHARED); }, "mmap_fixed", EINVAL);
    check_throws([&] { rshm::map_fixed(hole, anon, page, rw, RSHM_MAP_SHARED); }, "mmap_fixed", EBADF);
}

int main() {
    seals();
    fd_passing();
    memory_control();
    modes();
    fixed_mappings();
    return check_done("cxx-beyond");
}
