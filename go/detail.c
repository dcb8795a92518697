// The C half of detail.go: rshm's object calls that keep the failure's
// rshm_error_detail for Go.

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "detail.h"

// The detail (rshm_error_detail) belongs to the OS thread, and a goroutine
// may make its next cgo call on another: so each call below keeps it, in
// the C call that failed, as a copy the caller frees (NULL if there is no
// memory for it). errno is left as the failed call set it.
static void go_failed(char **detail) {
	int e = errno;
	*detail = strdup(rshm_error_detail());
	errno = e;
}

#define GO_OPEN(T, call, params, args)                           \
	T *rshm_go_##call params {                             \
		T *r = rshm_##call args;                         \
		if (r == NULL)                                   \
			go_failed(detail);                       \
		return r;                                        \
	}
#define GO_UNLINK(call)                                          \
	int rshm_go_##call(const char *name, char **detail) { \
		int r = rshm_##call(name);                       \
		if (r != 0)                                      \
			go_failed(detail);                       \
		return r;                                        \
	}

GO_OPEN(rshm_segment, segment_create_init,
	(const char *name, size_t size, uint32_t mode, int (*init)(void *, size_t, void *), void *ctx, char **detail),
	(name, size, mode, init, ctx))
GO_OPEN(rshm_segment, segment_open, (const char *name, int oflag, uint32_t ms, char **detail), (name, oflag, ms))
GO_OPEN(rshm_channel, channel_create, (const char *name, size_t cap, uint32_t mode, char **detail), (name, cap, mode))
GO_OPEN(rshm_channel, channel_open, (const char *name, uint32_t ms, char **detail), (name, ms))
GO_OPEN(rshm_value, value_create, (const char *name, size_t size, uint32_t mode, char **detail), (name, size, mode))
GO_OPEN(rshm_value, value_open, (const char *name, int flag, uint32_t ms, char **detail), (name, flag, ms))
GO_OPEN(rshm_topic, topic_create,
	(const char *name, size_t cap, uint32_t subs, int flags, uint32_t mode, char **detail),
	(name, cap, subs, flags, mode))
GO_OPEN(rshm_topic, topic_open, (const char *name, int oflag, uint32_t ms, char **detail), (name, oflag, ms))
GO_UNLINK(segment_unlink)
GO_UNLINK(channel_unlink)
GO_UNLINK(value_unlink)
GO_UNLINK(topic_unlink)
