/* rshm.h stands alone: included first, with no feature macro and nothing
 * before it, twice over, under -std=c11 -Wall -Wextra -Werror (the
 * Makefile's flags). */
#undef _GNU_SOURCE
#include <rshm.h>
#include <rshm.h>

#ifndef RSHM_H
#error "rshm.h defines no include guard"
#endif

/* Only what rshm.h itself brings in: stddef.h and stdint.h. */
static const size_t one = sizeof(int64_t) / 8;

#include "check.h"

int main(void) {
    rshm_stat st;
    struct rshm_stat *same = &st; /* the tag and the typedef name one type */
    CHECK(same == &st);
    CHECK(one == 1);
    CHECK(rshm_getpagesize() > 0);
    CHECK(rshm_errno_string(0) != NULL);
    CHECK_ERR(rshm_fstat(-1, &st), -1, EBADF);
    CHECK(rshm_errno() == EBADF);
    void *p = rshm_mmap(NULL, (size_t)rshm_getpagesize(), RSHM_PROT_READ, RSHM_MAP_PRIVATE | RSHM_MAP_ANONYMOUS,
                        -1, 0);
    CHECK(p != RSHM_MAP_FAILED && rshm_munmap(p, (size_t)rshm_getpagesize()) == 0);
    return check_done("header (C11)");
}
