/* The clock both benchmark programs time with. */
#ifndef RSHM_BENCH_CLOCK_H
#define RSHM_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC: never steps back, so a difference of two
 * readings is an elapsed time. */
static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
