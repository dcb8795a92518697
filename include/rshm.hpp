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
 * rshm::segment owns a named segment (rshm_segment_*): create, create_init
 * with any callable, open with a timeout; it is unmapped and closed in its
 * destructor. Later groups of the C API follow in delimited sections at the
 * end of this file, each with its own include guard: rshm::channel, then
 * rshm::wait, rshm::wake and rshm::mutex.
 *
 * Link with the library as for C (pkg-config --cflags --libs rshm).
 */
#ifndef RSHM_HPP
#define RSHM_HPP

#include <rshm.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace rshm {

/** A failed rshm call: code() is the errno (std::generic_category()), so
 *  `e.code() == std::errc::no_such_file_or_directory` works; what() reads
 *  "shm_open: ENOENT (No such file or directory): <advice>", followed by
 *  " [<detail>]" when the library said what it found (rshm_error_detail,
 *  taken when the call failed: "rshm_segment_open(\"/x\"): \"/dev/shm/x\"
 *  is a FIFO, not a shared memory object"). */
class error : public std::system_error {
public:
    /** `call` names the failed call; a string literal (it is not copied).
     *  `detail` is copied: rshm_error_detail() right after the failed C
     *  call, or "" for a failure the C++ layer found itself. */
    error(int errnum, const char *call, const char *detail = "")
        : std::system_error(errnum, std::generic_category()),
          call_(call),
          detail_(std::make_shared<const std::string>(detail ? detail : "")),
          what_(std::make_shared<const std::string>(std::string(call) + ": " + rshm_errno_name(errnum) + " (" +
                                                    rshm_errno_string(errnum) + "): " + rshm_errno_help(errnum) +
                                                    (detail_->empty() ? "" : " [" + *detail_ + "]"))) {}

    const char *what() const noexcept override { return what_->c_str(); }
    /** The call that failed, e.g. "shm_open". */
    const char *call() const noexcept { return call_; }
    /** The errno's symbolic name, e.g. "ENOENT" (static string). */
    const char *name() const noexcept { return rshm_errno_name(code().value()); }
    /** The library's advice on the errno (static string). */
    const char *help() const noexcept { return rshm_errno_help(code().value()); }
    /** What the library said it found (rshm_error_detail when the call
     *  failed); "" when it said nothing or the C++ layer refused the call. */
    const char *error_detail() const noexcept { return detail_->c_str(); }

private:
    const char *call_;
    // Shared so that copying the exception never throws.
    std::shared_ptr<const std::string> detail_;
    std::shared_ptr<const std::string> what_;
};

namespace detail {
/** Throws rshm::error for the errno and the detail the failed call left. */
[[noreturn]] inline void fail(const char *call) {
    int err = errno;
    throw error(err, call, rshm_error_detail());
}

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

    /* Memory control over the whole mapping; an empty mapping is EINVAL. */

    /** Changes the pages' access to `prot` (RSHM_PROT_*): rshm_mprotect. */
    void protect(int prot) {
        check("mprotect");
        if (rshm_mprotect(addr_, len_, prot) != 0) detail::fail("mprotect");
    }
    /** Writes changes back (RSHM_MS_SYNC or RSHM_MS_ASYNC, | RSHM_MS_INVALIDATE): rshm_msync. */
    void sync(int flags = RSHM_MS_SYNC) {
        check("msync");
        if (rshm_msync(addr_, len_, flags) != 0) detail::fail("msync");
    }
    /** Advises the kernel (RSHM_MADV_*): rshm_madvise. */
    void advise(int advice) {
        check("madvise");
        if (rshm_madvise(addr_, len_, advice) != 0) detail::fail("madvise");
    }
    /** Locks the pages in memory: rshm_mlock. */
    void lock() {
        check("mlock");
        if (rshm_mlock(addr_, len_) != 0) detail::fail("mlock");
    }
    /** Unlocks the pages: rshm_munlock. */
    void unlock() {
        check("munlock");
        if (rshm_munlock(addr_, len_) != 0) detail::fail("munlock");
    }

private:
    void check(const char *call) const {
        if (addr_ == nullptr) throw error(EINVAL, call);
    }

    void *addr_ = nullptr;
    std::size_t len_ = 0;
};

/** The version of the library loaded ("MAJOR.MINOR.PATCH"); RSHM_VERSION
 *  is the header's. */
inline const char *version() noexcept { return rshm_version(); }

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

/** Maps `len` bytes of `f` from `offset` exactly at `addr`, never
 *  replacing a mapping there (EEXIST instead): rshm_mmap_fixed. */
inline mapping map_fixed(void *addr, const fd &f, std::size_t len, int prot, int flags, std::int64_t offset = 0) {
    void *p = rshm_mmap_fixed(addr, len, prot, flags, f.get(), offset);
    if (p == RSHM_MAP_FAILED) detail::fail("mmap_fixed");
    return mapping(p, len);
}

/** Locks every page of the process (RSHM_MCL_*): rshm_mlockall. */
inline void mlockall(int flags) {
    if (rshm_mlockall(flags) != 0) detail::fail("mlockall");
}

/** Unlocks every page of the process: rshm_munlockall. */
inline void munlockall() {
    if (rshm_munlockall() != 0) detail::fail("munlockall");
}

/** Reserves bytes [offset, offset + len) of `f` now, growing it if needed: rshm_fallocate. */
inline void fallocate(const fd &f, std::int64_t offset, std::int64_t len) {
    if (rshm_fallocate(f.get(), offset, len) != 0) detail::fail("fallocate");
}

/** fcntl(2) with an int argument: rshm_fcntl. Returns what fcntl returns
 *  (a new descriptor for F_DUPFD*: adopt it with rshm::fd). */
inline int fcntl(const fd &f, int cmd, int arg = 0) {
    int r = rshm_fcntl(f.get(), cmd, arg);
    if (r < 0) detail::fail("fcntl");
    return r;
}

