/* The clock the benchmark programs time with, and the pinning of a
 * process to a CPU. */
#ifndef RSHM_BENCH_CLOCK_H
#define RSHM_BENCH_CLOCK_H

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC: never steps back, so a difference of two
 * readings is an elapsed time. */
static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Pins the calling process to `cpu` (nothing for -1); exits on failure. */
static inline void pin(int cpu) {
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        perror("sched_setaffinity");
        exit(1);
    }
}

#endif
