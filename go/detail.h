// Declarations of detail.c for the Go files that call them (see detail.go).
#ifndef RSHM_GO_DETAIL_H
#define RSHM_GO_DETAIL_H
#include <stddef.h>
#include <stdint.h>
#include <rshm.h>

// Each is the rshm_ call of its name that, on failure, also stores a copy
// of rshm_error_detail() in *detail (freed by the caller; NULL if there is
// no memory for it), with errno as the call left it.
rshm_segment *rshm_go_segment_create_init(const char *name, size_t size, uint32_t mode, int (*init)(void *, size_t, void *), void *ctx, char **detail);
rshm_segment *rshm_go_segment_open(const char *name, int oflag, uint32_t ms, char **detail);
rshm_channel *rshm_go_channel_create(const char *name, size_t cap, uint32_t mode, char **detail);
rshm_channel *rshm_go_channel_open(const char *name, uint32_t ms, char **detail);
rshm_value *rshm_go_value_create(const char *name, size_t size, uint32_t mode, char **detail);
rshm_value *rshm_go_value_open(const char *name, int flag, uint32_t ms, char **detail);
rshm_topic *rshm_go_topic_create(const char *name, size_t cap, uint32_t subs, int flags, uint32_t mode, char **detail);
rshm_topic *rshm_go_topic_open(const char *name, int oflag, uint32_t ms, char **detail);
int rshm_go_segment_unlink(const char *name, char **detail);
int rshm_go_channel_unlink(const char *name, char **detail);
int rshm_go_value_unlink(const char *name, char **detail);
int rshm_go_topic_unlink(const char *name, char **detail);

#endif
