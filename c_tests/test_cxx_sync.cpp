// rshm::wait, rshm::wake and rshm::mutex (include/rshm.hpp) in a segment
// that fork()ed processes share: the standard guards over the mutex,
// errors and timeouts, owners that die holding it, and wake-ups that
// reach a sleeper in another process.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>

#include "check_cxx.h"

using namespace std::chrono_literals;

static_assert(sizeof(rshm::mutex) == 64 && alignof(rshm::mutex) == alignof(rshm_mutex));
static_assert(std::is_standard_layout_v<rshm::mutex> && std::is_trivially_default_constructible_v<rshm::mutex> &&
              std::is_trivially_destructible_v<rshm::mutex>);
static_assert(!std::is_copy_constructible_v<rshm::mutex> && !std::is_move_constructible_v<rshm::mutex> &&
              !std::is_copy_assignable_v<rshm::mutex> && !std::is_move_assignable_v<rshm::mutex>);
static_assert(noexcept(std::declval<rshm::mutex &>().unlock()), "Lockable: unlock throws nothing");
static_assert(std::is_base_of_v<rshm::error, rshm::owner_died>);

// rshm::wait and rshm::wake take only a word that is itself in memory: a
// std::uint32_t or a std::atomic<std::uint32_t>, as an lvalue. Anything
// else would be copied to a temporary and slept on there, forever.
template <class W, class = void>
struct can_wait : std::false_type {};
template <class W>
struct can_wait<W, std::void_t<decltype(rshm::wait(std::declval<W>(), 0u))>> : std::true_type {};
template <class W, class = void>
struct can_wake : std::false_type {};
template <class W>
struct can_wake<W, std::void_t<decltype(rshm::wake(std::declval<W>()))>> : std::true_type {};
template <class W>
constexpr bool takes_word = can_wait<W>::value && can_wake<W>::value;
template <class W>
constexpr bool refuses_word = !can_wait<W>::value && !can_wake<W>::value;
static_assert(takes_word<std::uint32_t &> && takes_word<const std::uint32_t &> &&
              takes_word<std::atomic<std::uint32_t> &> && takes_word<const std::atomic<std::uint32_t> &>);
static_assert(refuses_word<int &> && refuses_word<long &> && refuses_word<std::uint16_t &> &&
              refuses_word<std::atomic<int> &> && refuses_word<std::atomic<std::uint64_t> &> &&
              refuses_word<volatile std::uint32_t &> && refuses_word<std::uint32_t> &&
              refuses_word<const std::uint32_t &&> && refuses_word<std::atomic<std::uint32_t> &&>);

// While set, every operator new fails, as when memory runs out: the lock
// calls must still say truthfully whether they hold the lock. Never
// inlined, so that valgrind, which puts its own operator new in place of
// this one, replaces the operator delete that goes with it too.
static bool refuse_new;

__attribute__((noinline)) void *operator new(std::size_t n) {
    void *p = refuse_new ? nullptr : std::malloc(n ? n : 1);
    if (p == nullptr)
        throw std::bad_alloc();
    return p;
}
__attribute__((noinline)) void *operator new(std::size_t n, const std::nothrow_t &) noexcept {
    return refuse_new ? nullptr : std::malloc(n ? n : 1);
}
__attribute__((noinline)) void operator delete(void *p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void *p, std::size_t) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }

// Whether refuse_new works here: not under valgrind (see above), where the
// out-of-memory checks are skipped, saying so; the other runs make them.
static bool can_refuse_new(const char *what) {
    bool refused = false;
    refuse_new = true;
    try {
        ::operator delete(::operator new(1));  // a call, which no compiler may leave out
    } catch (const std::bad_alloc &) {
        refused = true;
    }
    refuse_new = false;
    if (!refused)
        std::printf("skipped %s: operator new is not this test's (valgrind?)\n", what);
    return refused;
}

// What the processes share, laid over the segment's data.
struct shared {
    rshm::mutex lock;
    rshm::mutex other;
    rshm::mutex never_initialised;
    long counter;
    std::atomic<std::uint32_t> step;   // how far the test has gone, for the children
    std::atomic<std::uint32_t> value;  // slept on across processes
    std::uint32_t plain;               // a word without std::atomic
};

// The segment the processes share. A global, because a child ends with
// _exit without closing it: a handle only a register held would count as
// lost (valgrind) in every child.
static rshm::segment seg;

