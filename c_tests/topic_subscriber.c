/* Example: subscribe to a topic and print what arrives (see
 * topic_publisher.c). Waits up to 5 s for the topic to appear and
 * receives until the publisher is gone (EPIPE) and the name removed: a
 * publisher that was killed leaves the name, and a new one takes over,
 * which this side waits for. Then it says how many messages it got and how
 * many it lost by falling behind. */
#include <stdlib.h>

#include "topic_demo.h"


int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : TOPIC_DEMO_NAME;
    rshm_topic *t = rshm_topic_open(name, RSHM_O_RDONLY, 5000);
    if (!t)
        return topic_demo_fail("topic_subscriber", "topic_open");
    printf("topic_subscriber %ld: subscribed to %s\n", (long)getpid(), name);
    char buf[256];
    unsigned long got = 0;
    int64_t n;
    for (;;) {
        while ((n = rshm_topic_receive(t, buf, sizeof buf - 1, -1)) >= 0) {
            buf[n] = '\0';
            printf("topic_subscriber %ld: %s\n", (long)getpid(), buf);
            got++;
        }
        if (errno != EPIPE)
            return topic_demo_fail("topic_subscriber", "topic_receive");
        /* No publisher: finished if the name is gone, else one may come. */
        int fd = rshm_shm_open(name, RSHM_O_RDONLY, 0);
        if (fd < 0)
            break;
        rshm_close(fd);
        printf("topic_subscriber %ld: no publisher, waiting for one\n", (long)getpid());
        usleep(200000);
    }
    printf("topic_subscriber %ld: publisher gone after %lu messages, %llu lost\n", (long)getpid(), got,
           (unsigned long long)rshm_topic_lost(t));
    return rshm_topic_close(t) == 0 ? 0 : topic_demo_fail("topic_subscriber", "topic_close");
}
