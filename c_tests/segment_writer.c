/* Example: create a named segment whose contents are in place before any
 * reader can see it.
 *
 *   target/c/segment_reader [NAME] &   # may start first: it waits
 *   target/c/segment_writer [NAME]
 *
 * NAME defaults to /rshm-segment-demo. The writer fills the segment in its
 * init callback, so a reader never sees it empty or half written, then
 * exits; the segment stays until the reader removes its name. */
#include <stdio.h>
#include <string.h>

#include <rshm.h>

#include "segment_demo.h"

static int fail(const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "segment_writer: %s: %s (%s)\n  help: %s\n", what, rshm_errno_name(e),
            rshm_errno_string(e), rshm_errno_help(e));
    return 1;
}

static int fill(void *data, size_t size, void *ctx) {
    (void)ctx;
    struct segment_demo *d = data;
    if (size < sizeof *d)
        return -1; /* abandons the creation: nothing is left behind */
    snprintf(d->text, sizeof d->text, "%s", SEGMENT_DEMO_TEXT);
    for (int i = 0; i < SEGMENT_DEMO_COUNT; i++)
        d->squares[i] = (long long)i * i;
    return 0;
}

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : SEGMENT_DEMO_NAME;
    rshm_segment *seg = rshm_segment_create_init(name, sizeof(struct segment_demo), 0600, fill, NULL);
    if (!seg)
        return fail("segment_create_init");
    printf("segment_writer: created %s, %zu bytes of data at a page-aligned %p\n", name,
           rshm_segment_size(seg), rshm_segment_data(seg));
    return rshm_segment_close(seg) == 0 ? 0 : fail("segment_close");
}
