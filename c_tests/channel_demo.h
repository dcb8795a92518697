/* What channel_sender and channel_receiver share: the default name, and
 * how each side gets the channel whichever starts first. */
#ifndef RSHM_CHANNEL_DEMO_H
#define RSHM_CHANNEL_DEMO_H

#include <errno.h>
#include <stdio.h>

#include <rshm.h>

#define CHANNEL_DEMO_NAME "/rshm-channel-demo"
#define CHANNEL_DEMO_CAPACITY 4096

/* Creates the channel, or opens it if the other side was first. Either
 * side may create it: roles come with the first send or receive. */
static rshm_channel *channel_demo_get(const char *name, const char **how) {
    rshm_channel *ch = rshm_channel_create(name, CHANNEL_DEMO_CAPACITY, 0600);
    *how = "created";
    if (!ch && errno == EEXIST) {
        ch = rshm_channel_open(name, 5000);
        *how = "opened";
    }
    return ch;
}

static int channel_demo_fail(const char *who, const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "%s: %s: %s (%s)\n  help: %s\n", who, what, rshm_errno_name(e), rshm_errno_string(e),
            rshm_errno_help(e));
    return 1;
}

#endif
