// include/rshm.hpp: RAII owners close and unmap, move semantics hand
// ownership over, and failures throw rshm::error with the errno and advice.
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>

#include "check_cxx.h"

static_assert(!std::is_copy_constructible_v<rshm::fd> && !std::is_copy_assignable_v<rshm::fd>);
static_assert(std::is_nothrow_move_constructible_v<rshm::fd> && std::is_nothrow_move_assignable_v<rshm::fd>);
static_assert(!std::is_copy_constructible_v<rshm::mapping> && !std::is_copy_assignable_v<rshm::mapping>);
static_assert(std::is_nothrow_move_constructible_v<rshm::mapping>);
static_assert(std::is_base_of_v<std::system_error, rshm::error>);
static_assert(std::is_nothrow_copy_constructible_v<rshm::error>);

static void raii_closes_and_unmaps() {
    const std::size_t page = rshm::page_size();
    int raw = -1;
    void *addr = nullptr;
    {
        rshm::fd f = rshm::memfd_create("cxx-raii");
        raw = f.get();
        CHECK(raw >= 0 && !closed(raw));
        rshm::ftruncate(f, static_cast<std::int64_t>(page));
        rshm::mapping m = rshm::map(f, page, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED);
        addr = m.data();
        CHECK(m.size() == page && !unmapped(addr, page));
        std::strcpy(m.as<char>(), "raii");
    }
    CHECK(closed(raw));
    CHECK(unmapped(addr, page));
}

static void moves_hand_over_ownership() {
    const std::size_t page = rshm::page_size();
    rshm::fd a = rshm::memfd_create("cxx-move-a");
    int raw_a = a.get();
    rshm::fd b = std::move(a);
    CHECK(a.get() == -1 && !a);  // the moved-from state is the point
    CHECK(b.get() == raw_a && !closed(raw_a));

    rshm::fd c = rshm::memfd_create("cxx-move-c");
    int raw_c = c.get();
    c = std::move(b);  // c's old descriptor is closed, a's moves in
    CHECK(closed(raw_c));
    CHECK(c.get() == raw_a && !closed(raw_a));

    int released = c.release();
    CHECK(released == raw_a && c.get() == -1);
    rshm::fd adopted(released);
    rshm::ftruncate(adopted, static_cast<std::int64_t>(2 * page));
    CHECK(rshm::fstat(adopted).size == static_cast<std::int64_t>(2 * page));

    rshm::mapping m1 = rshm::map(adopted, page, RSHM_PROT_READ, RSHM_MAP_SHARED);
    void *addr1 = m1.data();
    rshm::mapping m2 = std::move(m1);
    CHECK(m1.data() == nullptr && m1.size() == 0 && !m1);
    CHECK(m2.data() == addr1 && m2.size() == page);
    rshm::mapping m3 = rshm::map(adopted, page, RSHM_PROT_READ, RSHM_MAP_SHARED, static_cast<std::int64_t>(page));
    void *addr3 = m3.data();
    m3 = std::move(m2);  // m3's old mapping goes
    CHECK(unmapped(addr3, page) && !unmapped(addr1, page));
    m3.unmap();
    CHECK(unmapped(addr1, page) && !m3);

    adopted.close();
    CHECK(closed(raw_a) && !adopted);
}

static void named_segment_round_trip() {
    char name[96];
    check_name(name, sizeof name, "cxx");
    const std::size_t page = rshm::page_size();
    {
        rshm::fd w = rshm::shm_open(name, RSHM_O_CREAT | RSHM_O_EXCL | RSHM_O_RDWR, 0600);
        rshm::ftruncate(w, static_cast<std::int64_t>(page));
        rshm::mapping wm = rshm::map(w, page, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED);
        struct header {
            std::uint64_t magic;
            char text[16];
        };
        header *h = wm.as<header>();
        h->magic = 0x7273686d;
        std::strcpy(h->text, "from C++");

        rshm::fd r = rshm::shm_open(std::string(name), RSHM_O_RDONLY);
        rshm_stat st = rshm::fstat(r);
        CHECK(st.size == static_cast<std::int64_t>(page) && (st.mode & 0777) == 0600 && st.nlink == 1);
        rshm::mapping rm = rshm::map(r, page, RSHM_PROT_READ, RSHM_MAP_SHARED);
        CHECK(rm.as<header>()->magic == 0x7273686d && std::strcmp(rm.as<header>()->text, "from C++") == 0);
        rshm::fchmod(w, 0640);
        rshm::fchown(w, static_cast<std::uint32_t>(-1), static_cast<std::uint32_t>(-1));
        CHECK((rshm::fstat(r).mode & 0777) == 0640);
        struct too_big {
            unsigned char bytes[1 << 20];
        };
        bool refused = false;
        try {
            (void)rm.as<too_big>();
        } catch (const std::length_error &) {
            refused = true;
        }
        CHECK(refused);
    }
    rshm::shm_unlink(name);
    check_throws([&] { rshm::shm_unlink(name); }, "shm_unlink", ENOENT);
}

static void failures_throw_with_errno_and_help() {
    char name[96];
    check_name(name, sizeof name, "cxx-missing");
    check_throws([&] { rshm::shm_open(name, RSHM_O_RDWR); }, "shm_open", ENOENT);
    check_throws([&] { rshm::shm_open(std::string("/rshm-test\0nul", 14), RSHM_O_RDWR); }, "shm_open", EINVAL);
    check_throws([] { rshm::memfd_create("cxx-flags", 1u << 20); }, "memfd_create", EINVAL);
    rshm::fd none;
    check_throws([&] { rshm::ftruncate(none, 4096); }, "ftruncate", EBADF);
    check_throws([&] { rshm::fstat(none); }, "fstat", EBADF);
    check_throws([&] { rshm::fchmod(none, 0600); }, "fchmod", EBADF);
    check_throws([&] { none.close(); }, "close", EBADF);
    rshm::fd f = rshm::memfd_create("cxx-errors");
    check_throws([&] { rshm::ftruncate(f, -1); }, "ftruncate", EINVAL);
    check_throws([&] { rshm::map(f, 0, RSHM_PROT_READ, RSHM_MAP_SHARED); }, "mmap", EINVAL);

    // Caught as the standard type, compared with the portable condition.
    try {
        rshm::shm_open(name, RSHM_O_RDWR);
        CHECK(!"no exception");
    } catch (const std::system_error &e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
    }
}

int main() {
    raii_closes_and_unmaps();
    moves_hand_over_ownership();
    named_segment_round_trip();
    failures_throw_with_errno_and_help();
    return check_done("cxx-wrapper");
}
