/* What segment_writer and segment_reader share. */
#ifndef RSHM_SEGMENT_DEMO_H
#define RSHM_SEGMENT_DEMO_H

#define SEGMENT_DEMO_NAME "/rshm-segment-demo"
#define SEGMENT_DEMO_TEXT "written before any reader could look"
#define SEGMENT_DEMO_COUNT 100

struct segment_demo {
    char text[64];
    long long squares[SEGMENT_DEMO_COUNT];
};

#endif
