/* A sender killed with SIGKILL at random points while it streams numbered,
 * checksummed messages (half of them written in place through reserve and
 * commit): the receiver never sees a torn message, gets every message
 * committed before the kill, in order, and then EPIPE instead of hanging.
 * Odd rounds use the SeqCst handshake (RSHM_HANDSHAKE=seqcst, read when the
 * channel is created; the sender follows the channel), even ones the fast
 * handshake where this machine allows it: both protocols survive a kill. */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "numbered.h"

#define ROUNDS 100
#define MAXLEN NUMBERED_MAXLEN
#define TIMEOUT_NS (10LL * 1000000000LL) /* a hang fails the test instead */

/* What the sender shares with the test, outside the channel. */
struct progress {
    _Atomic uint64_t committed; /* messages whose commit/send returned */
};

static int intact(const unsigned char *p, size_t n, uint64_t want) {
    return msg_seq(p, n) == want;
}

static void sender(const char *name, struct progress *pr) {
    rshm_channel *ch = rshm_channel_open(name, 5000);
    if (!ch)
        _exit(2);
    unsigned char buf[MAXLEN];
    for (uint64_t seq = 0;; seq++) {
        size_t n = msg_len(seq);
        if (seq % 2) {
            unsigned char *p = rshm_channel_reserve(ch, MAXLEN, -1);
            if (!p)
                _exit(3);
            fill(p, seq); /* written in place: a kill here tears it */
            if (rshm_channel_commit(ch, n) != 0)
                _exit(4);
        } else {
            fill(buf, seq);
            if (rshm_channel_send(ch, buf, n, -1) != 0)
                _exit(5);
        }
        atomic_store(&pr->committed, seq + 1);
    }
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(void) {
    char name[96];
    struct progress *pr = mmap(NULL, sizeof *pr, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(pr != MAP_FAILED);
    srand((unsigned)getpid());
    alarm(300); /* whatever happens, no endless hang in make test */
    int torn = 0, lost = 0, extra = 0, no_epipe = 0, rounds = 0;
    for (int round = 0; round < ROUNDS; round++) {
        check_name(name, sizeof name, "kill");
        if (round % 2)
            setenv("RSHM_HANDSHAKE", "seqcst", 1);
        else
            unsetenv("RSHM_HANDSHAKE");
        /* Small, so that the sender wraps and blocks often. */
        rshm_channel *rx = rshm_channel_create(name, 4096, 0600);
        if (!rx) {
            CHECK(rx != NULL);
            break;
        }
        atomic_store(&pr->committed, 0);
        pid_t pid = fork();
        if (pid == 0)
            sender(name, pr);
        /* Kill after it has sent something, a random 0..3 ms later, while
         * this side keeps receiving: the kill lands anywhere in a send. */
        uint64_t kill_at = 0, got = 0;
        int killed = 0, err = 0;
        unsigned char buf[MAXLEN];
        for (;;) {
            if (!killed && kill_at && now_ns() >= kill_at) {
                kill(pid, SIGKILL);
                killed = 1;
            }
            int64_t n = rshm_channel_recv(rx, buf, sizeof buf, killed ? TIMEOUT_NS : 1000000);
            if (n < 0) {
                err = errno;
                if (err == ETIMEDOUT && !killed)
                    continue;
                break;
            }
            if (!intact(buf, (size_t)n, got)) {
                torn++;
                break;
            }
            got++;
            if (!kill_at)
                kill_at = now_ns() + (uint64_t)(rand() % 3000) * 1000;
        }
        if (err != EPIPE) {
            no_epipe++;
            fprintf(stderr, "round %d: ended with %s, not EPIPE\n", round, rshm_errno_name(err));
            kill(pid, SIGKILL);
        }
        int st;
        waitpid(pid, &st, 0);
        uint64_t committed = atomic_load(&pr->committed);
        /* The count lags the commit by one store: the sender may die in between. */
        if (got < committed)
            lost++;
        if (got > committed + 1)
            extra++;
        if (got < committed || got > committed + 1)
            fprintf(stderr, "round %d: received %llu, committed %llu\n", round, (unsigned long long)got,
                    (unsigned long long)committed);
        rounds += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
        rshm_channel_close(rx);
        CHECK(rshm_channel_unlink(name) == 0);
    }
    CHECK(rounds == ROUNDS); /* every sender was streaming when it died */
    CHECK(torn == 0);
    CHECK(lost == 0);
    CHECK(extra == 0);
    CHECK(no_epipe == 0);
    munmap(pr, sizeof *pr);
    return check_done("channel-kill");
}
