// rshm::topic (include/rshm.hpp): RAII, move-only, chrono timeouts, the
// publisher and subscribers, failures thrown as rshm::error with the errno.
#include <chrono>
#include <cstring>
#include <string>
#include <type_traits>

#include "check_cxx.h"

using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<rshm::topic> && !std::is_copy_assignable_v<rshm::topic>);
static_assert(std::is_nothrow_move_constructible_v<rshm::topic> && std::is_nothrow_move_assignable_v<rshm::topic>);

int main() {
    char buf[96];
    const std::string name = check_name(buf, sizeof buf, "cxx-topic");

    rshm::topic pub = rshm::topic::create(name, 256, 2);
    CHECK(pub && pub.capacity() == 256 && pub.max_message() == 224);
    check_throws([&] { rshm::topic::create(name, 256, 2); }, "topic_create", EEXIST);
    check_throws([&] { rshm::topic::take_over(name); }, "topic_open", EBUSY);
    rshm::topic a = rshm::topic::subscribe(name, 100ms);
    rshm::topic b = rshm::topic::subscribe(name);
    check_throws([&] { rshm::topic::subscribe(name); }, "topic_open", EUSERS);
    check_throws([&] { a.receive(buf, sizeof buf, 0s); }, "topic_receive", EAGAIN);
    check_throws([&] { a.receive(buf, sizeof buf, 2ms); }, "topic_receive", ETIMEDOUT);

    pub.publish("hello", 5, 0s);
    char *p = static_cast<char *>(pub.reserve(16));
    std::memcpy(p, "in place", 8);
    pub.commit(8);
    for (rshm::topic *s : {&a, &b}) {
        CHECK(s->receive(buf, sizeof buf) == 5 && std::memcmp(buf, "hello", 5) == 0);
        auto [msg, len] = s->peek(0ns);
        CHECK(len == 8 && std::memcmp(msg, "in place", 8) == 0);
        CHECK(s->release());
    }
    // b falls behind: the publisher never waits, and b counts its losses.
    for (int i = 0; i < 20; i++) pub.publish(&i, sizeof i, 0s);
    auto [m, n] = b.peek(0ns);
    (void)m;
    CHECK(n == sizeof(int));
    for (int i = 0; i < 20; i++) pub.publish(&i, sizeof i, 0s);
    CHECK(!b.release());
    int got = 0;
    while (true) {
        try {
            b.receive(buf, sizeof buf, 0s);
            got++;
        } catch (const rshm::error &e) {
            CHECK(e.code().value() == EAGAIN);
            break;
        }
    }
    CHECK(got + b.lost() == 40);

    rshm::topic moved = std::move(pub);
    CHECK(!pub && moved);
    moved.close();
    while (true) {
        try {
            a.receive(buf, sizeof buf, 0s);
        } catch (const rshm::error &e) {
            CHECK(e.code().value() == EPIPE);
            break;
        }
    }
    rshm::topic again = rshm::topic::take_over(name);
    CHECK(again);
    rshm::topic::unlink(name);
    return check_done("cxx-topic");
}