// Runs `f` in a child process, which exits 0 if it returns true and 1 if it
// returns false or throws; any lock it holds stays held as it exits.
template <class F>
static pid_t child(F f) {
    std::fflush(nullptr);  // or the child's copy of the buffers prints again
    pid_t pid = fork();
    if (pid == 0) {
        bool ok = false;
        try {
            ok = f();
        } catch (...) {
        }
        _exit(ok ? 0 : 1);
    }
    return pid;
}

// A child's verdict: its exit status, or -1.
static int reap(pid_t pid) {
    int status = -1;
    if (pid <= 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

// Moves the test to `step` and wakes whoever waits for it.
static void announce(shared *s, std::uint32_t step) {
    s->step = step;
    rshm::wake(s->step);
}

// Waits up to 10 s for the test to reach `step`: rshm::wait in the loop
// every waiter needs, with the time left (negative would mean forever).
static bool await(shared *s, std::uint32_t step) {
    const auto end = std::chrono::steady_clock::now() + 10s;
    for (std::uint32_t seen = s->step; seen != step; seen = s->step) {
        const auto left = end - std::chrono::steady_clock::now();
        if (left <= left.zero())
            return false;
        rshm::wait(s->step, seen, left);
    }
    return true;
}

// Out of memory at a process's first lock: the lock throws std::bad_alloc
// before it takes the mutex (the one allocation a lock ever makes, for
// rshm::owner_died later), and so leaves it free.
static void out_of_memory_at_the_first_lock(shared *s) {
    if (!can_refuse_new("out of memory at the first lock"))
        return;
    bool thrown = false;
    refuse_new = true;
    try {
        (void)s->lock.try_lock();
    } catch (const std::bad_alloc &) {
        thrown = true;
    }
    refuse_new = false;
    CHECK(thrown);
    CHECK(s->lock.try_lock());  // free, not held by this thread (EDEADLK)
    s->lock.unlock();
}

static void errors_in_one_thread(shared *s) {
    check_throws([&] { s->never_initialised.lock(); }, "mutex_lock", EINVAL);
    check_throws([&] { (void)s->never_initialised.try_lock(); }, "mutex_lock", EINVAL);
    errno = 0;
    s->never_initialised.unlock();
    CHECK(errno == EINVAL);
    errno = 0;
    s->lock.unlock();  // not held: refused, and no exception
    CHECK(errno == EPERM);
    check_throws([&] { s->lock.consistent(); }, "mutex_consistent", EINVAL);

    CHECK(s->lock.try_lock());
    check_throws([&] { s->lock.lock(); }, "mutex_lock", EDEADLK);
    check_throws([&] { (void)s->lock.try_lock(); }, "mutex_lock", EDEADLK);
    check_throws([&] { (void)s->lock.try_lock_for(1ms); }, "mutex_lock", EDEADLK);
    s->lock.unlock();
    CHECK(s->lock.try_lock_for(-1s));  // free: a negative wait still tries
    s->lock.unlock();
    CHECK(rshm_mutex_unlock(s->lock.native_handle()) == -1 && errno == EPERM);
}

// Two processes add to one counter, through std::lock_guard in one and
// std::unique_lock's try_lock_for (with std::scoped_lock every 16th time)
// in the other.
static void counter_across_fork(shared *s) {
    enum { N = 20000 };
    s->counter = 0;
    pid_t pid = child([s] {
        for (int i = 0; i < N; i++) {
            std::lock_guard<rshm::mutex> g(s->lock);
            s->counter++;
        }
        return true;
    });
    int timeouts = 0;
    for (int i = 0; i < N; i++) {
        if (i % 16 == 0) {
            std::scoped_lock g(s->lock);
            s->counter++;
            continue;
        }
        std::unique_lock<rshm::mutex> g(s->lock, std::defer_lock);
        while (!g.try_lock_for(1ms))
            timeouts++;
        s->counter++;
    }
    CHECK(reap(pid) == 0);
    CHECK(s->counter == 2 * N);
    std::printf("counter: 2 x %d under the lock, %d try_lock_for timeouts\n", N, timeouts);
}

// Held by another process: every try fails, waiting or not, and our unlock
// is refused; a lock() waits until the holder lets go.
static void held_elsewhere(shared *s) {
    s->step = 0;
    pid_t pid = child([s] {
        std::lock_guard<rshm::mutex> g(s->lock);
        announce(s, 1);
        return await(s, 2);
    });
    CHECK(await(s, 1));
    CHECK(!s->lock.try_lock());
    CHECK(!s->lock.try_lock_for(2ms));
    CHECK(!s->lock.try_lock_for(rshm::forever));  // tries only, as std::timed_mutex
    CHECK(!s->lock.try_lock_until(std::chrono::steady_clock::now() + 2ms));
    CHECK(!s->lock.try_lock_until(std::chrono::system_clock::now() - 1s));
    errno = 0;
    s->lock.unlock();
    CHECK(errno == EPERM);
    announce(s, 2);
    {
        std::unique_lock<rshm::mutex> g(s->lock);
        CHECK(g.owns_lock());
    }
    CHECK(reap(pid) == 0);
}

// try_lock_until at the ends of time, whatever the time_point's unit: min()
// only tries and max() waits for the holder, neither computing the time
// left in a type that overflows (hours::max() in nanoseconds, min() - now).
static void extreme_deadlines(shared *s) {
    using steady = std::chrono::steady_clock;
    using steady_hours = std::chrono::time_point<steady, std::chrono::hours>;
    using system_hours = std::chrono::time_point<std::chrono::system_clock, std::chrono::hours>;
    // Free: the earliest deadline still tries, the latest takes it at once.
    CHECK(s->lock.try_lock_until(steady::time_point::min()));
    s->lock.unlock();
    CHECK(s->lock.try_lock_until(steady::time_point::max()));
    s->lock.unlock();

    // Held by a child until the test reaches step 2, and 20 ms more.
    s->step = 0;
    pid_t pid = child([s] {
        s->lock.lock();
        announce(s, 1);
        bool ok = await(s, 2);
        usleep(20000);
        s->lock.unlock();
        return ok;
    });
    CHECK(await(s, 1));
    CHECK(!s->lock.try_lock_until(steady::time_point::min()));
    CHECK(!s->lock.try_lock_until(std::chrono::system_clock::time_point::min()));
    CHECK(!s->lock.try_lock_until(steady_hours::min()));
    CHECK(!s->lock.try_lock_until(system_hours::min()));
    announce(s, 2);
    CHECK(s->lock.try_lock_until(steady_hours::max()));  // true only once the child let go
    s->lock.unlock();
    CHECK(reap(pid) == 0);
}

// A child takes `m` and exits holding it, the data half-updated.
static void die_holding(shared *s, rshm::mutex &m) {
    pid_t pid = child([s, &m] {
        m.lock();
        s->counter = -1;
        return true;
    });
    CHECK(reap(pid) == 0);
}

static void owner_died(shared *s) {
    // Through std::lock_guard: the guard never exists, the handler holds
    // the lock, adopts it, repairs, marks it consistent.
    die_holding(s, s->lock);
    bool thrown = false;
    try {
        std::lock_guard<rshm::mutex> g(s->lock);
        CHECK(!"lock_guard did not throw owner_died");
    } catch (const rshm::owner_died &e) {
        thrown = true;
        std::lock_guard<rshm::mutex> g(e.mutex(), std::adopt_lock);
        CHECK(&e.mutex() == &s->lock);
        CHECK(e.code() == std::errc::owner_dead && std::strcmp(e.call(), "mutex_lock") == 0);
        CHECK(std::strstr(e.what(), "EOWNERDEAD") != nullptr);
        check_throws([&] { (void)s->lock.try_lock(); }, "mutex_lock", EDEADLK);  // we hold it
        s->counter = 0;
        e.mutex().consistent();
    }
    CHECK(thrown && s->counter == 0);
    CHECK(s->lock.try_lock());
    s->lock.unlock();

    // Through std::unique_lock::lock(): the guard exists but, its lock()
    // having thrown, owns nothing while the thread holds the lock (where
    // rshm::mutex is not strictly Lockable). Adopting makes it own it.
    die_holding(s, s->lock);
    thrown = false;
    {
        std::unique_lock<rshm::mutex> g(s->lock, std::defer_lock);
        try {
            g.lock();
            CHECK(!"unique_lock::lock did not throw owner_died");
        } catch (const rshm::owner_died &e) {
            thrown = true;
            CHECK(!g.owns_lock());
            check_throws([&] { (void)s->lock.try_lock(); }, "mutex_lock", EDEADLK);  // held all the same
            g = std::unique_lock<rshm::mutex>(e.mutex(), std::adopt_lock);
            s->counter = 0;
            e.mutex().consistent();
        }
        CHECK(thrown && g.owns_lock());
    }
    CHECK(s->counter == 0 && s->lock.try_lock());  // the guard let it go
    s->lock.unlock();

    // Through std::scoped_lock of two: the exception names the one whose
    // owner died, which is held; the other was let go.
    die_holding(s, s->other);
    thrown = false;
    try {
        std::scoped_lock both(s->lock, s->other);
        CHECK(!"scoped_lock did not throw owner_died");
    } catch (const rshm::owner_died &e) {
        thrown = true;
        CHECK(&e.mutex() == &s->other);
        check_throws([&] { (void)s->other.try_lock(); }, "mutex_lock", EDEADLK);
        CHECK(s->lock.try_lock());
        s->lock.unlock();
        e.mutex().consistent();
        e.mutex().unlock();
    }
    CHECK(thrown);

    // Through try_lock_for, let go without consistent(): unusable until init().
    die_holding(s, s->lock);
    thrown = false;
    try {
        (void)s->lock.try_lock_for(1s);
    } catch (const rshm::owner_died &e) {
        thrown = true;
        e.mutex().unlock();
    }
    CHECK(thrown);
    check_throws([&] { s->lock.lock(); }, "mutex_lock", ENOTRECOVERABLE);
    check_throws([&] { (void)s->lock.try_lock(); }, "mutex_lock", ENOTRECOVERABLE);
    s->lock.init();
    CHECK(s->lock.try_lock());
    s->lock.unlock();
}

// Out of memory when an owner died: still rshm::owner_died, which
// allocates nothing, never a std::bad_alloc thrown with the lock held.
static void owner_died_out_of_memory(shared *s) {
    if (!can_refuse_new("owner died, out of memory"))
        return;
    die_holding(s, s->lock);
    bool thrown = false;
    refuse_new = true;
    try {
        s->lock.lock();
        refuse_new = false;
        CHECK(!"lock did not throw owner_died");
    } catch (const rshm::owner_died &e) {
        refuse_new = false;
        thrown = true;
        std::lock_guard<rshm::mutex> g(e.mutex(), std::adopt_lock);
        CHECK(e.code() == std::errc::owner_dead && std::strstr(e.what(), "EOWNERDEAD") != nullptr);
        s->counter = 0;
        e.mutex().consistent();
    } catch (const std::bad_alloc &) {
        refuse_new = false;
        CHECK(!"std::bad_alloc, with the lock held");
        s->lock.consistent();
        s->lock.unlock();
    }
    CHECK(thrown && s->counter == 0);
}

static void wait_and_wake(shared *s) {
    s->plain = 7;
    CHECK(rshm::wait(s->plain, 8));  // differs: at once, whatever the timeout
    CHECK(!rshm::wait(s->plain, 7, 0s));
    CHECK(!rshm::wait(s->plain, 7, 1ms));
    CHECK(rshm::wake(s->plain) == 0);
    CHECK(rshm::wake(s->plain, 1) == 0);
    check_throws([&] { rshm::wake(s->plain, -1); }, "wake", EINVAL);
    void *page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED && munmap(page, 4096) == 0);
    const auto &gone = *static_cast<const std::uint32_t *>(page);
    check_throws([&] { rshm::wait(gone, 0, 0s); }, "wait", EFAULT);

    // A child sleeps on `value`. Until it sleeps a wake finds nobody; once
    // one lands the child finds the value unchanged and sleeps again.
    s->step = 0;
    s->value = 0;
    pid_t pid = child([s] {
        announce(s, 1);
        while (s->value == 0)
            if (!rshm::wait(s->value, 0, 10s))
                return false;
        return s->value == 42;
    });
    CHECK(await(s, 1));
    int woken = 0;
    for (int i = 0; i < 10000 && (woken = rshm::wake(s->value, 1)) == 0; i++)
        usleep(1000);
    CHECK(woken == 1);
    s->value = 42;
    rshm::wake(s->value);
    CHECK(reap(pid) == 0);
}

int main() {
    char name[96];
    check_name(name, sizeof name, "cxx-sync");
    try {
        seg = rshm::segment::create_init(name, sizeof(shared), 0600, [](void *data, std::size_t) {
            auto *s = static_cast<shared *>(data);
            s->lock.init();
            s->other.init();
        });
        // The children inherit the mapping through fork: the name can go
        // now, and nothing is left behind whatever happens next.
        rshm::segment::unlink(name);
        shared *s = seg.as<shared>();
        out_of_memory_at_the_first_lock(s);
        errors_in_one_thread(s);
        counter_across_fork(s);
        held_elsewhere(s);
        extreme_deadlines(s);
        owner_died(s);
        owner_died_out_of_memory(s);
        wait_and_wake(s);
    } catch (const std::exception &e) {
        CHECK(!"unexpected exception");
        std::fprintf(stderr, "  %s\n", e.what());
    }
    return check_done("cxx-sync");
}
