/* Example: receive messages from channel_sender until it closes.
 *
 *   target/c/channel_receiver [NAME] [COUNT] &   # either may start first
 *   target/c/channel_sender [NAME] [COUNT]
 *
 * Prints each message; EPIPE means the sender closed (or died) and
 * everything it sent has arrived. Exits 0 when COUNT messages (default 5)
 * came, and removes the channel's name. */
#include <stdlib.h>

#include "channel_demo.h"

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : CHANNEL_DEMO_NAME;
    int want = argc > 2 ? atoi(argv[2]) : 5;
    const char *how;
    rshm_channel *ch = channel_demo_get(name, &how);
    if (!ch)
        return channel_demo_fail("channel_receiver", "channel_create/open");
    printf("channel_receiver: %s %s\n", how, name);
    fflush(stdout); /* the readiness signal: the channel exists (tests/run.sh waits for it) */
    int got = 0;
    for (;;) {
        char buf[256];
        int64_t n = rshm_channel_recv(ch, buf, sizeof buf - 1, 10000000000LL); /* 10 s */
        if (n < 0)
            break;
        buf[n] = '\0';
        printf("channel_receiver: %s\n", buf);
        got++;
    }
    int e = errno;
    rshm_channel_close(ch);
    rshm_channel_unlink(name);
    if (e != EPIPE) {
        errno = e;
        return channel_demo_fail("channel_receiver", "channel_recv");
    }
    printf("channel_receiver: the sender closed after %d messages\n", got);
    return got == want ? 0 : 1;
}
