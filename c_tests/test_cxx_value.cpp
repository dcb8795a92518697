// rshm::value and rshm::value_of<T> (include/rshm.hpp): RAII, move-only,
// chrono timeouts, failures thrown as rshm::error; a typed value written
// in one process and loaded whole in another.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <type_traits>

#include "check_cxx.h"

using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<rshm::value> && !std::is_copy_assignable_v<rshm::value>);
static_assert(std::is_nothrow_move_constructible_v<rshm::value> && std::is_nothrow_move_assignable_v<rshm::value>);
static_assert(!std::is_copy_constructible_v<rshm::value_of<int>>);
static_assert(!std::is_copy_constructible_v<rshm::value_reader> &&
              std::is_nothrow_move_constructible_v<rshm::value_reader>);

struct my_data {
    long long col1, col2, col3;
};

int main() {
    char buf[96];
    const std::string name = check_name(buf, sizeof buf, "cxx-value");

    rshm::value w = rshm::value::create(name, 64);
    CHECK(w && w.size() == 64);
    check_throws([&] { rshm::value::create(name, 64); }, "value_create", EEXIST);
    rshm::value r = rshm::value::open(name, RSHM_O_RDONLY, 100ms);
    check_throws([&] { rshm::value::open(name, RSHM_O_RDWR); }, "value_open", EBUSY);
    check_throws([&] { r.write("x", 1); }, "value_write", EBADF);
    CHECK(!r.wait(0, 0s));
    CHECK(!r.wait(0, 1ms));
    w.write("hello", 5);
    CHECK(r.wait(0, 0s));
    auto [n, version] = r.read(buf, sizeof buf);
    CHECK(n == 5 && version == 1 && std::memcmp(buf, "hello", 5) == 0);
    check_throws([&] { r.read(buf, 2); }, "value_read", EMSGSIZE);

    // A reader's cursor: the same reads; the handle's own waits for it.
    {
        rshm::value_reader cur(r);
        auto [cn, cv] = cur.read(buf, sizeof buf);
        CHECK(cn == 5 && cv == 1 && std::memcmp(buf, "hello", 5) == 0);
        check_throws([&] { cur.read(buf, 2); }, "value_reader_read", EMSGSIZE);
        check_throws([&] { r.read(buf, sizeof buf); }, "value_read", EBUSY);
        check_throws([&] { rshm::value_reader second(r); }, "value_reader_begin", EBUSY);
        check_throws([&] { r.close(); }, "value_close", EBUSY);
        CHECK(r); /* still open: the cursor holds it */
        rshm::value_reader moved_cur = std::move(cur);
        CHECK(moved_cur.read(buf, sizeof buf).second == 1);
        moved_cur.end();
        check_throws([&] { moved_cur.end(); }, "value_reader_end", EINVAL);
    }
    CHECK(r.read(buf, sizeof buf).second == 1);

    // Moving hands the handle over; the moved-from object owns nothing.
    rshm::value moved = std::move(w);
    CHECK(moved && !w);
    moved.close();
    CHECK(!moved);
    // The role is free again.
    rshm::value w2 = rshm::value::open(name, RSHM_O_RDWR);
    w2.write("again", 5);
    CHECK(r.read(buf, sizeof buf).second == 2);
    w2.close();
    r.close();
    rshm::value::unlink(name);
    check_throws([&] { rshm::value::unlink(name); }, "value_unlink", ENOENT);

    // A typed value across fork: the child stores 1000 structs, each with
    // col3 = col1 + col2; the parent loads only whole ones.
    const std::string typed = check_name(buf, sizeof buf, "cxx-value-typed");
    auto tw = rshm::value_of<my_data>::create(typed);
    auto tr = rshm::value_of<my_data>::open(typed, RSHM_O_RDONLY);
    check_throws([&] { tr.load(); }, "value_load", ENODATA);
    check_throws([&] { rshm::value_of<int>::open(typed, RSHM_O_RDONLY); }, "value_open", EMSGSIZE);
    tw.close();
    pid_t pid = fork();
    if (pid == 0) {
        auto cw = rshm::value_of<my_data>::open(typed, RSHM_O_RDWR, 1s);
        for (long long i = 1; i <= 1000; i++)
            cw.store({i, 2 * i, 3 * i});
        // _exit runs no destructor: close it, or valgrind may find it lost.
        cw.untyped().close();
        _exit(0);
    }
    std::uint64_t last = 0;
    bool whole = true;
    while (last < 1000) {
        if (!tr.wait(last, 10s))
            break;
        auto [d, v] = tr.load();
        whole = whole && d.col3 == d.col1 + d.col2 && v >= last;
        last = v;
    }
    CHECK(whole && last == 1000);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    tr.close();
    rshm::value::unlink(typed);
    return check_done("c++ value");
}
