// rshm::channel (include/rshm.hpp): RAII, move-only, chrono timeouts,
// failures thrown as rshm::error with the errno; across fork.
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <string>
#include <type_traits>

#include "check.h"
#include <rshm.hpp>

using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<rshm::channel> && !std::is_copy_assignable_v<rshm::channel>);
static_assert(std::is_nothrow_move_constructible_v<rshm::channel> &&
              std::is_nothrow_move_assignable_v<rshm::channel>);

// `f` throws rshm::error with errno `want`.
template <class F>
static void check_throws(F f, int want) {
    try {
        f();
        CHECK(!"no exception");
    } catch (const rshm::error &e) {
        CHECK(e.code().value() == want);
        if (e.code().value() != want)
            std::fprintf(stderr, "  got %s from %s, want %s\n", e.name(), e.call(), rshm_errno_name(want));
    }
}

int main() {
    char buf[96];
    const std::string name = check_name(buf, sizeof buf, "cxx-chan");

    rshm::channel tx = rshm::channel::create(name, 1000);
    CHECK(tx && tx.capacity() == 1000 && tx.max_message() == 984);
    check_throws([&] { rshm::channel::create(name, 1000); }, EEXIST);
    rshm::channel rx = rshm::channel::open(name, 100ms);
    check_throws([&] { rx.recv(buf, sizeof buf, 0s); }, EAGAIN);
    check_throws([&] { rx.recv(buf, sizeof buf, 2ms); }, ETIMEDOUT);

    tx.send("hello", 5, 0s);
    CHECK(rx.recv(buf, sizeof buf) == 5 && std::memcmp(buf, "hello", 5) == 0);
    char *p = static_cast<char *>(tx.reserve(16));
    std::memcpy(p, "in place", 8);
    tx.commit(8);
    check_throws([&] { rx.recv(buf, 4, 0s); }, EMSGSIZE);
    auto [msg, len] = rx.peek(0ns);
    CHECK(len == 8 && std::memcmp(msg, "in place", 8) == 0);
    rx.release();
    check_throws([&] { rx.release(); }, EINVAL);
    check_throws([&] { tx.send(buf, tx.max_message() + 1); }, EMSGSIZE);

    // A cursor: the channel's own sends throw EBUSY while it lives; moving
    // it hands it over; the channel sends again once it ended.
    {
        rshm::channel_sender cursor(tx);
        check_throws([&] { tx.send("x", 1, 0s); }, EBUSY);
        check_throws([&] { rshm::channel_sender second(tx); }, EBUSY);
        for (int i = 0; i < 50; i++) // 16 bytes each: 800 of the 1000
            cursor.send(&i, sizeof i, 0s);
        rshm::channel_sender moved_cursor(std::move(cursor));
        moved_cursor.send("end", 3, 0s);
        check_throws([&] { cursor.send("x", 1, 0s); }, EINVAL);
        int got = 0;
        for (int i = 0, v = -1; i < 50; i++)
            got += rx.recv(&v, sizeof v, 0s) == sizeof v && v == i;
        CHECK(got == 50);
        CHECK(rx.recv(buf, sizeof buf, 0s) == 3);
    }
    tx.send("after", 5, 0s);
    CHECK(rx.recv(buf, sizeof buf, 0s) == 5 && std::memcmp(buf, "after", 5) == 0);

    // Moving hands the handle and its role over.
    rshm::channel moved(std::move(tx));
    CHECK(!tx && moved);
    moved.send("moved", 5, rshm::forever);
    CHECK(rx.recv(buf, sizeof buf, 1s) == 5);
    rshm::channel other = rshm::channel::open(name);
    check_throws([&] { other.send("x", 1, 0s); }, EBUSY);
    other = std::move(moved); // closes `other`'s handle, takes the sender
    other.close();
    CHECK(!other);
    check_throws([&] { rx.recv(buf, sizeof buf, 1s); }, EPIPE);

    // Across fork: the child opens the channel and streams to the parent.
    rx = rshm::channel();
    rshm::channel::unlink(name);
    rshm::channel r2 = rshm::channel::create(name, 4096);
    pid_t pid = fork();
    if (pid == 0) {
        int ok = 1;
        try {
            rshm::channel c = rshm::channel::open(name, 1s);
            for (int i = 0; i < 1000; i++)
                c.send(&i, sizeof i);
        } catch (const rshm::error &) {
            ok = 0;
        }
        _exit(ok ? 0 : 1);
    }
    int good = 0;
    for (int i = 0; i < 1000; i++) {
        int v = -1;
        good += r2.recv(&v, sizeof v, 10s) == sizeof v && v == i;
    }
    CHECK(good == 1000);
    check_throws([&] { r2.recv(buf, sizeof buf, 10s); }, EPIPE);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    r2.close();
    rshm::channel::unlink(name);
    check_throws([] { rshm::channel::unlink(std::string("a\0b", 3)); }, EINVAL);
    check_throws([&] { rshm::channel::open(name); }, ENOENT);
    // A partial millisecond waits, rather than looking once.
    check_throws([&] { rshm::channel::open(name, 500us); }, ETIMEDOUT);
    check_throws([&] { rshm::channel::open(name, std::chrono::duration<double>(0.0005)); }, ETIMEDOUT);
    // Any negative duration waits for the channel, -1 us too: a child
    // creates it 20 ms later.
    pid = fork();
    if (pid == 0) {
        usleep(20000);
        // Closed before _exit, so that valgrind finds nothing leaked.
        rshm_channel *c = rshm_channel_create(name.c_str(), 4096, 0600);
        _exit(c != nullptr && rshm_channel_close(c) == 0 ? 0 : 1);
    }
    try {
        rshm::channel late = rshm::channel::open(name, -1us);
        CHECK(static_cast<bool>(late));
    } catch (const rshm::error &e) {
        CHECK(!"open with -1 us waits");
        std::fprintf(stderr, "  got %s\n", e.name());
    }
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    rshm::channel::unlink(name);
    return check_done("cxx-channel");
}
