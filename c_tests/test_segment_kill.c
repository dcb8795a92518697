/* kill -9 of a segment's creator at random points inside
 * rshm_segment_create_init, while another process polls the name with
 * rshm_segment_open: the opener gets ENOENT (or ETIMEDOUT when it waited)
 * or a complete segment (right size, every byte as the initialiser wrote
 * it), never a half-made one. A creator killed before its link(2) leaves
 * its temporary object ("rshm-tmp.PID.*") and no name; the test removes
 * those, as `rshm rm` would, and checks nothing of the test remains.
 *
 * The kill points are spread over the creation by a delay drawn at random
 * in a window that adapts to how long creation takes here (so that about
 * half the kills land inside it, under valgrind too). */
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

#define SIZE (256 * 1024)
#define PATTERN 0x6b

/* Shared between the parent, the creator and the opener of a round. */
struct round {
    atomic_int stage; /* 1: creator calls create_init, 2: it returned */
    atomic_int stop;  /* the creator is dead: one last look, then exit */
    atomic_int pages; /* pages init has written, + 1 once it has started */
    atomic_long polls, enoent, etimedout, complete, bad;
};

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Writes the data a page at a time, so the kill can land in the middle,
 * and counts its progress in ctx (a struct round's pages, if not NULL). */
static int fill(void *data, size_t size, void *ctx) {
    atomic_int *pages = ctx;
    for (size_t off = 0; off < size; off += 4096) {
        if (pages)
            atomic_fetch_add(pages, 1);
        memset((unsigned char *)data + off, PATTERN, size - off < 4096 ? size - off : 4096);
    }
    if (pages)
        atomic_fetch_add(pages, 1);
    return 0;
}

/* Whether seg is complete: the creator's size and every byte initialised. */
static int complete(struct rshm_segment *seg) {
    const unsigned char *d = rshm_segment_data(seg);
    if (rshm_segment_size(seg) != SIZE)
        return 0;
    for (size_t i = 0; i < SIZE; i++)
        if (d[i] != PATTERN)
            return 0;
    return 1;
}

static void opener(struct round *r, const char *name) {
    for (int i = 0;; i++) {
        int last = atomic_load(&r->stop);
        /* Mostly no wait; now and then a short one, which ends in ETIMEDOUT. */
        struct rshm_segment *seg = rshm_segment_open(name, RSHM_O_RDONLY, i % 8 == 7 ? 1 : 0);
        int e = errno;
        atomic_fetch_add(&r->polls, 1);
        if (seg) {
            atomic_fetch_add(complete(seg) ? &r->complete : &r->bad, 1);
            rshm_segment_close(seg);
        } else if (e == ENOENT) {
            atomic_fetch_add(&r->enoent, 1);
        } else if (e == ETIMEDOUT) {
            atomic_fetch_add(&r->etimedout, 1);
        } else {
            atomic_fetch_add(&r->bad, 1);
            fprintf(stderr, "opener: %s\n", rshm_errno_name(e));
        }
        if (last)
            _exit(0);
        /* The machine may have two cores: leave one to the creator. */
        struct timespec pause_ = {0, 20000};
        nanosleep(&pause_, NULL);
    }
}

static void creator(struct round *r, const char *name) {
    atomic_store(&r->stage, 1);
    struct rshm_segment *seg = rshm_segment_create_init(name, SIZE, 0600, fill, &r->pages);
    atomic_store(&r->stage, seg ? 2 : 3);
    for (;;)
        pause();
}

/* Removes /dev/shm entries starting with prefix; returns how many. */
static int remove_prefix(const char *prefix) {
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            char path[512];
            snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
            if (unlink(path) == 0)
                n++;
        }
    }
    if (d)
        closedir(d);
    return n;
}

