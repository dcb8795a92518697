/* rshm_mutex across processes on a MAP_SHARED anonymous mapping: mutual
 * exclusion, try and timed locks, non-owner unlock, the robust path (an
 * owner that exits or is killed holding the lock, before or while another
 * waits), and a mutex in memory the process may only read. */
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct shared {
    rshm_mutex m;
    long counter;
};

/* Another thread's rshm_mutex_consistent, which must be refused: only the
 * thread that got EOWNERDEAD may call it. */
static void *consistent_elsewhere(void *m) {
    CHECK_ERR(rshm_mutex_consistent(m), -1, EINVAL);
    return NULL;
}

/* Kills the process `*arg` points to after 50 ms: the main thread is then
 * asleep in rshm_mutex_lock. */
static void *kill_later(void *arg) {
    usleep(50000);
    kill(*(pid_t *)arg, SIGKILL);
    return NULL;
}

/* A child's verdict: its exit status. */
static int reap(pid_t pid) {
    int status = -1;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A child that locks, says so through `ready`, then waits for one byte on
 * `go` and ends as `how` says: 0 unlocks and exits, 1 exits holding the
 * lock, 2 is killed holding it; 3 waits on `go` until it is killed. */
static pid_t holder(struct shared *s, int how, int ready[2], int go[2]) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char c = 0;
    if (rshm_mutex_lock(&s->m, -1) != 0 || write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
        _exit(1);
    if (how == 2)
        raise(SIGKILL);
    if (how == 0 && rshm_mutex_unlock(&s->m) != 0)
        _exit(1);
    _exit(0);
}

/* A mutex in memory the process may only read (as in a segment opened
 * with RSHM_O_RDONLY): a read-only view of a memfd page whose writable view
 * initialised it. init is EFAULT, unlock and consistent of a mutex the
 * caller does not hold refuse without writing; a lock stores to the word
 * and is SIGSEGV, as documented (SIGABRT from AddressSanitizer's handler). */
static void read_only(void) {
    int fd = memfd_create("rshm-test-mutex-ro", MFD_CLOEXEC);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
    rshm_mutex *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    rshm_mutex *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(rw != MAP_FAILED && ro != MAP_FAILED);
    close(fd);
    if (rw == MAP_FAILED || ro == MAP_FAILED)
        return;
    CHECK(rshm_mutex_init(rw) == 0);
    CHECK_ERR(rshm_mutex_init(ro), -1, EFAULT);
    CHECK_ERR(rshm_mutex_unlock(ro), -1, EPERM);
    CHECK_ERR(rshm_mutex_consistent(ro), -1, EINVAL);
    pid_t pid = fork();
    if (pid == 0) {
        rshm_mutex_lock(ro, 0);
        _exit(0);
    }
    int how = reap(pid);
    CHECK(how == 128 + SIGSEGV || (CHECK_UNDER_ASAN && how == 128 + SIGABRT));
    /* The writable view still works, and nothing was written through the other. */
    CHECK(rshm_mutex_lock(rw, 0) == 0);
    CHECK(rshm_mutex_unlock(rw) == 0);
    CHECK(munmap(rw, 4096) == 0 && munmap(ro, 4096) == 0);
}

/* A holder in another PID namespace, with its own /proc, as in a
 * container sharing /dev/shm: its tid (2 there) names another process
 * here (kthreadd, or none), which a waiter must not take for a dead
 * owner's. The holder marks the mutex foreign, and the waiter's timed
 * lock ends in ETIMEDOUT, not EOWNERDEAD. Needs unshare(CLONE_NEWPID |
 * CLONE_NEWNS) and a proc mount (root); skipped with a SKIP line
 * otherwise. */
static void other_pid_namespace(struct shared *s, int ready[2], int go[2]) {
    int ok[2];
    CHECK(pipe(ok) == 0);
    CHECK(rshm_mutex_init(&s->m) == 0);
    pid_t mid = fork();
    if (mid == 0) {
        char c = 0;
        if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0)
            _exit(77);
        pid_t init1 = fork(); /* pid 1 there: while it lives, forks work */
        if (init1 == 0) {
            pause();
            _exit(0);
        }
        pid_t h = fork();
        if (h == 0) {
            if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
                mount("proc", "/proc", "proc", 0, NULL) != 0)
                _exit(77);
            if (write(ok[1], &c, 1) != 1 || rshm_mutex_lock(&s->m, -1) != 0 || write(ready[1], &c, 1) != 1 ||
                read(go[0], &c, 1) != 1 || rshm_mutex_unlock(&s->m) != 0)
                _exit(1);
            _exit(0);
        }
        int r = reap(h);
        kill(init1, SIGKILL);
        reap(init1);
        _exit(r);
    }
    close(ok[1]);
    char c = 0;
    if (read(ok[0], &c, 1) != 1) {
        close(ok[0]);
        printf("SKIP mutex: a holder in another PID namespace (exit %d: needs root for unshare and mount)\n",
               reap(mid));
        return;
    }
    close(ok[0]);
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK_ERR(rshm_mutex_lock(&s->m, 50000000), -1, ETIMEDOUT);
    CHECK_ERR(rshm_mutex_lock(&s->m, 0), -1, EBUSY);
    CHECK(write(go[1], &c, 1) == 1);
    CHECK(reap(mid) == 0);
    CHECK(rshm_mutex_lock(&s->m, 0) == 0);
    CHECK(rshm_mutex_unlock(&s->m) == 0);
}

