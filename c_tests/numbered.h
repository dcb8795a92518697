/* Numbered, checksummed messages for the tests that kill a writer at random
 * points: message `seq` is [seq][bytes][checksum of everything before], of
 * a length from seq (16 to NUMBERED_MAXLEN bytes), so a reader can tell a
 * whole message, and which one, from any bytes. */
#ifndef RSHM_NUMBERED_H
#define RSHM_NUMBERED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NUMBERED_MAXLEN 600

static inline uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static inline size_t msg_len(uint64_t seq) {
    return 16 + 8 * (size_t)(mix(seq) % ((NUMBERED_MAXLEN - 16) / 8));
}

static inline uint64_t checksum(const unsigned char *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Writes message `seq` (msg_len(seq) bytes) at p. */
static inline void fill(unsigned char *p, uint64_t seq) {
    size_t n = msg_len(seq);
    memcpy(p, &seq, 8);
    for (size_t i = 8; i < n - 8; i++)
        p[i] = (unsigned char)(mix(seq + i));
    uint64_t c = checksum(p, n - 8);
    memcpy(p + n - 8, &c, 8);
}

/* The number of the message in p[0..n), or UINT64_MAX when it is not whole. */
static inline uint64_t msg_seq(const unsigned char *p, size_t n) {
    uint64_t seq, c;
    if (n < 16)
        return UINT64_MAX;
    memcpy(&seq, p, 8);
    memcpy(&c, p + n - 8, 8);
    if (n != msg_len(seq) || c != checksum(p, n - 8))
        return UINT64_MAX;
    return seq;
}

#endif
