/* Example: publish numbered text messages on a topic, to any number of
 * subscribers.
 *
 *   target/c/topic_subscriber [NAME] &   # any number, in any order:
 *   target/c/topic_publisher [NAME] [COUNT] [INTERVAL_MS]
 *
 * The publisher creates the topic, or takes it over when a publisher that
 * was killed left it behind (a live one is EBUSY). It publishes COUNT
 * messages (default 50), one every INTERVAL_MS (default 20), every tenth
 * written in place (reserve/commit); then it removes the name and closes,
 * and each subscriber gets what is left, then EPIPE. Kill any of them at
 * any time: a dead subscriber's place frees and never holds the publisher
 * up; after a dead publisher, subscribers see EPIPE, and a new publisher
 * carries on with the next message number. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "topic_demo.h"


int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : TOPIC_DEMO_NAME;
    int count = argc > 2 ? atoi(argv[2]) : 50;
    int interval_ms = argc > 3 ? atoi(argv[3]) : 20;
    const char *how = "created";
    rshm_topic *t = rshm_topic_create(name, 64 << 10, 16, 0, 0600);
    if (!t && errno == EEXIST) {
        t = rshm_topic_open(name, RSHM_O_RDWR, 0);
        how = "took over";
    }
    if (!t)
        return topic_demo_fail("topic_publisher", "topic_create/open");
    printf("topic_publisher: %s %s\n", how, name);
    struct timespec pause = {interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L};
    for (int i = 1; i <= count; i++) {
        char msg[64];
        int n = snprintf(msg, sizeof msg, "message %d of %d (pid %ld)", i, count, (long)getpid());
        if (i % 10 == 0) {
            /* Zero-copy: write straight into the topic, then publish. */
            char *p = rshm_topic_reserve(t, sizeof msg, -1);
            if (!p)
                return topic_demo_fail("topic_publisher", "topic_reserve");
            memcpy(p, msg, (size_t)n);
            if (rshm_topic_commit(t, (size_t)n) != 0)
                return topic_demo_fail("topic_publisher", "topic_commit");
        } else if (rshm_topic_publish(t, msg, (size_t)n, -1) != 0) {
            return topic_demo_fail("topic_publisher", "topic_publish");
        }
        nanosleep(&pause, NULL);
    }
    printf("topic_publisher: published %d messages\n", count);
    rshm_topic_unlink(name);
    return rshm_topic_close(t) == 0 ? 0 : topic_demo_fail("topic_publisher", "topic_close");
}
