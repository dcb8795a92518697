/* What the writer and reader share: the seed tutorial's struct in a 4 GB
 * segment (only the first page is ever touched, so it costs 4 KiB). */
#ifndef RSHM_SHM_DEMO_H
#define RSHM_SHM_DEMO_H

#include <stdint.h>

#define SHM_DEMO_NAME "/rshm-demo"
#define SHM_DEMO_SIZE ((int64_t)4 * 1000 * 1000 * 1000)

struct my_data {
    int64_t col1;
    int64_t col2;
    int64_t col3;
};

#endif
