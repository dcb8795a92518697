/* Example: send numbered text messages through a channel.
 *
 *   target/c/channel_receiver [NAME] &   # either may start first:
 *   target/c/channel_sender [NAME] [COUNT]
 *
 * The first to start creates the channel, the other opens it. The sender
 * sends COUNT messages (default 5): all but the last through a sender's
 * cursor (rshm_channel_sender_begin/_send/_end), the last written in place
 * (reserve/commit); then it closes: the receiver gets every message, then
 * EPIPE, and removes the name. */
#include <stdlib.h>
#include <string.h>

#include "channel_demo.h"

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : CHANNEL_DEMO_NAME;
    int count = argc > 2 ? atoi(argv[2]) : 5;
    const char *how;
    rshm_channel *ch = channel_demo_get(name, &how);
    if (!ch)
        return channel_demo_fail("channel_sender", "channel_create/open");
    printf("channel_sender: %s %s\n", how, name);
    fflush(stdout); /* the readiness signal: the channel exists (tests/run.sh waits for it) */
    /* The stream goes through a sender's cursor: each send's common case
     * runs inline (rshm.h), with the cursor in this function's registers. */
    rshm_channel_sender s;
    if (rshm_channel_sender_begin(ch, &s) != 0)
        return channel_demo_fail("channel_sender", "channel_sender_begin");
    for (int i = 1; i < count; i++) {
        char msg[64];
        int n = snprintf(msg, sizeof msg, "message %d of %d", i, count);
        if (rshm_channel_sender_send(&s, msg, (size_t)n, -1) != 0)
            /* EPIPE if the receiver has gone, never SIGPIPE */
            return channel_demo_fail("channel_sender", "channel_sender_send");
    }
    if (rshm_channel_sender_end(&s) != 0) /* the handle sends again */
        return channel_demo_fail("channel_sender", "channel_sender_end");
    if (count >= 1) {
        /* Zero-copy: the last one written straight into the channel, then published. */
        char *p = rshm_channel_reserve(ch, 64, -1);
        if (!p)
            return channel_demo_fail("channel_sender", "channel_reserve");
        int n = snprintf(p, 64, "message %d of %d (in place)", count, count);
        if (rshm_channel_commit(ch, (size_t)n) != 0)
            return channel_demo_fail("channel_sender", "channel_commit");
    }
    printf("channel_sender: sent %d messages\n", count);
    return rshm_channel_close(ch) == 0 ? 0 : channel_demo_fail("channel_sender", "channel_close");
}