/** Adds seals (RSHM_F_SEAL_*) to a memfd made with RSHM_MFD_ALLOW_SEALING: rshm_add_seals. */
inline void add_seals(const fd &f, unsigned seals) {
    if (rshm_add_seals(f.get(), seals) != 0) detail::fail("add_seals");
}

/** The seals on `f` (RSHM_F_SEAL_*, 0 for none): rshm_get_seals. */
inline unsigned get_seals(const fd &f) {
    int r = rshm_get_seals(f.get());
    if (r < 0) detail::fail("get_seals");
    return static_cast<unsigned>(r);
}

/** Sends the descriptor `f` over the connected unix socket `sock`
 *  (SCM_RIGHTS): rshm_send_fd. `f` stays open and owned by the caller. */
inline void send_fd(const fd &sock, const fd &f) {
    if (rshm_send_fd(sock.get(), f.get()) != 0) detail::fail("send_fd");
}

/** Receives a descriptor from the unix socket `sock` (close-on-exec): rshm_recv_fd. */
inline fd recv_fd(const fd &sock) {
    int raw = rshm_recv_fd(sock.get());
    if (raw < 0) detail::fail("recv_fd");
    return fd(raw);
}

/** The permission bits of `mode` as ls shows them: "[0600] rw-------". */
inline std::string mode_string(std::uint32_t mode) {
    char buf[32];
    // Cannot fail: the buffer is non-NULL and longer than the 17 bytes needed.
    return rshm_mode_string(mode, buf, sizeof buf);
}

namespace detail {
/** Carries a C++ callable through rshm_segment_create_init's C callback,
 *  and any exception it throws back: an exception must not unwind through
 *  the library's frames (its cleanup would be skipped). */
template <class F>
struct segment_init {
    F *init;
    std::exception_ptr thrown;

    static int run(void *data, std::size_t size, void *ctx) noexcept {
        auto *self = static_cast<segment_init *>(ctx);
        try {
            using R = std::invoke_result_t<F &, void *, std::size_t>;
            if constexpr (std::is_void_v<R>) {
                (*self->init)(data, size);
                return 0;
            } else {
                static_assert(std::is_convertible_v<R, int> && !std::is_same_v<std::decay_t<R>, bool>,
                              "a segment init returns int (0: success) or void (throws to fail)");
                return static_cast<int>((*self->init)(data, size)) == 0 ? 0 : 1;
            }
        } catch (...) {
            self->thrown = std::current_exception();
            return 1;
        }
    }
};
}  // namespace detail

/** Owns an open, mapped named segment (rshm_segment) and closes it when
 *  destroyed: unmapped, descriptor closed; the name stays until
 *  segment::unlink. Move-only; a default-constructed or moved-from segment
 *  owns nothing (data() == nullptr, size() == 0). */
