/* What topic_publisher and topic_subscriber share: the default name and
 * how a failure is reported. */
#ifndef RSHM_TOPIC_DEMO_H
#define RSHM_TOPIC_DEMO_H

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <rshm.h>

#define TOPIC_DEMO_NAME "/rshm-topic-demo"

static int topic_demo_fail(const char *who, const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "%s %ld: %s: %s\n  help: %s\n", who, (long)getpid(), what, rshm_errno_name(e), rshm_errno_help(e));
    return 1;
}

#endif
