/* Example: send numbered text messages through a channel.
 *
 *   target/c/channel_receiver [NAME] &   # either may start first:
 *   target/c/channel_sender [NAME] [COUNT]
 *
 * The first to start creates the channel, the other opens it. The sender
 * sends COUNT messages (default 5), one of them written in place
 * (reserve/commit), then closes: the receiver gets every message, then
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
    for (int i = 1; i <= count; i++) {
        char msg[64];
        int n = snprintf(msg, sizeof msg, "message %d of %d", i, count);
        if (i == count) {
            /* Zero-copy: write straight into the channel, then publish. */
            char *p = rshm_channel_reserve(ch, sizeof msg, -1);
            if (!p)
                return channel_demo_fail("channel_sender", "channel_reserve");
            n = snprintf(p, sizeof msg, "message %d of %d (in place)", i, count);
            if (rshm_channel_commit(ch, (size_t)n) != 0)
                return channel_demo_fail("channel_sender", "channel_commit");
        } else if (rshm_channel_send(ch, msg, (size_t)n, -1) != 0) {
            /* EPIPE if the receiver has gone, never SIGPIPE */
            return channel_demo_fail("channel_sender", "channel_send");
        }
    }
    printf("channel_sender: sent %d messages\n", count);
    return rshm_channel_close(ch) == 0 ? 0 : channel_demo_fail("channel_sender", "channel_close");
}