class segment {
public:
    segment() noexcept = default;
    /** Adopts `raw` (from rshm_segment_create/open, or nullptr). */
    explicit segment(rshm_segment *raw) noexcept : raw_(raw) {}
    segment(segment &&other) noexcept : raw_(other.release()) {}
    segment &operator=(segment &&other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    segment(const segment &) = delete;
    segment &operator=(const segment &) = delete;
    ~segment() { reset(); }

    /** Creates `name` with `size` zeroed bytes: rshm_segment_create. */
    static segment create(const std::string &name, std::size_t size, std::uint32_t mode = 0600) {
        rshm_segment *raw = rshm_segment_create(detail::c_str(name, "segment_create"), size, mode);
        if (raw == nullptr) detail::fail("segment_create");
        return segment(raw);
    }

    /** Creates `name` and runs `init(void *data, std::size_t size)` on its
     *  data before any opener can see it: rshm_segment_create_init. `init`
     *  returns int (non-zero abandons: rshm::error ECANCELED) or void; an
     *  exception it throws abandons the creation too and is rethrown here.
     *  Either way nothing is left behind. */
    template <class F>
    static segment create_init(const std::string &name, std::size_t size, std::uint32_t mode, F &&init) {
        using call_t = detail::segment_init<std::remove_reference_t<F>>;
        call_t call{&init, nullptr};
        rshm_segment *raw =
            rshm_segment_create_init(detail::c_str(name, "segment_create_init"), size, mode, &call_t::run, &call);
        int err = errno;
        if (call.thrown) {
            if (raw != nullptr) rshm_segment_close(raw);  // the library ignored init's failure: cannot happen
            std::rethrow_exception(call.thrown);
        }
        if (raw == nullptr) throw error(err, "segment_create_init", rshm_error_detail());
        return segment(raw);
    }

    /** Opens `name` (RSHM_O_RDONLY or RSHM_O_RDWR), waiting up to `timeout`
     *  for it to exist and be complete (0: look once; longer than 2^32-1 ms
     *  is that; negative is EINVAL): rshm_segment_open. */
    static segment open(const std::string &name, int oflag,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
        const char *cname = detail::c_str(name, "segment_open");
        if (timeout.count() < 0) throw error(EINVAL, "segment_open");
        auto ms = static_cast<std::uint32_t>(
            std::min<std::chrono::milliseconds::rep>(timeout.count(), std::numeric_limits<std::uint32_t>::max()));
        rshm_segment *raw = rshm_segment_open(cname, oflag, ms);
        if (raw == nullptr) detail::fail("segment_open");
        return segment(raw);
    }

    /** Removes the name: rshm_segment_unlink. Open segments stay valid. */
    static void unlink(const std::string &name) {
        if (rshm_segment_unlink(detail::c_str(name, "segment_unlink")) != 0) detail::fail("segment_unlink");
    }

    /** The data (page-aligned, shared), valid until the segment is closed; nullptr if none. */
    void *data() const noexcept { return raw_ ? rshm_segment_data(raw_) : nullptr; }
    /** The size of the data, as the creator asked; 0 if none. */
    std::size_t size() const noexcept { return raw_ ? rshm_segment_size(raw_) : 0; }
    explicit operator bool() const noexcept { return raw_ != nullptr; }
    /** The data as a T; throws std::length_error if a T does not fit (or none is owned). */
    template <class T>
    T *as() const {
        if (raw_ == nullptr || sizeof(T) > size())
            throw std::length_error("rshm::segment::as: type larger than the segment");
        return static_cast<T *>(data());
    }
    /** The handle, still owned by this object. */
    rshm_segment *get() const noexcept { return raw_; }
    /** Gives up ownership: the caller closes the result (rshm_segment_close). */
    rshm_segment *release() noexcept { return std::exchange(raw_, nullptr); }
    /** Closes what is owned (errors ignored, as in the destructor) and adopts `raw`. */
    void reset(rshm_segment *raw = nullptr) noexcept {
        if (raw_ != nullptr) rshm_segment_close(raw_);
        raw_ = raw;
    }
    /** Closes now, reporting failure: throws rshm::error. Closing an empty segment does nothing. */
    void close() {
        if (rshm_segment_close(release()) != 0) detail::fail("segment_close");
    }

private:
    rshm_segment *raw_ = nullptr;
};

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

/** An open's uint32_t timeout in milliseconds: rounded up, and UINT32_MAX
 *  (about 49 days) for any negative duration or one at least that long. */
template <class Rep, class Period>
std::uint32_t timeout_ms(std::chrono::duration<Rep, Period> timeout) {
    const std::uint32_t limit = std::numeric_limits<std::uint32_t>::max();
    // Compared in long double milliseconds, which no duration overflows;
    // below the limit, the rounded-up count fits.
    const bool longest =
        timeout < timeout.zero() || timeout >= std::chrono::duration<long double, std::milli>(limit);
    return longest ? limit
                   : static_cast<std::uint32_t>(std::chrono::ceil<std::chrono::milliseconds>(timeout).count());
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

    /** rshm_channel_create: room for `capacity` bytes of messages, rounded up to 8 and to at least 64. */
    static channel create(const std::string &name, std::size_t capacity, std::uint32_t mode = 0600) {
        rshm_channel *c = rshm_channel_create(detail::c_str(name, "channel_create"), capacity, mode);
        if (!c) detail::fail("channel_create");
        return channel(c);
    }

    /** rshm_channel_open, waiting up to `timeout` (rounded up to a
     *  millisecond, at most about 49 days; zero looks once, any negative
     *  duration waits that long) for the channel to exist. */
    template <class Rep = long long, class Period = std::milli>
    static channel open(const std::string &name,
                        std::chrono::duration<Rep, Period> timeout = std::chrono::milliseconds(0)) {
        rshm_channel *c = rshm_channel_open(detail::c_str(name, "channel_open"), detail::timeout_ms(timeout));
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

    /** rshm_channel_fd: the receiver's descriptor for poll/epoll/select,
     *  readable exactly when the next receive would not block (the handle
     *  becomes the receiver). Owned by this object: poll it, never close it. */
    int native_handle() {
        int d = rshm_channel_fd(raw_);
        if (d < 0) detail::fail("channel_fd");
        return d;
    }

    /** The handle, still owned by this object; nullptr if none. */
    rshm_channel *get() const noexcept { return raw_; }
    explicit operator bool() const noexcept { return raw_ != nullptr; }
    /** Gives up ownership: the caller closes the result. */
    rshm_channel *release_handle() noexcept { return std::exchange(raw_, nullptr); }

    /** Closes now (the peer then sees EPIPE), reporting failure by throwing. */
    void close() {
        if (rshm_channel_close(raw_) != 0) {
            if (errno != EBUSY) raw_ = nullptr; /* freed all the same; EBUSY: a cursor holds it */
            detail::fail("channel_close");
        }
        raw_ = nullptr;
    }

private:
    rshm_channel *raw_ = nullptr;
};

/** A sender's cursor (rshm_channel_sender_begin): while it lives, a
 *  channel's sends whose common case runs inline, with the cursor in the
 *  caller's registers when this object is a local (benches/README.md:
 *  about 0.9x of a bare C ring in the caller's loop, against about 0.7x
 *  through rshm::channel::send). The channel's own sends and close()
 *  throw EBUSY meanwhile, and the cursor and its channel are used by one
 *  thread. Move-only; ends in its destructor (or end()), before its
 *  channel closes. */
class channel_sender {
public:
    /** rshm_channel_sender_begin: the channel becomes the sender if it is not yet. */
    explicit channel_sender(channel &ch) {
        if (rshm_channel_sender_begin(ch.get(), &s_) != 0) detail::fail("channel_sender_begin");
    }
    channel_sender(channel_sender &&other) noexcept : s_(other.s_) { other.s_.abi = 0; }
    channel_sender &operator=(channel_sender &&other) noexcept {
        if (this != &other) {
            if (s_.abi != 0) rshm_channel_sender_end(&s_);
            s_ = other.s_;
            other.s_.abi = 0;
        }
        return *this;
    }
    channel_sender(const channel_sender &) = delete;
    channel_sender &operator=(const channel_sender &) = delete;
    ~channel_sender() {
        if (s_.abi != 0) rshm_channel_sender_end(&s_);
    }

    /** As rshm::channel::send. */
    template <class Rep = long long, class Period = std::nano>
    void send(const void *msg, std::size_t len, std::chrono::duration<Rep, Period> timeout = forever) {
        if (rshm_channel_sender_send(&s_, msg, len, detail::timeout_ns(timeout)) != 0)
            detail::fail("channel_sender_send");
    }

    /** Ends the cursor now, reporting failure by throwing; the channel sends again. */
    void end() {
        if (rshm_channel_sender_end(&s_) != 0) detail::fail("channel_sender_end");
    }

private:
    rshm_channel_sender s_{};
};

}  // namespace rshm

#endif /* RSHM_HPP_CHANNEL */

/* ==== rshm::wait, rshm::wake, rshm::mutex (rshm_wait, rshm_wake, rshm_mutex_*)
 * Waiting on a word and locking, in memory shared between processes.
 * Timeouts are std::chrono durations as for rshm::channel. Failures throw
 * rshm::error; a timeout is not a failure here (false), and a mutex whose
 * owner died throws rshm::owner_died WITH THE LOCK HELD.
 *
 *     struct shared { rshm::mutex lock; long counter; };
 *     auto seg = rshm::segment::create_init("/counter", sizeof(shared), 0600,
 *         [](void *data, std::size_t) { static_cast<shared *>(data)->lock.init(); });
 *     shared *s = seg.as<shared>();           // in any process that maps it
 *     try {
 *         std::lock_guard<rshm::mutex> g(s->lock);
 *         s->counter++;
 *     } catch (const rshm::owner_died &e) {  // we hold it: adopt, repair, mark
 *         std::lock_guard<rshm::mutex> g(e.mutex(), std::adopt_lock);
 *         repair(*s);
 *         e.mutex().consistent();
 *     }
 */
#ifndef RSHM_HPP_SYNC
#define RSHM_HPP_SYNC

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace rshm {

// The kernel reads an atomic word by its address, so it must be the plain
// 4 bytes with nothing beside them, and never a hidden lock.
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "rshm::wait needs std::atomic<std::uint32_t> to be a lock-free uint32_t");

namespace detail {
inline bool wait(const void *word, std::uint32_t expected, std::int64_t ns) {
    if (rshm_wait(static_cast<const std::uint32_t *>(word), expected, ns) == 0 || errno == EINTR) return true;
    if (errno == ETIMEDOUT || errno == EAGAIN) return false;
    fail("wait");
}

inline int wake(const void *word, int count) {
    int n = rshm_wake(static_cast<const std::uint32_t *>(word), count);
    if (n < 0) fail("wake");
    return n;
}
}  // namespace detail

/** Sleeps while `word` holds `expected`, until a thread of this or another
 *  process changes it and calls rshm::wake (rshm_wait: a process-shared
 *  futex on Linux). The comparison and the sleep are one atomic step.
 *  `timeout`: rshm::forever (any negative duration) waits without limit,
 *  zero only compares.
 *
 *  Returns true when woken, at once when the word differs, and on a
 *  spurious wake-up, a signal's included (it is not restarted): re-check
 *  the condition and wait again, as with std::condition_variable. Returns
 *  false when the timeout passed (for zero: the word holds `expected`).
 *  Throws rshm::error: EFAULT (not mapped), EINVAL (not 4-byte aligned). */
template <class Rep = long long, class Period = std::nano>
bool wait(const std::uint32_t &word, std::uint32_t expected, std::chrono::duration<Rep, Period> timeout = forever) {
    return detail::wait(&word, expected, detail::timeout_ns(timeout));
}

/** rshm::wait on an atomic word, the usual way to store to one in C++17. */
template <class Rep = long long, class Period = std::nano>
bool wait(const std::atomic<std::uint32_t> &word, std::uint32_t expected,
          std::chrono::duration<Rep, Period> timeout = forever) {
    return detail::wait(&word, expected, detail::timeout_ns(timeout));
}

/** Any other word does not compile. A `const std::uint32_t &` would bind an
 *  int, a std::atomic<int> or an rvalue to a temporary copy, and the call
 *  would sleep on that copy, which no rshm::wake ever reaches. */
template <class T, class Rep = long long, class Period = std::nano>
bool wait(const T &word, std::uint32_t expected, std::chrono::duration<Rep, Period> timeout = forever) = delete;
template <class T, class Rep = long long, class Period = std::nano>
bool wait(const T &&word, std::uint32_t expected, std::chrono::duration<Rep, Period> timeout = forever) = delete;

/** Wakes up to `count` threads sleeping in rshm::wait on `word`, in any
 *  process, and returns how many woke. By default all of them: waking one
 *  can strand a sleeper when several wait for different values. Store the
 *  new value first, or a woken sleeper finds the old one and sleeps again.
 *  Throws rshm::error: EINVAL (`count` negative, word not 4-byte aligned). */
inline int wake(const std::uint32_t &word, int count = std::numeric_limits<int>::max()) {
    return detail::wake(&word, count);
}

/** rshm::wake on an atomic word. */
inline int wake(const std::atomic<std::uint32_t> &word, int count = std::numeric_limits<int>::max()) {
    return detail::wake(&word, count);
}

/** Any other word does not compile, as for rshm::wait: a temporary copy
 *  has no sleeper to wake. */
template <class T>
int wake(const T &word, int count = std::numeric_limits<int>::max()) = delete;
template <class T>
int wake(const T &&word, int count = std::numeric_limits<int>::max()) = delete;

class mutex;

namespace detail {
/** The rshm::error every rshm::owner_died copies, built by a process's
 *  first lock before it takes the lock: that one may throw std::bad_alloc
 *  with nothing held, and no later report of a dead owner allocates (the
 *  copy only counts a reference; the exception object itself comes from
 *  the C++ runtime's emergency pool when malloc fails). */
inline const error &owner_dead() {
    static const error e(EOWNERDEAD, "mutex_lock");
    return e;
}
static_assert(std::is_nothrow_copy_constructible_v<error>, "copying an rshm::error allocates nothing");
}  // namespace detail

/** Thrown by rshm::mutex's lock(), try_lock(), try_lock_for() and
 *  try_lock_until() when the previous owner died holding the mutex.
 *
 *  THE CALLING THREAD HOLDS THE MUTEX when this is thrown, and no guard
 *  does: the guard whose constructor threw was never made, and a
 *  std::unique_lock whose lock() threw has owns_lock() == false (the
 *  Lockable requirements would have the lock free; see rshm::mutex). The
 *  data the mutex guards may be half-updated. Adopt the lock
 *  (std::lock_guard<rshm::mutex> g(e.mutex(), std::adopt_lock)), repair the
 *  data, call e.mutex().consistent(), and let the guard unlock. Unlocking
 *  without consistent() makes the mutex unusable: every later lock throws
 *  rshm::error ENOTRECOVERABLE until init(). code() is
 *  std::errc::owner_dead. Throwing it allocates nothing, so running out of
 *  memory cannot turn it into a std::bad_alloc thrown with the lock held. */
class owner_died : public error {
public:
    /** A copy of `e`, an EOWNERDEAD error built beforehand, that allocates
     *  nothing: rshm::mutex throws this one, holding the lock. */
    owner_died(rshm::mutex &m, const error &e) noexcept : error(e), mutex_(&m) {}
    /** The mutex the calling thread now holds; which one matters where
     *  std::lock or std::scoped_lock took several. */
    rshm::mutex &mutex() const noexcept { return *mutex_; }

private:
    rshm::mutex *mutex_;
};

/** A mutex that lives in shared memory and works across processes
 *  (rshm_mutex: process-shared, error-checking and, on Linux, robust).
 *  Exactly the 64 bytes of rshm_mutex, standard-layout, so it can be a
 *  member of a struct that C code shares too. It has the members of
 *  Lockable and TimedLockable: std::lock_guard, std::unique_lock,
 *  std::scoped_lock and std::lock work with it. The owner is the thread.
 *
 *  IT IS NOT STRICTLY LOCKABLE: the standard says that a lock call that
 *  throws leaves the lock free, but rshm::owner_died is thrown with the
 *  lock held (see there), so that a dead owner cannot go unnoticed. No
 *  guard knows then: a std::lock_guard or std::scoped_lock whose
 *  constructor threw never existed (std::scoped_lock and std::lock let go
 *  of the other mutexes), and a std::unique_lock whose lock() threw has
 *  owns_lock() == false. Catch rshm::owner_died and adopt the lock:
 *
 *      try {
 *          std::unique_lock<rshm::mutex> g(s->lock);
 *          ...
 *      } catch (const rshm::owner_died &e) {
 *          std::lock_guard<rshm::mutex> g(e.mutex(), std::adopt_lock);
 *          repair(*s);
 *          e.mutex().consistent();
 *      }
 *
 *  Construction does nothing and init() is explicit, because no
 *  constructor runs for the processes that map the memory: they reach the
 *  mutex through a pointer into a mapping (segment::as<T>()). A
 *  constructor that initialised would also reset a lock another process
 *  may hold whenever some process constructed its own view of the shared
 *  struct. So one process calls init() once, before any other uses the
 *  mutex: its creator, e.g. in segment::create_init's callable. For the
 *  same reason the destructor does nothing (no process owns the mutex
 *  alone), and it can be neither copied nor moved (a copy is another lock).
 *
 *  On Linux the lock survives its owner: if a process or thread dies
 *  holding it, the next locker gets it along with rshm::owner_died
 *  (thrown with the lock held, see there). macOS has no robust mutexes: a
 *  dead owner's lock stays held there. */
class mutex {
public:
    /** Leaves the bytes as they are: call init() once, in one process. */
    mutex() noexcept = default;
    mutex(const mutex &) = delete;
    mutex &operator=(const mutex &) = delete;

