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
