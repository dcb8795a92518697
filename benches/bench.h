/* What every benchmark program shares: the clock it times with, the
 * pinning of a process or thread to a CPU, medians, and how it dies.
 * Include after <rshm.h>. */
#ifndef RSHM_BENCH_H
#define RSHM_BENCH_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Reports what failed, with errno's name and text, and exits 1. */
_Noreturn static inline void die(const char *what) {
    int e = errno;
    fprintf(stderr, "%s: %s: %s (%s)\n", program_invocation_short_name, what, rshm_errno_name(e),
            rshm_errno_string(e));
    exit(1);
}

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

/* Pins the calling thread to CPU `cpu % ncpu`, best effort: a thread
 * left where the scheduler puts it still measures. */
static inline void on_cpu(int cpu, int ncpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % ncpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* qsort's order for doubles. */
static inline int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v's n figures (sorts v). */
static inline double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

#endif