    /** Makes this an unlocked mutex, whatever the bytes held: rshm_mutex_init.
     *  Never while any thread of any process holds or waits for it. */
    void init() {
        if (rshm_mutex_init(&raw_) != 0) detail::fail("mutex_init");
    }

    /** Takes the lock, waiting without limit. Throws rshm::owner_died (held)
     *  or rshm::error: EDEADLK (this thread holds it), ENOTRECOVERABLE,
     *  EINVAL (never initialised). */
    void lock() { lock_ns(-1); }

    /** Takes the lock if it is free: false if another thread holds it.
     *  Throws as lock() does (EDEADLK too: on macOS that is false). */
    bool try_lock() { return lock_ns(0); }

    /** Takes the lock, waiting at most `d`: false when it passed. Zero or a
     *  negative duration only tries, as for std::timed_mutex (rshm::forever
     *  too: lock() is the wait without limit). Throws as lock() does. */
    template <class Rep, class Period>
    bool try_lock_for(const std::chrono::duration<Rep, Period> &d) {
        return lock_ns(d <= d.zero() ? 0 : detail::timeout_ns(d));
    }

    /** Takes the lock, waiting until `t` at most: try_lock_for the time left
     *  (the wait itself runs on the monotonic clock). A `t` already past,
     *  time_point::min() included, only tries. A `t` further off than the C
     *  call can wait, time_point::max() included, waits its longest:
     *  INT64_MAX nanoseconds, 292 years, without limit in effect. */
    template <class Clock, class Duration>
    bool try_lock_until(const std::chrono::time_point<Clock, Duration> &t) {
        // Not t - Clock::now(): in the clock's own integers that overflows
        // (undefined) for time_point::min(), for max() when the clock reads
        // below its epoch, and for a coarse Duration's extremes, which the
        // subtraction converts to the clock's finer unit first.
        using ns = std::chrono::duration<long double, std::nano>;
        return try_lock_for(ns(t.time_since_epoch()) - ns(Clock::now().time_since_epoch()));
    }

