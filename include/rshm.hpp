/*
 * rshm.hpp: a small header-only C++17 layer over rshm.h.
 *
 * rshm::fd and rshm::mapping own a descriptor and a mapping (move-only,
 * released in their destructors); the free functions mirror the C calls
 * and throw rshm::error, a std::system_error whose code() is the errno in
 * std::generic_category() and whose what() names the call, the errno and
 * the library's advice (rshm_errno_help).
 *
 *     rshm::fd f = rshm::shm_open("/demo", RSHM_O_CREAT | RSHM_O_RDWR, 0600);
 *     rshm::ftruncate(f, 4096);
 *     rshm::mapping m = rshm::map(f, 4096, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED);
 *     std::strcpy(m.as<char>(), "hello");
 *
 * Link with the library as for C (pkg-config --cflags --libs rshm).
 */
#ifndef RSHM_HPP
#define RSHM_HPP

#include <rshm.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace rshm {

/** A failed rshm call: code() is the errno (std::generic_category()), so
 *  `e.code() == std::errc::no_such_file_or_directory` works; what() reads
 *  "shm_open: ENOENT (No such file or directory): <advice>". */
class error : public std::system_error {
public:
    /** `call` names the failed call; a string literal (it is not copied). */
    error(int errnum, const char *call)
        : std::system_error(errnum, std::generic_category()),
          call_(call),
          what_(std::make_shared<const std::string>(std::string(call) + ": " + rshm_errno_name(errnum) + " (" +
                                                    rshm_errno_string(errnum) + "): " + rshm_errno_help(errnum))) {}

    const char *what() const noexcept override { return what_->c_str(); }
    /** The call that failed, e.g. "shm_open". */
    const char *call() const noexcept { return call_; }
    /** The errno's symbolic name, e.g. "ENOENT" (static string). */
    const char *name() const noexcept { return rshm_errno_name(code().value()); }
    /** The library's advice on the errno (static string). */
    const char *help() const noexcept { return rshm_errno_help(code().value()); }

private:
    const char *call_;
    // Shared so that copying the exception never throws.
    std::shared_ptr<const std::string> what_;
};

namespace detail {
/** Throws rshm::error for the errno the failed call left. */
[[noreturn]] inline void fail(const char *call) { throw error(errno, call); }

/** A std::string that can travel as a C string: an inner NUL would name another object. */
inline const char *c_str(const std::string &s, const char *call) {
    if (s.find('\0') != std::string::npos) throw error(EINVAL, call);
    return s.c_str();
}
}  // namespace detail

/** Owns one descriptor and closes it when destroyed. Move-only; a
 *  default-constructed or moved-from fd owns nothing (get() == -1). */
class fd {
public:
    fd() noexcept = default;
    /** Adopts `raw` (-1 for none): it will be closed by this object. */
    explicit fd(int raw) noexcept : raw_(raw) {}
    fd(fd &&other) noexcept : raw_(other.release()) {}
    fd &operator=(fd &&other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    fd(const fd &) = delete;
    fd &operator=(const fd &) = delete;
    ~fd() { reset(); }

    /** The descriptor, still owned by this object; -1 if none. */
    int get() const noexcept { return raw_; }
    explicit operator bool() const noexcept { return raw_ >= 0; }
    /** Gives up ownership: the caller closes the result. */
    int release() noexcept { return std::exchange(raw_, -1); }
    /** Closes the descriptor owned (errors ignored, as in the destructor) and adopts `raw`. */
    void reset(int raw = -1) noexcept {
        if (raw_ >= 0) rshm_close(raw_);
        raw_ = raw;
    }
    /** Closes now, reporting failure: throws rshm::error (EBADF if none is owned). */
    void close() {
        if (rshm_close(release()) != 0) detail::fail("close");
    }

private:
    int raw_ = -1;
};

/** Owns one mapping and unmaps it when destroyed. Move-only; a
 *  default-constructed or moved-from mapping owns nothing (data() == nullptr). */
class mapping {
public:
    mapping() noexcept = default;
    /** Adopts `len` bytes mapped at `addr` (rshm_mmap's result, not RSHM_MAP_FAILED). */
    mapping(void *addr, std::size_t len) noexcept : addr_(addr), len_(len) {}
    mapping(mapping &&other) noexcept : addr_(std::exchange(other.addr_, nullptr)), len_(std::exchange(other.len_, 0)) {}
    mapping &operator=(mapping &&other) noexcept {
        if (this != &other) {
            reset();
            addr_ = std::exchange(other.addr_, nullptr);
            len_ = std::exchange(other.len_, 0);
        }
        return *this;
    }
    mapping(const mapping &) = delete;
    mapping &operator=(const mapping &) = delete;
    ~mapping() { reset(); }