int main(void) {
    int valgrind = check_under_valgrind();
    /* Kills inside create_init to reach, and a bound on rounds: 5 *
     * wanted, or more until a minute has passed. On a loaded machine the
     * parent may lose its CPU between the creator's start and the kill,
     * and the creator then finishes first however short the delay: one
     * CI run got 88 kills inside in 1000 rounds. More rounds, not a
     * weaker check. */
    int wanted = valgrind ? 100 : 200, max_rounds = 5 * wanted;
    long deadline = now_ns() + 60 * 1000000000L;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    char name[64];

    /* How long a creation takes here: the first window for the delays. */
    long t0 = now_ns();
    for (int i = 0; i < 5; i++) {
        struct rshm_segment *seg = rshm_segment_create_init(check_name(name, sizeof name, "calib"), SIZE, 0600, fill,
                                                            NULL);
        CHECK(seg != NULL);
        rshm_segment_close(seg);
        rshm_segment_unlink(name);
    }
    long window = (now_ns() - t0) / 5 * 2;

    struct round *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(r != MAP_FAILED);
    if (r == MAP_FAILED)
        return check_done("segment-kill");
    int rounds = 0, inside = 0, after = 0, tmp_left = 0, linked_inside = 0, final_complete = 0, final_bad = 0;
    int openers_failed = 0, creators_not_killed = 0, before_init = 0, during_init = 0, after_init = 0;
    long polls = 0, enoent = 0, etimedout = 0, seen_complete = 0, bad = 0;
    while (inside < wanted && (rounds < max_rounds || now_ns() < deadline)) {
        rounds++;
        memset(r, 0, sizeof *r);
        check_name(name, sizeof name, "kill");
        pid_t op = fork();
        if (op == 0)
            opener(r, name);
        pid_t cr = fork();
        if (cr == 0)
            creator(r, name);
        CHECK(op > 0 && cr > 0);
        if (op <= 0 || cr <= 0)
            break;
        while (atomic_load(&r->stage) == 0)
            ;
        long delay = window > 0 ? (long)(((double)rand_r(&seed) / RAND_MAX) * (double)window) : 0;
        for (long until = now_ns() + delay; now_ns() < until;)
            ;
        kill(cr, SIGKILL);
        int st = 0;
        waitpid(cr, &st, 0);
        if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
            creators_not_killed++;
        /* Where the kill landed, from the stage the creator reached. */
        int stage = atomic_load(&r->stage);
        if (stage == 1) {
            int pages = atomic_load(&r->pages);
            if (pages == 0)
                before_init++;
            else if (pages <= SIZE / 4096)
                during_init++;
            else
                after_init++;
            inside++;
            window += window / 16 + 1;
        } else {
            after++;
            window -= window / 8;
        }
        atomic_store(&r->stop, 1);
        waitpid(op, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            openers_failed++;

        /* After the creator: no name, or a complete segment. */
        struct rshm_segment *seg = rshm_segment_open(name, RSHM_O_RDONLY, 0);
        if (seg) {
            if (complete(seg))
                final_complete++;
            else
                final_bad++;
            if (stage == 1)
                linked_inside++;
            rshm_segment_close(seg);
            CHECK(rshm_segment_unlink(name) == 0);
        } else if (errno != ENOENT) {
            final_bad++;
            fprintf(stderr, "after the kill: %s\n", rshm_errno_name(errno));
        }
        if (stage == 2)
            CHECK(seg != NULL);
        /* The stale temporary object of a creator killed before its link. */
        char tmp[64];
        snprintf(tmp, sizeof tmp, "rshm-tmp.%ld.", (long)cr);
        tmp_left += remove_prefix(tmp);
        CHECK(check_shm_count(tmp) == 0);
        polls += atomic_load(&r->polls);
        enoent += atomic_load(&r->enoent);
        etimedout += atomic_load(&r->etimedout);
        seen_complete += atomic_load(&r->complete);
        bad += atomic_load(&r->bad);
    }

    printf("segment-kill: %d rounds, %d kills inside rshm_segment_create_init, %d after it returned\n", rounds, inside,
           after);
    printf("  killed inside: %d before init ran, %d while init wrote the data, %d after it\n", before_init,
           during_init, after_init);
    printf("  killed inside: %d before the link (temporary object left, removed: %d), %d after it (complete)\n",
           inside - linked_inside, tmp_left, linked_inside);
    printf("  opener: %ld polls: %ld ENOENT, %ld ETIMEDOUT, %ld complete segments, %ld half-made or bad\n", polls,
           enoent, etimedout, seen_complete, bad);
    CHECK(inside >= wanted / 2);
    CHECK(creators_not_killed == 0);
    CHECK(openers_failed == 0);
    CHECK(bad == 0);
    CHECK(final_bad == 0);
    CHECK(polls >= rounds);
    /* Only a killed creator leaves a temporary object (before its link, or
     * between the link and the removal of the temporary name). */
    CHECK(tmp_left <= inside);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "rshm-test-%ld-", (long)getpid());
    CHECK(check_shm_count(prefix) == 0);
    munmap(r, sizeof *r);
    return check_done("segment-kill");
}