    /** Releases the lock the calling thread holds. Never throws (the
     *  Lockable requirements say so): a thread that does not hold it, a bug
     *  (undefined for std::mutex), leaves the mutex as it was, and errno
     *  says why (EPERM; EINVAL if it was never initialised). */
    void unlock() noexcept { rshm_mutex_unlock(&raw_); }

    /** Declares the guarded data repaired after rshm::owner_died: the mutex
     *  goes back to normal use; the caller still holds it. Throws
     *  rshm::error: EINVAL (not taken with owner_died by this thread),
     *  ENOSYS (macOS). */
    void consistent() {
        if (rshm_mutex_consistent(&raw_) != 0) detail::fail("mutex_consistent");
    }

    /** The C mutex, for rshm_mutex_* calls. */
    rshm_mutex *native_handle() noexcept { return &raw_; }

private:
    bool lock_ns(std::int64_t ns) {
        // Before the lock, not once it is held: building an exception
        // allocates, and a std::bad_alloc thrown then would leave the caller
        // holding a lock it knows nothing of.
        const error &dead = detail::owner_dead();
        if (rshm_mutex_lock(&raw_, ns) == 0) return true;
        if (errno == EOWNERDEAD) throw owner_died(*this, dead);
        if (errno == EBUSY || errno == ETIMEDOUT) return false;
        detail::fail("mutex_lock");
    }

