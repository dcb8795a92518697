/* A few macros for the C tests: each check is one TAP line on stdout ("ok 12 -
 * c_tests/test_x.c:40: cond", "not ok ..."), a failure also says why on
 * stderr with errno, and check_done ends with the plan ("1..N"), so prove(1)
 * runs the binaries (tests/run.sh); and each test object gets a name of its
 * own (pid + counter). */
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

/* A test that counts with its own logic may add to these directly;
 * check_done turns what no TAP line reported into lines of their own. */
static int check_passed, check_failed, check_skipped;
static int check_lines_passed, check_lines_failed, check_lines;

/* The test's own process. A forked child's checks print no TAP line (two
 * processes numbering one stream would break it): the child reports by its
 * exit status, which the parent checks, and its failures still go to stderr. */
static long check_pid;
__attribute__((constructor)) static void check_init(void) {
    check_pid = (long)getpid();
}

/* Set by a test whose stdout is data rather than TAP (test_bad_input
 * --table): its checks still count, silently. */
static int check_silent;

/* One TAP line, written straight to the descriptor: a buffered line would be
 * printed again by a forked child that calls exit. `#` and `\` are escaped
 * (a bare `#` would start a TAP directive). */
static inline void check_tap(const char *status, const char *file, int line, const char *what,
                             const char *directive) {
    if (check_silent)
        return;
    char buf[512];
    size_t n = 0, room = sizeof buf - 2; /* the newline and a last escape */
    n += (size_t)snprintf(buf, room, "%s %d - ", status, ++check_lines);
    if (file && n < room)
        n += (size_t)snprintf(buf + n, room - n, "%s:%d: ", file, line);
    for (const char *p = what; p && *p && n + 1 < room; p++) {
        if (*p == '#' || *p == '\\')
            buf[n++] = '\\';
        buf[n++] = *p == '\n' ? ' ' : *p;
    }
    if (directive && n < room)
        n += (size_t)snprintf(buf + n, room - n, " # %s", directive);
    if (n > room - 1)
        n = room - 1;
    buf[n++] = '\n';
    fflush(stdout);
    for (size_t off = 0; off < n;) {
        long w = (long)write(1, buf + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

/* One check's result, named by its place and what it checked. */
static inline void check_result(int ok, const char *file, int line, const char *what) {
    int e = errno;
    if (ok)
        check_passed++;
    else
        check_failed++;
    if ((long)getpid() == check_pid) {
        if (ok)
            check_lines_passed++;
        else
            check_lines_failed++;
        check_tap(ok ? "ok" : "not ok", file, line, what, NULL);
    }
    errno = e;
}

/* A part of the test that cannot run here: one skipped TAP point. `why`
 * starts with what is missing and a colon, and ends with how to get it:
 * "root: needs to switch user (run make test as root)". */
static inline void check_skip(const char *why) {
    check_skipped++;
    if ((long)getpid() == check_pid) {
        char d[256];
        snprintf(d, sizeof d, "SKIP %s", why);
        check_tap("ok", NULL, 0, "", d);
    }
}

#define CHECK(cond)                                                                     \
    do {                                                                                \
        int c_ = !!(cond);                                                              \
        int e_ = errno;                                                                 \
        check_result(c_, __FILE__, __LINE__, #cond);                                    \
        if (!c_)                                                                        \
            fprintf(stderr, "FAIL %s:%d: %s (errno %s)\n", __FILE__, __LINE__, #cond,   \
                    rshm_errno_name(e_));                                               \
    } while (0)

/* The call fails with `bad` (its failure value) and exactly errno `want`. */
#define CHECK_ERR(call, bad, want)                                                      \
    do {                                                                                \
        errno = 0;                                                                      \
        int ok_ = ((call) == (bad));                                                    \
        int e_ = errno;                                                                 \
        check_result(ok_ && e_ == (want), __FILE__, __LINE__, #call);                   \
        if (!(ok_ && e_ == (want))) {                                                   \
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

/* Descriptors this process has open (entries of /proc/self/fd, the one
 * opendir uses for itself included, the same in every count). */
static inline int check_open_fds(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
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

/* The end of a test: a line for each result counted without one, the plan,
 * and a summary comment. The exit status: 1 if any check failed. */
static inline int check_done(const char *suite) {
    for (; check_lines_passed < check_passed; check_lines_passed++)
        check_tap("ok", NULL, 0, "(counted by the test)", NULL);
    for (; check_lines_failed < check_failed; check_lines_failed++)
        check_tap("not ok", NULL, 0, "(counted by the test)", NULL);
    fflush(stdout);
    printf("1..%d\n# %s: %d passed, %d failed, %d skipped\n", check_lines, suite, check_passed,
           check_failed, check_skipped);
    return check_failed ? 1 : 0;
}

#endif
