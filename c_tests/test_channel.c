/* The message channel: create/open, roles, copy and zero-copy transfer,
 * across fork, and every documented error with its errno. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "check.h"

#define MS 1000000LL /* nanoseconds */
#define STREAM 20000

/* Message i of a stream: its length and its bytes. */
static size_t stream_len(long i) {
    return (size_t)((i * 37) % 300);
}

static void stream_fill(unsigned char *p, long i) {
    size_t n = stream_len(i);
    for (size_t j = 0; j < n; j++)
        p[j] = (unsigned char)(i + j * 7);
}

static int stream_ok(const unsigned char *p, size_t len, long i) {
    if (len != stream_len(i))
        return 0;
    for (size_t j = 0; j < len; j++)
        if (p[j] != (unsigned char)(i + j * 7))
            return 0;
    return 1;
}

/* The child: opens the channel (it may not exist yet) and sends the stream,
 * every other message zero-copy, then closes. */
static int child_send(const char *name) {
    rshm_channel *ch = rshm_channel_open(name, 10000);
    if (!ch)
        return 10;
    unsigned char buf[512];
    for (long i = 0; i < STREAM; i++) {
        if (i % 2) {
            unsigned char *p = rshm_channel_reserve(ch, 512, -1);
            if (!p)
                return 11;
            stream_fill(p, i);
            if (rshm_channel_commit(ch, stream_len(i)) != 0)
                return 12;
        } else {
            stream_fill(buf, i);
            if (rshm_channel_send(ch, buf, stream_len(i), -1) != 0)
                return 13;
        }
    }
    return rshm_channel_close(ch) == 0 ? 0 : 14;
}

static void across_fork(void) {
    char name[96];
    check_name(name, sizeof name, "fork");
    /* The child starts first and waits in rshm_channel_open. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(child_send(name));
    usleep(20000);
    rshm_channel *rx = rshm_channel_create(name, 4096, 0600);
    CHECK(rx != NULL);
    unsigned char buf[512];
    long good = 0;
    for (long i = 0; i < STREAM; i++) {
        if (i % 3 == 0) {
            size_t len = 0;
            const unsigned char *p = rshm_channel_peek(rx, &len, 10000 * MS);
            good += p && (uintptr_t)p % 8 == 0 && stream_ok(p, len, i) && rshm_channel_release(rx) == 0;
        } else {
            int64_t n = rshm_channel_recv(rx, buf, sizeof buf, 10000 * MS);
            good += n >= 0 && stream_ok(buf, (size_t)n, i);
        }
    }
    CHECK(good == STREAM);
    /* The last message arrives as soon as its length word is stored, maybe
     * before the sender closes: wait for it to be done. */
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* The sender closed: nothing left, so EPIPE, at once and when waiting. */
    CHECK_ERR(rshm_channel_recv(rx, buf, sizeof buf, 0), -1, EPIPE);
    CHECK_ERR(rshm_channel_recv(rx, buf, sizeof buf, -1), -1, EPIPE);
    CHECK(rshm_channel_close(rx) == 0);
    CHECK(rshm_channel_unlink(name) == 0);
}