    rshm_mutex raw_;
};

static_assert(sizeof(mutex) == sizeof(rshm_mutex) && alignof(mutex) == alignof(rshm_mutex),
              "rshm::mutex is exactly the bytes of rshm_mutex");
static_assert(std::is_standard_layout_v<mutex> && std::is_trivially_default_constructible_v<mutex> &&
                  std::is_trivially_destructible_v<mutex>,
              "rshm::mutex can be laid over shared memory that no constructor ran on");

}  // namespace rshm

#endif /* RSHM_HPP_SYNC */

/* ==== rshm::value, rshm::value_of<T> (rshm_value_*) =========================
 * A latest value: one writer keeps it up to date, any number of readers in
 * any processes copy it, never torn, never waiting for each other.
 * Move-only, closed when destroyed. Timeouts are std::chrono durations as
 * for rshm::channel. Failures throw rshm::error; wait()'s timeout is not a
 * failure (false).
 *
 *     struct reading { double celsius; long seq; };          // trivially copyable
 *     auto w = rshm::value_of<reading>::create("/sensor", 0644);
 *     w.store({21.5, 1});
 *     auto r = rshm::value_of<reading>::open("/sensor", RSHM_O_RDONLY, std::chrono::seconds(5));
 *     auto [now, version] = r.load();
 *     r.wait(version, std::chrono::seconds(1));               // true once a newer one is there
 */
#ifndef RSHM_HPP_VALUE
#define RSHM_HPP_VALUE

#include <chrono>
#include <cstring>
#include <type_traits>
#include <utility>

namespace rshm {

/** Owns an rshm_value handle: the writer's (create, or open with
 *  RSHM_O_RDWR) or a reader's (RSHM_O_RDONLY). Use it from one thread at a
 *  time; never in a fork child. */
class value {
public:
    value() noexcept = default;
    /** Adopts a handle from rshm_value_create/open (nullptr for none). */
    explicit value(rshm_value *raw) noexcept : raw_(raw) {}
    value(value &&other) noexcept : raw_(other.release_handle()) {}
    value &operator=(value &&other) noexcept {
        if (this != &other) {
            rshm_value_close(raw_);
            raw_ = other.release_handle();
        }
        return *this;
    }
    value(const value &) = delete;
    value &operator=(const value &) = delete;
    ~value() { rshm_value_close(raw_); }

    /** rshm_value_create: values of up to `size` bytes; returns the writer. */
    static value create(const std::string &name, std::size_t size, std::uint32_t mode = 0600) {
        rshm_value *v = rshm_value_create(detail::c_str(name, "value_create"), size, mode);
        if (!v) detail::fail("value_create");
        return value(v);
    }

    /** rshm_value_open: RSHM_O_RDONLY for a reader, RSHM_O_RDWR for the
     *  writer, waiting up to `timeout` (as for rshm::channel::open) for the
     *  value to exist. */
    template <class Rep = long long, class Period = std::milli>
    static value open(const std::string &name, int oflag,
                      std::chrono::duration<Rep, Period> timeout = std::chrono::milliseconds(0)) {
        rshm_value *v = rshm_value_open(detail::c_str(name, "value_open"), oflag, detail::timeout_ms(timeout));
        if (!v) detail::fail("value_open");
        return value(v);
    }

    /** rshm_value_unlink: removes the name; open values keep working. */
    static void unlink(const std::string &name) {
        if (rshm_value_unlink(detail::c_str(name, "value_unlink")) != 0) detail::fail("value_unlink");
    }

    /** Publishes `len` bytes at `data` as the next version; never waits. */
    void write(const void *data, std::size_t len) {
        if (rshm_value_write(raw_, data, len) != 0) detail::fail("value_write");
    }

    /** Copies the latest value into `buf`: (length, version). */
    std::pair<std::size_t, std::uint64_t> read(void *buf, std::size_t cap) {
        std::uint64_t version = 0;
        std::int64_t n = rshm_value_read(raw_, buf, cap, &version);
        if (n < 0) detail::fail("value_read");
        return {static_cast<std::size_t>(n), version};
    }

    /** Waits until the version differs from `version`: true then, false
     *  when the timeout passed first (zero only looks). */
    template <class Rep = long long, class Period = std::nano>
    bool wait(std::uint64_t version, std::chrono::duration<Rep, Period> timeout = forever) {
        if (rshm_value_wait(raw_, version, detail::timeout_ns(timeout)) == 0) return true;
        if (errno == EAGAIN || errno == ETIMEDOUT) return false;
        detail::fail("value_wait");
    }

    /** The longest value in bytes. */
    std::size_t size() const noexcept { return rshm_value_size(raw_); }

    /** rshm_value_fd: a reader's descriptor for poll/epoll/select, readable
     *  while the next read would return a version this handle has not read.
     *  Owned by this object: poll it, never close it. */
    int native_handle() {
        int d = rshm_value_fd(raw_);
        if (d < 0) detail::fail("value_fd");
        return d;
    }

