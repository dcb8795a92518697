/* Named segments: complete before any opener sees them, waited for,
 * validated, read-only when asked, and nothing left behind on failure. */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "check.h"

#define PATTERN 0x5a

/* Entries in /dev/shm made by this process: its test names and rshm's
 * temporary names ("rshm-tmp.PID.…"). */
static int leftovers(void) {
    char mine[64], tmp[64];
    snprintf(mine, sizeof mine, "rshm-test-%ld-", (long)getpid());
    snprintf(tmp, sizeof tmp, "rshm-tmp.%ld.", (long)getpid());
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, mine, strlen(mine)) == 0 || strncmp(e->d_name, tmp, strlen(tmp)) == 0)
            n++;
    if (d)
        closedir(d);
    return n;
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

struct init_ctx {
    int calls;
    int saw_zeros;
    size_t size;
    int fail;
};

static int init_fill(void *data, size_t size, void *ctx) {
    struct init_ctx *c = ctx;
    c->calls++;
    c->size = size;
    c->saw_zeros = all_bytes(data, size, 0);
    memset(data, PATTERN, size);
    return c->fail;
}

/* The child of the wait test: opens before the segment exists. */
static int opener(const char *name, size_t size) {
    rshm_segment *s = rshm_segment_open(name, RSHM_O_RDONLY, 10000);
    if (!s)
        return 10;
    if (rshm_segment_size(s) != size)
        return 11;
    if (!all_bytes(rshm_segment_data(s), size, PATTERN))
        return 12;
    return rshm_segment_close(s) == 0 ? 0 : 13;
}

