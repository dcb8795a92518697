// rshm.hpp's native_handle(): two channels and a timerfd in one poll(2)
// call, as an event loop waits on them; and rshm::version().
#include <poll.h>
#include <sys/timerfd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "check.h"
#include <rshm.hpp>

using namespace std::chrono_literals;

// Which of the descriptors poll(2) reports readable within `ms`, as bits.
static int ready(struct pollfd *fds, int n, int ms) {
    for (int i = 0; i < n; i++)
        fds[i].revents = 0;
    if (poll(fds, n, ms) < 0)
        return -1;
    int bits = 0;
    for (int i = 0; i < n; i++)
        if (fds[i].revents & POLLIN)
            bits |= 1 << i;
    return bits;
}

int main() {
    CHECK(std::strcmp(rshm::version(), RSHM_VERSION) == 0);

    char a[96], b[96];
    rshm::channel txa = rshm::channel::create(check_name(a, sizeof a, "cxx-ev-a"), 4096);
    rshm::channel txb = rshm::channel::create(check_name(b, sizeof b, "cxx-ev-b"), 4096);
    rshm::channel rxa = rshm::channel::open(a), rxb = rshm::channel::open(b);
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    CHECK(timer >= 0);
    struct pollfd fds[3] = {
        {rxa.native_handle(), POLLIN, 0},
        {rxb.native_handle(), POLLIN, 0},
        {timer, POLLIN, 0},
    };
    CHECK(rxa.native_handle() == fds[0].fd); // the same descriptor every time
    CHECK(ready(fds, 3, 0) == 0);

    txb.send("b", 1);
    CHECK(ready(fds, 3, 5000) == 2); // only b's
    char buf[16];
    CHECK(rxb.recv(buf, sizeof buf, 0s) == 1);
    CHECK(ready(fds, 3, 0) == 0); // drained

    struct itimerspec soon = {};
    soon.it_value.tv_nsec = 20 * 1000 * 1000;
    CHECK(timerfd_settime(timer, 0, &soon, nullptr) == 0);
    CHECK(ready(fds, 3, 5000) == 4); // the timer, and nothing else
    std::uint64_t ticks;
    CHECK(read(timer, &ticks, sizeof ticks) == (ssize_t)sizeof ticks);

    txa.send("aa", 2);
    txa.close();
    CHECK(ready(fds, 3, 5000) == 1);
    CHECK(rxa.recv(buf, sizeof buf, 0s) == 2);
    CHECK(ready(fds, 3, 0) == 1); // the sender closed: the next receive says EPIPE
    try {
        rxa.recv(buf, sizeof buf, 0s);
        CHECK(!"no exception");
    } catch (const rshm::error &e) {
        CHECK(e.code().value() == EPIPE);
    }

    close(timer);
    rshm::channel::unlink(a);
    rshm::channel::unlink(b);
    return check_done("c++ events");
}