    void *data() const noexcept { return addr_; }
    std::size_t size() const noexcept { return len_; }
    explicit operator bool() const noexcept { return addr_ != nullptr; }
    /** The start of the mapping as a T; throws std::length_error if a T does not fit. */
    template <class T>
    T *as() const {
        if (sizeof(T) > len_) throw std::length_error("rshm::mapping::as: type larger than the mapping");
        return static_cast<T *>(addr_);
    }
    /** Gives up ownership: the caller unmaps the range returned. */
    std::pair<void *, std::size_t> release() noexcept {
        return {std::exchange(addr_, nullptr), std::exchange(len_, 0)};
    }
    /** Unmaps what is owned (errors ignored, as in the destructor). */
    void reset() noexcept {
        if (addr_ != nullptr) rshm_munmap(addr_, len_);
        addr_ = nullptr;
        len_ = 0;
    }
    /** Unmaps now, reporting failure: throws rshm::error. */
    void unmap() {
        auto [addr, len] = release();
        if (addr != nullptr && rshm_munmap(addr, len) != 0) detail::fail("munmap");
    }

private:
    void *addr_ = nullptr;
    std::size_t len_ = 0;
};

/** Opens (with RSHM_O_CREAT, creates) the object `name`: rshm_shm_open. */
inline fd shm_open(const std::string &name, int oflag, std::uint32_t mode = 0600) {
    int raw = rshm_shm_open(detail::c_str(name, "shm_open"), oflag, mode);
    if (raw < 0) detail::fail("shm_open");
    return fd(raw);
}

/** Removes the name `name`: rshm_shm_unlink. */
inline void shm_unlink(const std::string &name) {
    if (rshm_shm_unlink(detail::c_str(name, "shm_unlink")) != 0) detail::fail("shm_unlink");
}

/** Creates an anonymous shared-memory file: rshm_memfd_create (`flags`: RSHM_MFD_*). */
inline fd memfd_create(const std::string &name, unsigned flags = RSHM_MFD_CLOEXEC) {
    int raw = rshm_memfd_create(detail::c_str(name, "memfd_create"), flags);
    if (raw < 0) detail::fail("memfd_create");
    return fd(raw);
}

/** Sets the object's size: rshm_ftruncate. */
inline void ftruncate(const fd &f, std::int64_t size) {
    if (rshm_ftruncate(f.get(), size) != 0) detail::fail("ftruncate");
}

/** Describes the object: rshm_fstat. */
inline rshm_stat fstat(const fd &f) {
    rshm_stat st{};
    if (rshm_fstat(f.get(), &st) != 0) detail::fail("fstat");
    return st;
}

/** Changes the permission bits: rshm_fchmod. */
inline void fchmod(const fd &f, std::uint32_t mode) {
    if (rshm_fchmod(f.get(), mode) != 0) detail::fail("fchmod");
}

/** Changes owner and group ((uint32_t)-1 leaves one as it is): rshm_fchown. */
inline void fchown(const fd &f, std::uint32_t owner, std::uint32_t group) {
    if (rshm_fchown(f.get(), owner, group) != 0) detail::fail("fchown");
}

/** Maps `len` bytes of `f` from `offset`: rshm_mmap. `hint` is an address
 *  the kernel follows when free (exact only with RSHM_MAP_FIXED in flags). */
inline mapping map(const fd &f, std::size_t len, int prot, int flags, std::int64_t offset = 0,
                   void *hint = nullptr) {
    void *addr = rshm_mmap(hint, len, prot, flags, f.get(), offset);
    if (addr == RSHM_MAP_FAILED) detail::fail("mmap");
    return mapping(addr, len);
}

/** The size of a memory page in bytes: rshm_getpagesize. */
inline std::size_t page_size() noexcept { return static_cast<std::size_t>(rshm_getpagesize()); }

}  // namespace rshm

#endif /* RSHM_HPP */

/* ==== rshm::channel (rshm_channel_*) ======================================
 * A one-way message channel between processes, move-only, closed when
 * destroyed. Timeouts are std::chrono durations: rshm::forever (any negative
 * duration) waits without limit, zero only tries. Every failure throws
 * rshm::error, including EAGAIN and ETIMEDOUT (code() tells them apart).
 *
 *     auto tx = rshm::channel::create("/jobs", 1 << 20);
 *     tx.send("hello", 5);                                // waits for room
 *     auto rx = rshm::channel::open("/jobs", std::chrono::seconds(5));
 *     char buf[64];
 *     std::size_t n = rx.recv(buf, sizeof buf, std::chrono::milliseconds(100));
 */
#ifndef RSHM_HPP_CHANNEL
#define RSHM_HPP_CHANNEL

#include <chrono>
#include <limits>

