/* Helpers for the C++ tests of rshm.hpp, beside check.h: is a descriptor
 * closed, is a range unmapped, does a call throw rshm::error as it should. */
#ifndef RSHM_CHECK_CXX_H
#define RSHM_CHECK_CXX_H

#include <fcntl.h>
#include <sys/mman.h>

#include <cstring>
#include <string>
#include <system_error>

#include "check.h"
#include <rshm.hpp>

// The descriptor is closed: fcntl reports EBADF.
static inline bool closed(int raw) {
    errno = 0;
    return fcntl(raw, F_GETFD) == -1 && errno == EBADF;
}

// Nothing is mapped in [addr, addr + len): msync reports ENOMEM.
static inline bool unmapped(void *addr, std::size_t len) {
    errno = 0;
    return msync(addr, len, MS_ASYNC) == -1 && errno == ENOMEM;
}

// `f` throws rshm::error for `call` with errno `want`, and says so in what().
template <class F>
static void check_throws(F f, const char *call, int want) {
    try {
        f();
        CHECK(!"no exception");
        std::fprintf(stderr, "  %s did not throw, want %s\n", call, rshm_errno_name(want));
    } catch (const rshm::error &e) {
        std::string what = e.what();
        CHECK(e.code().value() == want);
        if (e.code().value() != want)
            std::fprintf(stderr, "  %s threw %s, want %s\n", call, e.name(), rshm_errno_name(want));
        CHECK(e.code().category() == std::generic_category());
        CHECK(std::strcmp(e.call(), call) == 0);
        CHECK(std::strcmp(e.name(), rshm_errno_name(want)) == 0);
        CHECK(std::strcmp(e.help(), rshm_errno_help(want)) == 0);
        CHECK(what.find(call) == 0);
        CHECK(what.find(rshm_errno_name(want)) != std::string::npos);
        CHECK(what.find(rshm_errno_string(want)) != std::string::npos);
        CHECK(what.find(rshm_errno_help(want)) != std::string::npos);
        // What the library found travels with it: a sentence naming an
        // rshm call, also in what(); empty only for a refusal of rshm.hpp's own.
        std::string detail = e.error_detail();
        CHECK(detail.empty() || (detail.rfind("rshm_", 0) == 0 && what.find(detail) != std::string::npos));
    }
}

#endif
