/* A few macros for the C tests: count checks, print failures with errno,
 * end with the "N passed, N failed" line tests/run.sh adds up, and give each
 * test object a name of its own (pid + counter). */
#ifndef RSHM_CHECK_H
#define RSHM_CHECK_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rshm.h>

/* Built with AddressSanitizer (target/c-asan/): its runtime replaces
 * mlock, munlock, mlockall and munlockall in the whole process, librshm.so
 * included, with no-ops that return 0, so their results say nothing there. */
#if defined(__SANITIZE_ADDRESS__)
#define CHECK_UNDER_ASAN 1
#else
#define CHECK_UNDER_ASAN 0
#endif

/* Run under valgrind (tests/run.sh does): its system-call wrappers part
 * from the kernel in a few corner cases, skipped where they occur. */
static inline int check_under_valgrind(void) {
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

static int check_passed, check_failed;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (cond) {                                                                     \
            check_passed++;                                                             \
        } else {                                                                        \
            int e_ = errno;                                                             \
            check_failed++;                                                             \
            fprintf(stderr, "FAIL %s:%d: %s (errno %s)\n", __FILE__, __LINE__, #cond,   \
                    rshm_errno_name(e_));                                               \
        }                                                                               \
    } while (0)

/* The call fails with `bad` (its failure value) and exactly errno `want`. */
#define CHECK_ERR(call, bad, want)                                                      \
    do {                                                                                \
        errno = 0;                                                                      \
        int ok_ = ((call) == (bad));                                                    \
        int e_ = errno;                                                                 \
        if (ok_ && e_ == (want)) {                                                      \
            check_passed++;                                                             \
        } else {                                                                        \
            check_failed++;                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: want %s, got %s%s\n", __FILE__, __LINE__,  \
                    #call, rshm_errno_name(want), rshm_errno_name(e_),                  \
                    ok_ ? "" : " (and no failure value)");                              \
        }                                                                               \
    } while (0)

/* A name no other process or test uses: "/rshm-test-PID-N-tag". */
static inline const char *check_name(char *buf, size_t len, const char *tag) {
    static int counter;
    snprintf(buf, len, "/rshm-test-%ld-%d-%s", (long)getpid(), ++counter, tag);
    return buf;
}

/* The permissions /proc/self/maps shows for the mapping holding `addr`
 * ("rw-s"), in `out`; -1 if no mapping holds it. */
static inline int check_map_perms(const void *addr, char out[5]) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = -1;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && (uintptr_t)addr >= lo &&
            (uintptr_t)addr < hi) {
            memcpy(out, perms, 5);
            found = 0;
            break;
        }
    }
    if (f)
        fclose(f);
    return found;
}

/* How many entries in /dev/shm start with `prefix`. */
static inline int check_shm_count(const char *prefix) {
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    if (d)
        closedir(d);
    return n;
}

static inline int check_done(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