int main(void) {
    long page = rshm_getpagesize();
    char name[96], perms[5];
    struct init_ctx ctx = {0};

    /* Create, open, share. */
    check_name(name, sizeof name, "seg");
    rshm_segment *w = rshm_segment_create(name, 1000, 0600);
    CHECK(w != NULL);
    CHECK(rshm_segment_size(w) == 1000);
    unsigned char *d = rshm_segment_data(w);
    CHECK(d != NULL && (uintptr_t)d % (uintptr_t)page == 0);
    CHECK(all_bytes(d, 1000, 0));
    CHECK(check_map_perms(d, perms) == 0 && strcmp(perms, "rw-s") == 0);
    memcpy(d, "hello", 6);
    rshm_segment *r = rshm_segment_open(name, RSHM_O_RDONLY, 0);
    CHECK(r != NULL && rshm_segment_size(r) == 1000);
    const char *rd = rshm_segment_data(r);
    CHECK(rd != NULL && (uintptr_t)rd % (uintptr_t)page == 0 && strcmp(rd, "hello") == 0);
    /* RDONLY maps read-only. */
    CHECK(check_map_perms(rd, perms) == 0 && strcmp(perms, "r--s") == 0);
    rshm_segment *rw = rshm_segment_open(name, RSHM_O_RDWR, 0);
    CHECK(rw != NULL);
    ((char *)rshm_segment_data(rw))[0] = 'j';
    CHECK(strcmp(rd, "jello") == 0);
    CHECK(rshm_segment_close(rw) == 0);

    /* The name is taken: EEXIST, the segment untouched. */
    CHECK_ERR(rshm_segment_create(name, 50, 0600), NULL, EEXIST);
    CHECK(strcmp(rd, "jello") == 0 && rshm_segment_size(r) == 1000);
    rshm_segment *again = rshm_segment_open(name, RSHM_O_RDONLY, 0);
    CHECK(again != NULL && rshm_segment_size(again) == 1000);
    CHECK(rshm_segment_close(again) == 0);
    CHECK(rshm_segment_close(w) == 0);
    CHECK(rshm_segment_unlink(name) == 0);
    /* Handles outlive the name. */
    CHECK(strcmp(rd, "jello") == 0);
    CHECK(rshm_segment_close(r) == 0);
    CHECK(rshm_segment_close(NULL) == 0);
    CHECK_ERR(rshm_segment_unlink(name), -1, ENOENT);

    /* A plain object of that name: EEXIST for the creator, which leaves it
     * as it was; EINVAL for an opener. */
    check_name(name, sizeof name, "plain");
    int fd = rshm_shm_open(name, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0600);
    CHECK(fd >= 0 && rshm_ftruncate(fd, 2 * page) == 0);
    CHECK(pwrite(fd, "not a segment", 13, 0) == 13);
    CHECK_ERR(rshm_segment_create(name, 100, 0600), NULL, EEXIST);
    rshm_stat st;
    char buf[14] = {0};
    CHECK(rshm_fstat(fd, &st) == 0 && st.size == 2 * page);
    CHECK(pread(fd, buf, 13, 0) == 13 && strcmp(buf, "not a segment") == 0);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 0), NULL, EINVAL);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 50), NULL, EINVAL); /* no waiting either */
    CHECK(rshm_ftruncate(fd, 0) == 0);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 0), NULL, EINVAL); /* empty */
    rshm_close(fd);
    CHECK(rshm_shm_unlink(name) == 0);

    /* Another layout version: EPROTO. The version is the u32 after the
     * 8-byte magic at the start of the object. */
    check_name(name, sizeof name, "version");
    w = rshm_segment_create(name, 64, 0600);
    CHECK(w != NULL);
    fd = rshm_shm_open(name, RSHM_O_RDWR, 0);
    uint32_t version = 0;
    CHECK(pread(fd, &version, 4, 8) == 4 && version == 2);
    version = 99;
    CHECK(pwrite(fd, &version, 4, 8) == 4);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 0), NULL, EPROTO);
    /* Layout 1 had no creator: refused too. */
    version = 1;
    CHECK(pwrite(fd, &version, 4, 8) == 4);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 0), NULL, EPROTO);
    /* A header whose size does not fit the object: EINVAL. */
    version = 2;
    uint64_t huge = (uint64_t)1 << 40;
    CHECK(pwrite(fd, &version, 4, 8) == 4 && pwrite(fd, &huge, 8, 32) == 8);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 0), NULL, EINVAL);
    rshm_close(fd);
    CHECK(rshm_segment_close(w) == 0);
    CHECK(rshm_segment_unlink(name) == 0);

    /* The opener starts first and waits; it always reads what init wrote. */
    check_name(name, sizeof name, "wait");
    const size_t size = 3 * (size_t)page + 5;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(opener(name, size));
    usleep(50 * 1000);
    w = rshm_segment_create_init(name, size, 0600, init_fill, &ctx);
    CHECK(w != NULL);
    CHECK(ctx.calls == 1 && ctx.size == size && ctx.saw_zeros);
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "opener status %d\n", status);
    CHECK(rshm_segment_close(w) == 0);
    CHECK(rshm_segment_unlink(name) == 0);

    /* Nobody creates it: ETIMEDOUT, or ENOENT when not waiting. */
    check_name(name, sizeof name, "never");
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 30), NULL, ETIMEDOUT);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 0), NULL, ENOENT);

    /* init fails: ECANCELED, and no trace of the name or a temporary one. */
    check_name(name, sizeof name, "initfail");
    struct init_ctx failing = {.fail = 7};
    CHECK_ERR(rshm_segment_create_init(name, 4096, 0600, init_fill, &failing), NULL, ECANCELED);
    CHECK(failing.calls == 1);
    CHECK_ERR(rshm_shm_open(name, RSHM_O_RDONLY, 0), -1, ENOENT);
    CHECK(leftovers() == 0);
    /* A NULL init is plain create. */
    w = rshm_segment_create_init(name, 10, 0600, NULL, NULL);
    CHECK(w != NULL && rshm_segment_size(w) == 10);
    CHECK(rshm_segment_close(w) == 0);
    CHECK(rshm_segment_unlink(name) == 0);

    /* A 0400 segment opens read-only (read permission is all it needs). */
    check_name(name, sizeof name, "ro");
    w = rshm_segment_create(name, 100, 0400);
    CHECK(w != NULL);
    fd = rshm_shm_open(name, RSHM_O_RDONLY, 0);
    CHECK(fd >= 0 && rshm_fstat(fd, &st) == 0 && (st.mode & 07777) == 0400);
    rshm_close(fd);
    r = rshm_segment_open(name, RSHM_O_RDONLY, 0);
    CHECK(r != NULL && check_map_perms(rshm_segment_data(r), perms) == 0 && strcmp(perms, "r--s") == 0);
    CHECK(rshm_segment_close(r) == 0);
    CHECK(rshm_segment_close(w) == 0);
    CHECK(rshm_segment_unlink(name) == 0);

    /* The pages are reserved at creation: too big is ENOSPC now, and
     * nothing is left behind. */
    check_name(name, sizeof name, "nospc");
    CHECK_ERR(rshm_segment_create(name, (size_t)1 << 50, 0600), NULL, ENOSPC);
    CHECK(leftovers() == 0);
    w = rshm_segment_create(name, 1 << 20, 0600);
    CHECK(w != NULL);
    fd = rshm_shm_open(name, RSHM_O_RDONLY, 0);
    CHECK(fd >= 0 && rshm_fstat(fd, &st) == 0 && st.blocks * 512 >= (1 << 20));
    rshm_close(fd);
    CHECK(rshm_segment_close(w) == 0);
    CHECK(rshm_segment_unlink(name) == 0);

    /* Bad arguments. */
    check_name(name, sizeof name, "args");
    CHECK_ERR(rshm_segment_create(name, 0, 0600), NULL, EINVAL);
    CHECK_ERR(rshm_segment_create(name, SIZE_MAX, 0600), NULL, EOVERFLOW);
    CHECK_ERR(rshm_segment_create(NULL, 10, 0600), NULL, EFAULT);
    CHECK_ERR(rshm_segment_create("/a/b", 10, 0600), NULL, EINVAL);
    CHECK_ERR(rshm_segment_open(NULL, RSHM_O_RDONLY, 0), NULL, EFAULT);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_WRONLY, 0), NULL, EINVAL);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDWR | RSHM_O_CREAT, 0), NULL, EINVAL);
    CHECK_ERR(rshm_segment_data(NULL), NULL, EFAULT);
    CHECK_ERR(rshm_segment_size(NULL), 0, EFAULT);
    CHECK_ERR(rshm_segment_unlink(NULL), -1, EFAULT);
    CHECK(leftovers() == 0);
    return check_done("segment");
}
