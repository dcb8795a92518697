/* Example: reads the struct value_writer keeps up to date. Each snapshot
 * is whole: col3 = col1 + col2, always, and versions only grow, even when
 * the writer is killed in the middle of an update.
 *
 *   target/c/value_reader [NAME [SNAPSHOTS]]
 *
 * Waits for SNAPSHOTS (default 1000) new versions, up to 5 s each, prints
 * some, then removes the name. Exits 1 on an inconsistent snapshot. */
#include <stdio.h>
#include <stdlib.h>

#include <rshm.h>

#include "shm_demo.h"

#define VALUE_DEMO_NAME "/rshm-value-demo"

static int fail(const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "value_reader: %s: %s (%s)\n  help: %s\n", what, rshm_errno_name(e), rshm_errno_string(e),
            rshm_errno_help(e));
    return 1;
}

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : VALUE_DEMO_NAME;
    long want = argc > 2 ? atol(argv[2]) : 1000;
    rshm_value *v = rshm_value_open(name, RSHM_O_RDONLY, 5000);
    if (!v)
        return fail("value_open");
    struct my_data d;
    uint64_t version = 0, last = 0;
    for (long n = 0; n < want; n++) {
        if (rshm_value_wait(v, version, 5000000000LL) != 0)
            return fail("value_wait");
        int64_t len = rshm_value_read(v, &d, sizeof d, &version);
        if (len < 0)
            return fail("value_read");
        if (len != (int64_t)sizeof d || d.col3 != d.col1 + d.col2 || version < last) {
            fprintf(stderr, "value_reader: torn at version %llu: %lld + %lld != %lld\n",
                    (unsigned long long)version, (long long)d.col1, (long long)d.col2, (long long)d.col3);
            return 1;
        }
        last = version;
        if (n % (want / 5 + 1) == 0 || n == want - 1)
            printf("value_reader: version %llu: col1 %lld + col2 %lld = col3 %lld\n", (unsigned long long)version,
                   (long long)d.col1, (long long)d.col2, (long long)d.col3);
    }
    rshm_value_close(v);
    printf("value_reader: %ld snapshots, all consistent\n", want);
    return rshm_value_unlink(name) == 0 ? 0 : fail("value_unlink");
}
