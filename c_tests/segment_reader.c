/* Example: open a named segment, waiting for its writer (see
 * segment_writer.c), read it, and remove its name.
 *
 *   target/c/segment_reader [NAME] &
 *   target/c/segment_writer [NAME] */
#include <stdio.h>
#include <string.h>

#include <rshm.h>

#include "segment_demo.h"

static int fail(const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "segment_reader: %s: %s (%s)\n  help: %s\n", what, rshm_errno_name(e),
            rshm_errno_string(e), rshm_errno_help(e));
    return 1;
}

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : SEGMENT_DEMO_NAME;
    /* Up to 10 s for the writer; read-only: read permission is enough. The
     * line, flushed, is the readiness signal a runner waits for before it
     * starts the writer (tests/run.sh). */
    printf("segment_reader: waiting for %s\n", name);
    fflush(stdout);
    rshm_segment *seg = rshm_segment_open(name, RSHM_O_RDONLY, 10000);
    if (!seg)
        return fail("segment_open");
    const struct segment_demo *d = rshm_segment_data(seg);
    int ok = rshm_segment_size(seg) == sizeof *d && strcmp(d->text, SEGMENT_DEMO_TEXT) == 0;
    for (int i = 0; i < SEGMENT_DEMO_COUNT; i++)
        ok = ok && d->squares[i] == (long long)i * i;
    printf("segment_reader: \"%s\", squares up to %lld: %s\n", d->text,
           d->squares[SEGMENT_DEMO_COUNT - 1], ok ? "as written" : "WRONG");
    rshm_segment_close(seg);
    if (rshm_segment_unlink(name) != 0)
        return fail("segment_unlink");
    return ok ? 0 : 1;
}
