/* The seed tutorial's writer: create a 4 GB named segment, map it and write
 * a struct into it for the reader, a separate process, to find. */
#include <stdio.h>
#include <stdlib.h>

#include <rshm.h>

#include "shm_demo.h"

static int fail(const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "writer: %s: %s (%s)\n  help: %s\n", what, rshm_errno_name(e),
            rshm_errno_string(e), rshm_errno_help(e));
    return 1;
}

int main(void) {
    const char *name = getenv("SHM_DEMO_NAME") ? getenv("SHM_DEMO_NAME") : SHM_DEMO_NAME;
    rshm_shm_unlink(name); /* a crashed earlier run may have left it */
    int fd = rshm_shm_open(name, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0644);
    if (fd < 0)
        return fail("shm_open");
    if (rshm_ftruncate(fd, SHM_DEMO_SIZE) != 0)
        return fail("ftruncate");
    void *p = rshm_mmap(NULL, (size_t)SHM_DEMO_SIZE, RSHM_PROT_READ | RSHM_PROT_WRITE,
                        RSHM_MAP_SHARED, fd, 0);
    if (p == RSHM_MAP_FAILED)
        return fail("mmap");
    rshm_close(fd); /* the mapping keeps the object alive */

    struct my_data *data = (struct my_data *)p;
    data->col1 = 100;
    data->col2 = 876;
    data->col3 = 8021;

    rshm_stat st;
    fd = rshm_shm_open(name, RSHM_O_RDONLY, 0);
    if (fd < 0 || rshm_fstat(fd, &st) != 0)
        return fail("fstat");
    rshm_close(fd);
    printf("writer: %s is %lld bytes, %lld bytes resident; wrote {col1=%lld, col2=%lld, col3=%lld}\n",
           name, (long long)st.size, (long long)st.blocks * 512, (long long)data->col1,
           (long long)data->col2, (long long)data->col3);
    if (rshm_munmap(p, (size_t)SHM_DEMO_SIZE) != 0)
        return fail("munmap");
    return 0;
}
