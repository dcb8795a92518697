/* The seed tutorial's reader: open the writer's segment, map it, print the
 * struct, then remove the name so that /dev/shm is left as it was. */
#include <stdio.h>
#include <stdlib.h>

#include <rshm.h>

#include "shm_demo.h"

static int fail(const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "reader: %s: %s (%s)\n  help: %s\n", what, rshm_errno_name(e),
            rshm_errno_string(e), rshm_errno_help(e));
    return 1;
}

int main(void) {
    const char *name = getenv("SHM_DEMO_NAME") ? getenv("SHM_DEMO_NAME") : SHM_DEMO_NAME;
    int fd = rshm_shm_open(name, RSHM_O_RDONLY, 0);
    if (fd < 0)
        return fail("shm_open");
    void *p = rshm_mmap(NULL, (size_t)SHM_DEMO_SIZE, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, 0);
    if (p == RSHM_MAP_FAILED)
        return fail("mmap");
    rshm_close(fd);

    const struct my_data *data = (const struct my_data *)p;
    printf("reader: {col1=%lld, col2=%lld, col3=%lld}\n", (long long)data->col1,
           (long long)data->col2, (long long)data->col3);
    int ok = data->col1 == 100 && data->col2 == 876 && data->col3 == 8021;

    if (rshm_munmap(p, (size_t)SHM_DEMO_SIZE) != 0)
        return fail("munmap");
    if (rshm_shm_unlink(name) != 0)
        return fail("shm_unlink");
    return ok ? 0 : 1;
}