/* Sender and receiver in one process, through two handles. */
static void one_process(void) {
    char name[96];
    check_name(name, sizeof name, "local");
    rshm_channel *tx = rshm_channel_create(name, 1000, 0600);
    CHECK(tx != NULL);
    size_t cap = rshm_channel_capacity(tx), max = rshm_channel_max_message(tx);
    CHECK(cap == 1000 && max == 984); /* as asked: 1000 is a multiple of 8 */
    CHECK_ERR(rshm_channel_create(name, 1000, 0600), NULL, EEXIST);
    rshm_channel *rx = rshm_channel_open(name, 0);
    CHECK(rx != NULL && rshm_channel_capacity(rx) == cap);

    /* Empty: EAGAIN at once, ETIMEDOUT after a wait. */
    char buf[64] = {0};
    CHECK_ERR(rshm_channel_recv(rx, buf, sizeof buf, 0), -1, EAGAIN);
    CHECK_ERR(rshm_channel_recv(rx, buf, sizeof buf, 5 * MS), -1, ETIMEDOUT);
    size_t len = 99;
    CHECK_ERR(rshm_channel_peek(rx, &len, 0), NULL, EAGAIN);
    CHECK(len == 99);

    /* Too large ever: EMSGSIZE for send and reserve; the largest fits
     * (in an empty channel: a message never wraps round the end). */
    char *big = calloc(1, max + 1);
    CHECK_ERR(rshm_channel_send(tx, big, max + 1, 0), -1, EMSGSIZE);
    CHECK_ERR(rshm_channel_reserve(tx, max + 1, 0), NULL, EMSGSIZE);
    CHECK_ERR(rshm_channel_send(tx, big, SIZE_MAX, 0), -1, EMSGSIZE);
    big[0] = 'x', big[max - 1] = 'y';
    CHECK(rshm_channel_send(tx, big, max, 0) == 0);
    /* Full: EAGAIN at once, ETIMEDOUT after a wait. */
    CHECK_ERR(rshm_channel_send(tx, "a", 1, 0), -1, EAGAIN);
    CHECK_ERR(rshm_channel_send(tx, "a", 1, 5 * MS), -1, ETIMEDOUT);
    CHECK_ERR(rshm_channel_reserve(tx, 1, 0), NULL, EAGAIN);
    const char *m = rshm_channel_peek(rx, &len, 0);
    CHECK(m && len == max && m[0] == 'x' && m[max - 1] == 'y');
    CHECK(rshm_channel_release(rx) == 0);
    free(big);

    /* Copying: order, lengths, an empty message. */
    CHECK(rshm_channel_send(tx, "hello", 5, 0) == 0);
    CHECK(rshm_channel_send(tx, NULL, 0, 0) == 0);
    CHECK(rshm_channel_send(tx, "world!", 6, -1) == 0);
    CHECK(rshm_channel_recv(rx, buf, sizeof buf, 0) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK(rshm_channel_recv(rx, NULL, 0, 0) == 0);
    /* A buffer too small: EMSGSIZE, and the message waits for a retry. */
    CHECK_ERR(rshm_channel_recv(rx, buf, 3, 0), -1, EMSGSIZE);
    CHECK(rshm_channel_peek(rx, &len, 0) != NULL && len == 6);
    CHECK(rshm_channel_recv(rx, buf, sizeof buf, 0) == 6 && memcmp(buf, "world!", 6) == 0);

    /* Zero-copy: reserve, write in place, commit less than reserved. */
    CHECK_ERR(rshm_channel_commit(tx, 0), -1, EINVAL); /* nothing reserved */
    char *w = rshm_channel_reserve(tx, 32, 0);
    CHECK(w != NULL && (uintptr_t)w % 8 == 0);
    memcpy(w, "zero-copy", 9);
    CHECK_ERR(rshm_channel_commit(tx, 33), -1, EINVAL); /* beyond the reservation, */
    CHECK(rshm_channel_commit(tx, 9) == 0);             /* which stayed open */
    CHECK_ERR(rshm_channel_commit(tx, 9), -1, EINVAL);
    CHECK_ERR(rshm_channel_release(rx), -1, EINVAL); /* nothing peeked */
    const char *r1 = rshm_channel_peek(rx, &len, 0);
    const char *r2 = rshm_channel_peek(rx, &len, 0); /* the same message again */
    CHECK(r1 && r1 == r2 && len == 9 && memcmp(r1, "zero-copy", 9) == 0);
    CHECK(rshm_channel_release(rx) == 0);
    /* A new reserve abandons the open one; so does a send. */
    CHECK(rshm_channel_reserve(tx, 8, 0) != NULL);
    CHECK(rshm_channel_reserve(tx, 8, 0) != NULL);
    CHECK(rshm_channel_send(tx, "s", 1, 0) == 0);
    CHECK_ERR(rshm_channel_commit(tx, 1), -1, EINVAL);
    CHECK(rshm_channel_recv(rx, buf, sizeof buf, 0) == 1 && buf[0] == 's');
    CHECK_ERR(rshm_channel_recv(rx, buf, sizeof buf, 0), -1, EAGAIN);
    /* Even when they fail, as long as they reach the channel. */
    CHECK(rshm_channel_reserve(tx, 8, 0) != NULL);
    CHECK_ERR(rshm_channel_send(tx, "s", SIZE_MAX, 0), -1, EMSGSIZE);
    CHECK_ERR(rshm_channel_commit(tx, 1), -1, EINVAL);
    CHECK(rshm_channel_reserve(tx, 8, 0) != NULL);
    CHECK_ERR(rshm_channel_reserve(tx, max + 1, 0), NULL, EMSGSIZE);
    CHECK_ERR(rshm_channel_commit(tx, 1), -1, EINVAL);
    /* Bad arguments leave it open. */
    CHECK(rshm_channel_reserve(tx, 8, 0) != NULL);
    CHECK_ERR(rshm_channel_send(tx, NULL, 1, 0), -1, EFAULT);
    CHECK_ERR(rshm_channel_send(tx, "s", 1, -2), -1, EINVAL);
    CHECK(rshm_channel_commit(tx, 0) == 0);
    CHECK(rshm_channel_recv(rx, buf, sizeof buf, 0) == 0);
    CHECK_ERR(rshm_channel_recv(rx, buf, sizeof buf, 0), -1, EAGAIN);

    /* One sender, one receiver: a third handle gets EBUSY for both roles. */
    rshm_channel *third = rshm_channel_open(name, 0);
    CHECK(third != NULL);
    CHECK_ERR(rshm_channel_send(third, "b", 1, 0), -1, EBUSY);
    CHECK_ERR(rshm_channel_reserve(third, 1, 0), NULL, EBUSY);
    CHECK_ERR(rshm_channel_recv(third, buf, sizeof buf, 0), -1, EBUSY);
    CHECK_ERR(rshm_channel_peek(third, &len, 0), NULL, EBUSY);

    /* The receiver closes: the sender gets EPIPE. The role is free again. */
    CHECK(rshm_channel_close(rx) == 0);
    CHECK_ERR(rshm_channel_send(tx, "c", 1, 0), -1, EPIPE);
    CHECK_ERR(rshm_channel_send(tx, "c", 1, -1), -1, EPIPE);
    CHECK_ERR(rshm_channel_reserve(tx, 1, -1), NULL, EPIPE);
    CHECK_ERR(rshm_channel_recv(third, buf, sizeof buf, 0), -1, EAGAIN); /* now the receiver */
    CHECK(rshm_channel_send(tx, "d", 1, 0) == 0);
    /* The sender closes: what it sent arrives, then EPIPE. */
    CHECK(rshm_channel_close(tx) == 0);
    CHECK(rshm_channel_recv(third, buf, sizeof buf, 0) == 1 && buf[0] == 'd');
    CHECK_ERR(rshm_channel_recv(third, buf, sizeof buf, 0), -1, EPIPE);
    CHECK_ERR(rshm_channel_peek(third, &len, 10 * MS), NULL, EPIPE);
    CHECK(rshm_channel_close(third) == 0);

    /* The name goes; open handles would keep working; opens then wait. */
    CHECK(rshm_channel_unlink(name) == 0);
    CHECK_ERR(rshm_channel_unlink(name), -1, ENOENT);
    CHECK_ERR(rshm_channel_open(name, 0), NULL, ENOENT);
    CHECK_ERR(rshm_channel_open(name, 20), NULL, ETIMEDOUT);
}

/* Makes the channel `name` claim another layout version, as an rshm from
 * elsewhere would: the segment header's (offset 8) or the ring's (the
 * data starts a page in; its version follows the 64-byte magic line). */
static int set_version(const char *name, size_t at, uint32_t v) {
    int fd = rshm_shm_open(name, RSHM_O_RDWR, 0);
    if (fd < 0)
        return -1;
    unsigned char *p = rshm_mmap(NULL, at + 4, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    rshm_close(fd);
    if (p == RSHM_MAP_FAILED)
        return -1;
    memcpy(p + at, &v, 4);
    return rshm_munmap(p, at + 4);
}

static void wrong_objects(void) {
    char name[96];
    size_t page = (size_t)rshm_getpagesize();

    /* A plain segment is not a channel, and a channel not a plain segment. */
    check_name(name, sizeof name, "plain");
    rshm_segment *seg = rshm_segment_create(name, 4096, 0600);
    CHECK(seg != NULL);
    CHECK_ERR(rshm_channel_open(name, 0), NULL, EINVAL);
    CHECK_ERR(rshm_channel_open(name, 50), NULL, EINVAL); /* at once, not after waiting */
    rshm_segment_close(seg);
    CHECK(rshm_channel_unlink(name) == 0); /* unlinks any object */
    rshm_channel *ch = rshm_channel_create(name, 64, 0600);
    CHECK(ch != NULL && rshm_channel_capacity(ch) == 64);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDWR, 0), NULL, EINVAL);
    /* Another layout version: EPROTO, of the segment or of the ring. */
    CHECK(set_version(name, 8, 99) == 0);
    CHECK_ERR(rshm_channel_open(name, 0), NULL, EPROTO);
    CHECK(set_version(name, 8, 2) == 0);
    CHECK(set_version(name, page + 64, 1) == 0); /* the ring before slot polling */
    CHECK_ERR(rshm_channel_open(name, 0), NULL, EPROTO);
    CHECK(set_version(name, page + 64, 2) == 0); /* the ring before its handshake word */
    CHECK_ERR(rshm_channel_open(name, 0), NULL, EPROTO);
    CHECK(set_version(name, page + 64, 3) == 0); /* the ring whose receiver polled the slot */
    CHECK_ERR(rshm_channel_open(name, 0), NULL, EPROTO);
    CHECK(set_version(name, page + 64, 4) == 0);
    rshm_channel *again = rshm_channel_open(name, 0);
    CHECK(again != NULL);
    rshm_channel_close(again);
    rshm_channel_close(ch);
    CHECK(rshm_channel_unlink(name) == 0);

    /* A bare shm object of any size. */
    check_name(name, sizeof name, "bare");
    int fd = rshm_shm_open(name, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600);
    CHECK(fd >= 0 && rshm_ftruncate(fd, 8192) == 0);
    CHECK_ERR(rshm_channel_open(name, 0), NULL, EINVAL);
    rshm_close(fd);
    CHECK(rshm_channel_unlink(name) == 0);

    /* Bad arguments. */
    check_name(name, sizeof name, "args");
    CHECK_ERR(rshm_channel_create(name, 0, 0600), NULL, EINVAL);
    CHECK_ERR(rshm_channel_create(name, SIZE_MAX, 0600), NULL, EOVERFLOW);
    CHECK_ERR(rshm_channel_create("", 64, 0600), NULL, EINVAL);
    CHECK_ERR(rshm_channel_create("/a/b", 64, 0600), NULL, EINVAL);
    CHECK_ERR(rshm_channel_open("/a/b", 0), NULL, EINVAL);
    ch = rshm_channel_create(name, 64, 0600);
    CHECK(ch != NULL);
    char buf[8];
    size_t len;
    CHECK_ERR(rshm_channel_send(ch, "x", 1, -2), -1, EINVAL);
    CHECK_ERR(rshm_channel_recv(ch, buf, sizeof buf, INT64_MIN), -1, EINVAL);
    CHECK_ERR(rshm_channel_reserve(ch, 1, -5), NULL, EINVAL);
    CHECK_ERR(rshm_channel_peek(ch, &len, -3), NULL, EINVAL);
    /* NULL: EFAULT for the handle and for buffers that have a length. */
    CHECK_ERR(rshm_channel_send(ch, NULL, 1, 0), -1, EFAULT);
    CHECK_ERR(rshm_channel_recv(ch, NULL, 1, 0), -1, EFAULT);
    CHECK_ERR(rshm_channel_peek(ch, NULL, 0), NULL, EFAULT);
    CHECK(rshm_channel_close(ch) == 0);
    CHECK(rshm_channel_unlink(name) == 0);
    CHECK_ERR(rshm_channel_create(NULL, 64, 0600), NULL, EFAULT);
    CHECK_ERR(rshm_channel_open(NULL, 0), NULL, EFAULT);
    CHECK_ERR(rshm_channel_unlink(NULL), -1, EFAULT);
    CHECK_ERR(rshm_channel_send(NULL, "x", 1, 0), -1, EFAULT);
    CHECK_ERR(rshm_channel_recv(NULL, buf, sizeof buf, 0), -1, EFAULT);
    CHECK_ERR(rshm_channel_reserve(NULL, 1, 0), NULL, EFAULT);
    CHECK_ERR(rshm_channel_commit(NULL, 1), -1, EFAULT);
    CHECK_ERR(rshm_channel_peek(NULL, &len, 0), NULL, EFAULT);
    CHECK_ERR(rshm_channel_release(NULL), -1, EFAULT);
    CHECK_ERR(rshm_channel_capacity(NULL), 0, EFAULT);
    CHECK_ERR(rshm_channel_max_message(NULL), 0, EFAULT);
    CHECK(rshm_channel_close(NULL) == 0);
}

