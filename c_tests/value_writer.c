/* Example: the seed tutorial's shared struct, made tear-free. The writer
 * keeps {col1, col2, col3} up to date many times a second, always with
 * col3 = col1 + col2; readers (value_reader) never see one half updated.
 *
 *   target/c/value_writer [NAME [UPDATES]] &
 *   target/c/value_reader [NAME [SNAPSHOTS]]
 *
 * NAME defaults to /rshm-value-demo, UPDATES to 100000 (one every 100 us).
 * The first writer creates the value (mode 0644: any user may read it);
 * a writer started while the value exists takes it over, from a writer
 * that died too (kill -9 one and start another: readers carry on). A
 * second writer while one lives fails with EBUSY. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <rshm.h>

#include "shm_demo.h"

#define VALUE_DEMO_NAME "/rshm-value-demo"

static int fail(const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "value_writer: %s: %s (%s)\n  help: %s\n", what, rshm_errno_name(e), rshm_errno_string(e),
            rshm_errno_help(e));
    return 1;
}

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : VALUE_DEMO_NAME;
    long updates = argc > 2 ? atol(argv[2]) : 100000;
    struct my_data d = {0, 0, 0};
    uint64_t version = 0;
    rshm_value *v = rshm_value_create(name, sizeof d, 0644);
    if (v) {
        printf("value_writer: created %s\n", name);
    } else if (rshm_errno() == EEXIST) {
        v = rshm_value_open(name, RSHM_O_RDWR, 0);
        if (!v)
            return fail("value_open");
        if (rshm_value_read(v, &d, sizeof d, &version) < 0)
            return fail("value_read");
        printf("value_writer: took %s over at version %llu\n", name, (unsigned long long)version);
    } else {
        return fail("value_create");
    }
    fflush(stdout); /* a writer is often killed: say it now */
    struct timespec pause = {0, 100000};
    for (long i = 0; i < updates; i++) {
        d.col1 += 1;
        d.col2 += 3;
        d.col3 = d.col1 + d.col2;
        if (rshm_value_write(v, &d, sizeof d) != 0)
            return fail("value_write");
        nanosleep(&pause, NULL);
    }
    printf("value_writer: %ld updates, col3 = %lld\n", updates, (long long)d.col3);
    return rshm_value_close(v) == 0 ? 0 : fail("value_close");
}
