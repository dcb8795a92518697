/* make bench: the whole life of a segment (open, size, map, touch, unmap,
 * close, unlink) through rshm and through libc, interleaved in one run so
 * both see the same machine state. Prints each figure and the ratio. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rshm.h>

#include "bench.h"

#define SIZE (64 * 1024)
#define BATCH 200
#define ROUNDS 41

static char name[64];

static void life_libc(void) {
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, SIZE) != 0)
        die("libc open/size");
    volatile char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die("libc mmap");
    for (size_t i = 0; i < SIZE; i += 4096)
        p[i] = 1;
    if (munmap((void *)p, SIZE) != 0 || close(fd) != 0 || shm_unlink(name) != 0)
        die("libc unmap/close/unlink");
}

static void life_rshm(void) {
    int fd = rshm_shm_open(name, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600);
    if (fd < 0 || rshm_ftruncate(fd, SIZE) != 0)
        die("rshm open/size");
    volatile char *p = rshm_mmap(NULL, SIZE, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    if (p == RSHM_MAP_FAILED)
        die("rshm mmap");
    for (size_t i = 0; i < SIZE; i += 4096)
        p[i] = 1;
    if (rshm_munmap((void *)p, SIZE) != 0 || rshm_close(fd) != 0 || rshm_shm_unlink(name) != 0)
        die("rshm unmap/close/unlink");
}

static double batch_ns(void (*life)(void)) {
    uint64_t t0 = now_ns();
    for (int i = 0; i < BATCH; i++)
        life();
    return (double)(now_ns() - t0) / BATCH;
}

int main(void) {
    snprintf(name, sizeof name, "/rshm-bench-%ld", (long)getpid());
    double libc_ns[ROUNDS], rshm_ns[ROUNDS], ratio[ROUNDS];
    batch_ns(life_libc); /* warm caches and the page allocator */
    batch_ns(life_rshm);
    for (int r = 0; r < ROUNDS; r++) {
        /* alternate who goes first so neither always inherits a warm state */
        if (r & 1) {
            rshm_ns[r] = batch_ns(life_rshm);
            libc_ns[r] = batch_ns(life_libc);
        } else {
            libc_ns[r] = batch_ns(life_libc);
            rshm_ns[r] = batch_ns(life_rshm);
        }
        ratio[r] = rshm_ns[r] / libc_ns[r];
    }
    qsort(libc_ns, ROUNDS, sizeof(double), by_value);
    qsort(rshm_ns, ROUNDS, sizeof(double), by_value);
    qsort(ratio, ROUNDS, sizeof(double), by_value);
    printf("segment lifecycle (open, ftruncate %d KiB, mmap, touch %d pages, munmap, close, unlink),\n"
           "median of %d rounds x %d, interleaved:\n",
           SIZE / 1024, SIZE / 4096, ROUNDS, BATCH);
    printf("  libc  %8.0f ns\n  rshm  %8.0f ns\n  ratio rshm/libc %.3f (middle half %.3f..%.3f; target <= 1.03)\n",
           libc_ns[ROUNDS / 2], rshm_ns[ROUNDS / 2], ratio[ROUNDS / 2], ratio[ROUNDS / 4], ratio[3 * ROUNDS / 4]);
    return 0;
}