/* A blocked receiver is woken by a send from another process, and a
 * blocked sender by a receive. */
static void wake_ups(void) {
    char name[96];
    check_name(name, sizeof name, "wake");
    /* Created after the fork: a child must not inherit a handle it can
     * neither use nor close (closing would give up the parent's roles). */
    pid_t pid = fork();
    if (pid == 0) {
        rshm_channel *c = rshm_channel_open(name, 5000);
        static char b[1 << 16];
        usleep(30000); /* the parent is asleep in recv by now */
        int ok = c && rshm_channel_send(c, "ping", 4, -1) == 0;
        /* Fill the channel, then the parent must make room. */
        ok = ok && rshm_channel_send(c, b, rshm_channel_max_message(c), -1) == 0;
        ok = ok && rshm_channel_send(c, "last", 4, -1) == 0;
        _exit(ok && rshm_channel_close(c) == 0 ? 0 : 1);
    }
    rshm_channel *ch = rshm_channel_create(name, 64, 0600);
    CHECK(ch != NULL);
    static char buf[1 << 16];
    CHECK(rshm_channel_max_message(ch) <= sizeof buf);
    CHECK(rshm_channel_recv(ch, buf, sizeof buf, 5000 * MS) == 4 && memcmp(buf, "ping", 4) == 0);
    usleep(30000); /* the child is asleep in send by now */
    CHECK(rshm_channel_recv(ch, buf, sizeof buf, 5000 * MS) == (int64_t)rshm_channel_max_message(ch));
    CHECK(rshm_channel_recv(ch, buf, sizeof buf, 5000 * MS) == 4 && memcmp(buf, "last", 4) == 0);
    CHECK_ERR(rshm_channel_recv(ch, buf, sizeof buf, 5000 * MS), -1, EPIPE);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    rshm_channel_close(ch);
    CHECK(rshm_channel_unlink(name) == 0);
}

int main(void) {
    /* Twice: with the handshake this machine allows (the fast one where
     * membarrier(2) is), then with the SeqCst fallback forced, as
     * RSHM_HANDSHAKE=seqcst does for every channel created after it. */
    for (int seqcst = 0; seqcst < 2; seqcst++) {
        if (seqcst)
            setenv("RSHM_HANDSHAKE", "seqcst", 1);
        one_process();
        wrong_objects();
        across_fork();
        wake_ups();
    }
    return check_done("channel");
}