    /** The handle, still owned by this object; nullptr if none. */
    rshm_value *get() const noexcept { return raw_; }
    explicit operator bool() const noexcept { return raw_ != nullptr; }
    /** Gives up ownership: the caller closes the result. */
    rshm_value *release_handle() noexcept { return std::exchange(raw_, nullptr); }

    /** Closes now (a writer gives its role up), reporting failure by throwing. */
    void close() {
        if (rshm_value_close(raw_) != 0) {
            if (errno != EBUSY) raw_ = nullptr; /* freed all the same; EBUSY: a cursor holds it */
            detail::fail("value_close");
        }
        raw_ = nullptr;
    }

private:
    rshm_value *raw_ = nullptr;
};

/** A reader's cursor (rshm_value_reader_begin/_read/_end, inline in
 *  rshm.h): reads of a short value in the caller's loop, without a call.
 *  Keep it a local, declared after its value: while it lives, the value's
 *  own read() and close() throw EBUSY (a value destroyed or assigned to
 *  meanwhile is left open, not freed under the cursor), and the cursor
 *  and its value are used by one thread. Move-only; ends in its
 *  destructor. */
class value_reader {
public:
    /** rshm_value_reader_begin. */
    explicit value_reader(value &v) {
        if (rshm_value_reader_begin(v.get(), &r_) != 0) detail::fail("value_reader_begin");
    }
    value_reader(value_reader &&other) noexcept : r_(other.r_) { other.r_.abi = 0; }
    value_reader &operator=(value_reader &&other) noexcept {
        if (this != &other) {
            if (r_.abi != 0) rshm_value_reader_end(&r_);
            r_ = other.r_;
            other.r_.abi = 0;
        }
        return *this;
    }
    value_reader(const value_reader &) = delete;
    value_reader &operator=(const value_reader &) = delete;
    ~value_reader() {
        if (r_.abi != 0) rshm_value_reader_end(&r_);
    }

    /** As rshm::value::read: (length, version). */
    std::pair<std::size_t, std::uint64_t> read(void *buf, std::size_t cap) {
        std::uint64_t version = 0;
        std::int64_t n = rshm_value_reader_read(&r_, buf, cap, &version);
        if (n < 0) detail::fail("value_reader_read");
        return {static_cast<std::size_t>(n), version};
    }

    /** Ends the cursor now, reporting failure by throwing; the value reads again. */
    void end() {
        if (rshm_value_reader_end(&r_) != 0) detail::fail("value_reader_end");
    }

private:
    rshm_value_reader r_{};
};

/** A value holding one T, copied as bytes: T must be trivially copyable
 *  (no pointers into one process's memory) and default-constructible. */
template <class T>
class value_of {
    static_assert(std::is_trivially_copyable_v<T>, "rshm::value_of<T> copies T as bytes");
    static_assert(std::is_default_constructible_v<T>, "rshm::value_of<T>::load() builds a T");

public:
    value_of() noexcept = default;
    explicit value_of(value v) noexcept : v_(std::move(v)) {}

    /** rshm_value_create for sizeof(T) bytes; returns the writer. */
    static value_of create(const std::string &name, std::uint32_t mode = 0600) {
        return value_of(value::create(name, sizeof(T), mode));
    }

    /** rshm_value_open, as rshm::value::open; throws EMSGSIZE if the
     *  value's size is not sizeof(T). */
    template <class Rep = long long, class Period = std::milli>
    static value_of open(const std::string &name, int oflag,
                         std::chrono::duration<Rep, Period> timeout = std::chrono::milliseconds(0)) {
        value v = value::open(name, oflag, timeout);
        if (v.size() != sizeof(T)) throw error(EMSGSIZE, "value_open");
        return value_of(std::move(v));
    }

    /** Publishes `t` as the next version. */
    void store(const T &t) { v_.write(&t, sizeof(T)); }

    /** The latest T and its version. Throws ENODATA before the first
     *  store, EBADMSG for a value of another length. */
    std::pair<T, std::uint64_t> load() {
        T t{};
        auto [n, version] = v_.read(&t, sizeof(T));
        if (n != sizeof(T)) throw error(version == 0 ? ENODATA : EBADMSG, "value_load");
        return {t, version};
    }

    /** As rshm::value::wait. */
    template <class Rep = long long, class Period = std::nano>
    bool wait(std::uint64_t version, std::chrono::duration<Rep, Period> timeout = forever) {
        return v_.wait(version, timeout);
    }

    /** The untyped handle. */
    value &untyped() noexcept { return v_; }
    explicit operator bool() const noexcept { return static_cast<bool>(v_); }
    void close() { v_.close(); }

private:
    value v_;
};

}  // namespace rshm

#endif /* RSHM_HPP_VALUE */

/* ==== rshm::topic (rshm_topic_*) ==========================================
 * One publisher, many subscribers, move-only, closed when destroyed.
 * Timeouts as for rshm::channel (rshm::forever, zero only tries); every
 * failure throws rshm::error, EAGAIN and ETIMEDOUT included.
 *
 *     auto pub = rshm::topic::create("/ticks", 1 << 20, 8);      // default policy
 *     auto sub = rshm::topic::subscribe("/ticks", std::chrono::seconds(5));
 *     pub.publish("tick", 4);                                     // never waits
 *     char buf[64];
 *     std::size_t n = sub.receive(buf, sizeof buf, std::chrono::milliseconds(100));
 *     std::uint64_t missed = sub.lost();                          // fell behind
 */
#ifndef RSHM_HPP_TOPIC
#define RSHM_HPP_TOPIC