namespace rshm {

/** A timeout that never ends. */
inline constexpr std::chrono::nanoseconds forever{-1};

namespace detail {
/** rshm's int64_t timeout: -1 for any negative duration, else nanoseconds
 *  (rounded up, so that a tiny positive wait still waits; clamped to int64_t). */
template <class Rep, class Period>
std::int64_t timeout_ns(std::chrono::duration<Rep, Period> d) {
    if (d < d.zero()) return -1;
    const auto ns = std::chrono::duration<long double, std::nano>(d).count();
    if (ns >= static_cast<long double>(std::numeric_limits<std::int64_t>::max()))
        return std::numeric_limits<std::int64_t>::max();
    const auto whole = static_cast<std::int64_t>(ns);
    return whole < ns ? whole + 1 : whole;
}
}  // namespace detail

/** Owns an rshm_channel handle. One sender, one receiver: the object becomes
 *  the sender on its first send()/reserve(), the receiver on its first
 *  recv()/peek(). Use it from one thread at a time; never in a fork child. */
class channel {
public:
    channel() noexcept = default;
    /** Adopts a handle from rshm_channel_create/open (nullptr for none). */
    explicit channel(rshm_channel *raw) noexcept : raw_(raw) {}
    channel(channel &&other) noexcept : raw_(other.release_handle()) {}
    channel &operator=(channel &&other) noexcept {
        if (this != &other) {
            rshm_channel_close(raw_);
            raw_ = other.release_handle();
        }
        return *this;
    }
    channel(const channel &) = delete;
    channel &operator=(const channel &) = delete;
    ~channel() { rshm_channel_close(raw_); }

    /** rshm_channel_create: room for at least `capacity` bytes of messages. */
    static channel create(const std::string &name, std::size_t capacity, std::uint32_t mode = 0600) {
        rshm_channel *c = rshm_channel_create(detail::c_str(name, "channel_create"), capacity, mode);
        if (!c) detail::fail("channel_create");
        return channel(c);
    }

    /** rshm_channel_open, waiting up to `timeout` (whole milliseconds, at
     *  most about 49 days; zero looks once) for the channel to exist. */
    template <class Rep = long long, class Period = std::milli>
    static channel open(const std::string &name,
                        std::chrono::duration<Rep, Period> timeout = std::chrono::milliseconds(0)) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
        const std::uint32_t limit = std::numeric_limits<std::uint32_t>::max();
        const std::uint32_t t = ms < 0 || ms > static_cast<long long>(limit) ? limit : static_cast<std::uint32_t>(ms);
        rshm_channel *c = rshm_channel_open(detail::c_str(name, "channel_open"), t);
        if (!c) detail::fail("channel_open");
        return channel(c);
    }

    /** rshm_channel_unlink: removes the name; open channels keep working. */
    static void unlink(const std::string &name) {
        if (rshm_channel_unlink(detail::c_str(name, "channel_unlink")) != 0) detail::fail("channel_unlink");
    }

    /** Copies `len` bytes at `msg` in as one message, waiting for room. */
    template <class Rep = long long, class Period = std::nano>
    void send(const void *msg, std::size_t len, std::chrono::duration<Rep, Period> timeout = forever) {
        if (rshm_channel_send(raw_, msg, len, detail::timeout_ns(timeout)) != 0) detail::fail("channel_send");
    }

    /** Copies the next message into `buf` and returns its length; EMSGSIZE
     *  (thrown) leaves a message too long for `cap` in the channel. */
    template <class Rep = long long, class Period = std::nano>
    std::size_t recv(void *buf, std::size_t cap, std::chrono::duration<Rep, Period> timeout = forever) {
        std::int64_t n = rshm_channel_recv(raw_, buf, cap, detail::timeout_ns(timeout));
        if (n < 0) detail::fail("channel_recv");
        return static_cast<std::size_t>(n);
    }

    /** Room for a `len`-byte message, written in place and published by commit(). */
    template <class Rep = long long, class Period = std::nano>
    void *reserve(std::size_t len, std::chrono::duration<Rep, Period> timeout = forever) {
        void *p = rshm_channel_reserve(raw_, len, detail::timeout_ns(timeout));
        if (!p) detail::fail("channel_reserve");
        return p;
    }

    /** Publishes the first `len` bytes of the reservation. */
    void commit(std::size_t len) {
        if (rshm_channel_commit(raw_, len) != 0) detail::fail("channel_commit");
    }

    /** The next message in place (address, length), valid until release(). */
    template <class Rep = long long, class Period = std::nano>
    std::pair<const void *, std::size_t> peek(std::chrono::duration<Rep, Period> timeout = forever) {
        std::size_t len = 0;
        const void *p = rshm_channel_peek(raw_, &len, detail::timeout_ns(timeout));
        if (!p) detail::fail("channel_peek");
        return {p, len};
    }

    /** Frees the message peek() returned. */
    void release() {
        if (rshm_channel_release(raw_) != 0) detail::fail("channel_release");
    }

    /** Room for queued messages, in bytes. */
    std::size_t capacity() const noexcept { return rshm_channel_capacity(raw_); }
    /** The longest message the channel can hold. */
    std::size_t max_message() const noexcept { return rshm_channel_max_message(raw_); }

    /** The handle, still owned by this object; nullptr if none. */
    rshm_channel *get() const noexcept { return raw_; }
    explicit operator bool() const noexcept { return raw_ != nullptr; }
    /** Gives up ownership: the caller closes the result. */
    rshm_channel *release_handle() noexcept { return std::exchange(raw_, nullptr); }

    /** Closes now (the peer then sees EPIPE), reporting failure by throwing. */
    void close() {
        if (rshm_channel_close(release_handle()) != 0) detail::fail("channel_close");
    }

private:
    rshm_channel *raw_ = nullptr;
};

}  // namespace rshm

#endif /* RSHM_HPP_CHANNEL */