int main(void) {
    CHECK(sizeof(rshm_mutex) == 64);
    CHECK_ERR(rshm_mutex_init(NULL), -1, EFAULT);
    CHECK_ERR(rshm_mutex_lock(NULL, -1), -1, EFAULT);
    CHECK_ERR(rshm_mutex_unlock(NULL), -1, EFAULT);
    CHECK_ERR(rshm_mutex_consistent(NULL), -1, EFAULT);

    struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(s != MAP_FAILED);
    if (s == MAP_FAILED)
        return check_done("mutex");
    CHECK_ERR(rshm_mutex_init((rshm_mutex *)((char *)s + 4)), -1, EINVAL);
    CHECK(rshm_mutex_init(&s->m) == 0);
    CHECK_ERR(rshm_mutex_lock(&s->m, -2), -1, EINVAL);

    /* Owner-side errors in one thread. */
    CHECK_ERR(rshm_mutex_unlock(&s->m), -1, EPERM);
    CHECK_ERR(rshm_mutex_consistent(&s->m), -1, EINVAL);
    CHECK(rshm_mutex_lock(&s->m, 0) == 0);
    CHECK_ERR(rshm_mutex_lock(&s->m, -1), -1, EDEADLK);
    CHECK(rshm_mutex_unlock(&s->m) == 0);

    /* Mutual exclusion: two processes add to one counter under the lock. */
    enum { N = 100000 };
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < N; i++) {
            if (rshm_mutex_lock(&s->m, -1) != 0)
                _exit(1);
            s->counter++;
            if (rshm_mutex_unlock(&s->m) != 0)
                _exit(1);
        }
        _exit(0);
    }
    int bad = 0;
    for (int i = 0; i < N; i++) {
        bad += rshm_mutex_lock(&s->m, -1) != 0;
        s->counter++;
        bad += rshm_mutex_unlock(&s->m) != 0;
    }
    CHECK(bad == 0);
    CHECK(reap(pid) == 0);
    CHECK(s->counter == 2 * N);

    int ready[2], go[2];
    char c = 1;
    CHECK(pipe(ready) == 0 && pipe(go) == 0);

    /* Held by another process: try is EBUSY, timed is ETIMEDOUT, our
     * unlock is EPERM; a blocked lock gets it once the owner unlocks. */
    pid = holder(s, 0, ready, go);
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK_ERR(rshm_mutex_lock(&s->m, 0), -1, EBUSY);
    CHECK_ERR(rshm_mutex_lock(&s->m, 1000000), -1, ETIMEDOUT);
    CHECK_ERR(rshm_mutex_unlock(&s->m), -1, EPERM);
    CHECK(write(go[1], &c, 1) == 1);
    CHECK(rshm_mutex_lock(&s->m, -1) == 0);
    CHECK(rshm_mutex_unlock(&s->m) == 0);
    CHECK(reap(pid) == 0);

    /* The owner exits holding it; a blocked locker gets EOWNERDEAD and the
     * lock, repairs, marks it consistent: back to normal. */
    pid = holder(s, 1, ready, go);
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK(write(go[1], &c, 1) == 1);
    CHECK_ERR(rshm_mutex_lock(&s->m, -1), -1, EOWNERDEAD);
    CHECK_ERR(rshm_mutex_lock(&s->m, 0), -1, EDEADLK);
    pthread_t other;
    CHECK(pthread_create(&other, NULL, consistent_elsewhere, &s->m) == 0 && pthread_join(other, NULL) == 0);
    CHECK(rshm_mutex_consistent(&s->m) == 0);
    CHECK(rshm_mutex_unlock(&s->m) == 0);
    CHECK(rshm_mutex_lock(&s->m, 0) == 0);
    CHECK(rshm_mutex_unlock(&s->m) == 0);
    CHECK(reap(pid) == 0);

    /* The owner is killed (kill -9) holding it; this time the next owner
     * unlocks without consistent: the mutex is unrecoverable until init. */
    pid = holder(s, 2, ready, go);
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK(write(go[1], &c, 1) == 1);
    CHECK(reap(pid) == 128 + SIGKILL);
    CHECK_ERR(rshm_mutex_lock(&s->m, 1000000000), -1, EOWNERDEAD);
    CHECK(rshm_mutex_unlock(&s->m) == 0);
    CHECK_ERR(rshm_mutex_lock(&s->m, -1), -1, ENOTRECOVERABLE);
    CHECK_ERR(rshm_mutex_lock(&s->m, 0), -1, ENOTRECOVERABLE);
    CHECK(rshm_mutex_init(&s->m) == 0);
    CHECK(rshm_mutex_lock(&s->m, 0) == 0);
    CHECK(rshm_mutex_unlock(&s->m) == 0);

    /* Killed while this thread sleeps in a lock without limit: the waiter
     * sees the death at its next slice, takes the lock with EOWNERDEAD and
     * makes it consistent. */
    pid = holder(s, 3, ready, go);
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK(pthread_create(&other, NULL, kill_later, &pid) == 0);
    CHECK_ERR(rshm_mutex_lock(&s->m, -1), -1, EOWNERDEAD);
    CHECK(pthread_join(other, NULL) == 0);
    CHECK(rshm_mutex_consistent(&s->m) == 0);
    CHECK(rshm_mutex_unlock(&s->m) == 0);
    CHECK(reap(pid) == 128 + SIGKILL);
    CHECK(rshm_mutex_lock(&s->m, 0) == 0);
    CHECK(rshm_mutex_unlock(&s->m) == 0);

    other_pid_namespace(s, ready, go);
    read_only();
    CHECK(munmap(s, 4096) == 0);
    return check_done("mutex");
}