namespace rshm {

/** Owns an rshm_topic handle: the publisher's (create, take_over) or a
 *  subscriber's (subscribe). Use it from one thread at a time; never in a
 *  fork child. */
class topic {
public:
    topic() noexcept = default;
    /** Adopts a handle from rshm_topic_create/open (nullptr for none). */
    explicit topic(rshm_topic *raw) noexcept : raw_(raw) {}
    topic(topic &&other) noexcept : raw_(other.release_handle()) {}
    topic &operator=(topic &&other) noexcept {
        if (this != &other) {
            rshm_topic_close(raw_);
            raw_ = other.release_handle();
        }
        return *this;
    }
    topic(const topic &) = delete;
    topic &operator=(const topic &) = delete;
    ~topic() { rshm_topic_close(raw_); }

    /** rshm_topic_create: the publisher of a new topic. `flags` 0 never
     *  waits (laggards lose messages); RSHM_TOPIC_BLOCK waits for the slowest. */
    static topic create(const std::string &name, std::size_t capacity, std::uint32_t max_subscribers,
                        int flags = 0, std::uint32_t mode = 0600) {
        rshm_topic *t = rshm_topic_create(detail::c_str(name, "topic_create"), capacity, max_subscribers, flags, mode);
        if (!t) detail::fail("topic_create");
        return topic(t);
    }

    /** rshm_topic_open with RSHM_O_RDONLY, waiting up to `timeout` (as for
     *  rshm::channel::open) for the topic to exist. */
    template <class Rep = long long, class Period = std::milli>
    static topic subscribe(const std::string &name,
                           std::chrono::duration<Rep, Period> timeout = std::chrono::milliseconds(0)) {
        return open(name, RSHM_O_RDONLY, detail::timeout_ms(timeout));
    }

    /** rshm_topic_open with RSHM_O_RDWR: becomes the publisher in place of
     *  one that closed or died (a live one is EBUSY). */
    template <class Rep = long long, class Period = std::milli>
    static topic take_over(const std::string &name,
                           std::chrono::duration<Rep, Period> timeout = std::chrono::milliseconds(0)) {
        return open(name, RSHM_O_RDWR, detail::timeout_ms(timeout));
    }

    /** rshm_topic_unlink: removes the name; open handles keep working. */
    static void unlink(const std::string &name) {
        if (rshm_topic_unlink(detail::c_str(name, "topic_unlink")) != 0) detail::fail("topic_unlink");
    }

    /** Copies `len` bytes at `msg` in as one message for every subscriber. */
    template <class Rep = long long, class Period = std::nano>
    void publish(const void *msg, std::size_t len, std::chrono::duration<Rep, Period> timeout = forever) {
        if (rshm_topic_publish(raw_, msg, len, detail::timeout_ns(timeout)) != 0) detail::fail("topic_publish");
    }

    /** Copies this subscriber's next message into `buf`; returns its length. */
    template <class Rep = long long, class Period = std::nano>
    std::size_t receive(void *buf, std::size_t cap, std::chrono::duration<Rep, Period> timeout = forever) {
        std::int64_t n = rshm_topic_receive(raw_, buf, cap, detail::timeout_ns(timeout));
        if (n < 0) detail::fail("topic_receive");
        return static_cast<std::size_t>(n);
    }

    /** Room for a `len`-byte message, written in place and published by commit(). */
    template <class Rep = long long, class Period = std::nano>
    void *reserve(std::size_t len, std::chrono::duration<Rep, Period> timeout = forever) {
        void *p = rshm_topic_reserve(raw_, len, detail::timeout_ns(timeout));
        if (!p) detail::fail("topic_reserve");
        return p;
    }

    void commit(std::size_t len) {
        if (rshm_topic_commit(raw_, len) != 0) detail::fail("topic_commit");
    }

    /** The next message in place (address, length), valid until release(). */
    template <class Rep = long long, class Period = std::nano>
    std::pair<const void *, std::size_t> peek(std::chrono::duration<Rep, Period> timeout = forever) {
        std::size_t len = 0;
        const void *p = rshm_topic_peek(raw_, &len, detail::timeout_ns(timeout));
        if (!p) detail::fail("topic_peek");
        return {p, len};
    }

    /** Consumes the peeked message: true when it was whole while peeked,
     *  false (ESTALE) when the publisher overwrote it: drop what was read. */
    bool release() {
        if (rshm_topic_release(raw_) == 0) return true;
        if (errno == ESTALE) return false;
        detail::fail("topic_release");
    }

    /** Messages this subscriber missed by falling behind. */
    std::uint64_t lost() const noexcept { return rshm_topic_lost(raw_); }
    std::size_t capacity() const noexcept { return rshm_topic_capacity(raw_); }
    /** The longest message the topic can carry. */
    std::size_t max_message() const noexcept { return rshm_topic_max_message(raw_); }

    /** rshm_topic_fd: a subscriber's descriptor for poll/epoll/select,
     *  readable exactly when the next receive would not block. Owned by
     *  this object: poll it, never close it. */
    int native_handle() {
        int d = rshm_topic_fd(raw_);
        if (d < 0) detail::fail("topic_fd");
        return d;
    }

    /** The handle, still owned by this object; nullptr if none. */
    rshm_topic *get() const noexcept { return raw_; }
    explicit operator bool() const noexcept { return raw_ != nullptr; }
    /** Gives up ownership: the caller closes the result. */
    rshm_topic *release_handle() noexcept { return std::exchange(raw_, nullptr); }

    /** Closes now, reporting failure by throwing. */
    void close() {
        if (rshm_topic_close(release_handle()) != 0) detail::fail("topic_close");
    }

private:
    static topic open(const std::string &name, int oflag, std::uint32_t ms) {
        rshm_topic *t = rshm_topic_open(detail::c_str(name, "topic_open"), oflag, ms);
        if (!t) detail::fail("topic_open");
        return topic(t);
    }

    rshm_topic *raw_ = nullptr;
};

}  // namespace rshm

#endif /* RSHM_HPP_TOPIC */
