/* A 4 GB segment costs only the pages touched: one page written in the
 * middle leaves at most two pages allocated (fstat blocks) and resident
 * (mincore over the whole mapping, and the mapping's Rss in smaps). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "check.h"

/* The Rss, in kB, of the mapping that starts at `addr`; -1 if not found. */
static long smaps_rss_kb(void *addr) {
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -1;
    char line[512];
    long rss = -1;
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) /* a mapping's first line */
            in = lo == (unsigned long)(uintptr_t)addr;
        else if (in && sscanf(line, "Rss: %ld kB", &rss) == 1)
            break;
    }
    fclose(f);
    return rss;
}

int main(void) {
    const int64_t size = 4000000000;
    const size_t len = (size_t)size;
    long pg = rshm_getpagesize();
    char n[128];
    check_name(n, sizeof n, "4g");
    int fd = rshm_shm_open(n, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK(rshm_ftruncate(fd, size) == 0);
    rshm_stat st;
    CHECK(rshm_fstat(fd, &st) == 0 && st.size == size && st.blocks == 0);

    char *m = rshm_mmap(NULL, len, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    CHECK(m != RSHM_MAP_FAILED);
    if (m != RSHM_MAP_FAILED) {
        size_t mid = (len / 2) & ~(size_t)(pg - 1);
        m[mid] = 42;
        CHECK(rshm_fstat(fd, &st) == 0);
        CHECK(st.blocks * 512 <= 2 * pg && st.blocks > 0);

        size_t pages = (len + (size_t)pg - 1) / (size_t)pg;
        unsigned char *vec = malloc(pages);
        CHECK(vec != NULL && mincore(m, len, vec) == 0);
        size_t resident = 0;
        for (size_t i = 0; vec && i < pages; i++)
            resident += vec[i] & 1;
        CHECK(resident >= 1 && resident <= 2);
        CHECK(vec && (vec[mid / (size_t)pg] & 1));
        free(vec);

        long rss = smaps_rss_kb(m);
        CHECK(rss >= 0 && rss * 1024 <= 2 * pg);
        CHECK(m[mid] == 42);
        CHECK(rshm_fstat(fd, &st) == 0 && st.blocks * 512 <= 2 * pg);
        CHECK(rshm_munmap(m, len) == 0);
    }
    CHECK(rshm_close(fd) == 0);
    CHECK(rshm_shm_unlink(n) == 0);
    printf("4 GB segment, one page touched: %lld bytes allocated\n", (long long)st.blocks * 512);
    return check_done("resident");
}
