/* rshm_wait / rshm_wake: argument errors, the try and timed forms, a wake
 * that reaches a sleeper in another process through a MAP_SHARED page, and
 * both on memory the process may only read, where they work. */
#include "check.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(void) {
    uint32_t w = 7;
    CHECK_ERR(rshm_wait(NULL, 0, 0), -1, EFAULT);
    CHECK_ERR(rshm_wake(NULL, 1), -1, EFAULT);
    CHECK_ERR(rshm_wait((const uint32_t *)((char *)&w + 1), 0, 0), -1, EINVAL);
    CHECK_ERR(rshm_wait(&w, 7, -2), -1, EINVAL);
    CHECK_ERR(rshm_wake(&w, -1), -1, EINVAL);

    CHECK(rshm_wait(&w, 8, 0) == 0);  /* differs: returns at once */
    CHECK(rshm_wait(&w, 8, -1) == 0); /* differs: never sleeps */
    CHECK_ERR(rshm_wait(&w, 7, 0), -1, EAGAIN);
    CHECK_ERR(rshm_wait(&w, 7, 1000000), -1, ETIMEDOUT);
    CHECK(rshm_wake(&w, 1) == 0);
    CHECK(rshm_wake(&w, 0) == 0);

    /* word[0]: the value slept on; word[1]: the child is about to sleep. */
    uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(word != MAP_FAILED);
    if (word == MAP_FAILED)
        return check_done("futex");
    pid_t pid = fork();
    if (pid == 0) {
        __atomic_store_n(&word[1], 1, __ATOMIC_SEQ_CST);
        while (__atomic_load_n(&word[0], __ATOMIC_SEQ_CST) == 0)
            if (rshm_wait(&word[0], 0, -1) != 0 && errno != EINTR)
                _exit(1);
        _exit(0);
    }
    CHECK(pid > 0);
    while (__atomic_load_n(&word[1], __ATOMIC_SEQ_CST) == 0)
        usleep(1000);
    /* Until the child is asleep a wake finds nobody; once one lands, the
     * child re-checks, finds 0 and sleeps again. */
    int woken = 0;
    while ((woken = rshm_wake(&word[0], 1)) == 0)
        usleep(1000);
    CHECK(woken == 1);
    __atomic_store_n(&word[0], 1, __ATOMIC_SEQ_CST);
    CHECK(rshm_wake(&word[0], INT_MAX) >= 0);
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* A read-only view of a memfd page: waits only read the word and wakes
     * only use its address, so both work there, across the two views. */
    int fd = memfd_create("rshm-test-futex-ro", MFD_CLOEXEC);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
    uint32_t *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const uint32_t *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(rw != MAP_FAILED && ro != MAP_FAILED);
    if (rw != MAP_FAILED && ro != MAP_FAILED) {
        CHECK(rshm_wait(ro, 1, 0) == 0);
        CHECK_ERR(rshm_wait(ro, 0, 0), -1, EAGAIN);
        CHECK_ERR(rshm_wait(ro, 0, 1000000), -1, ETIMEDOUT);
        CHECK(rshm_wake(ro, INT_MAX) == 0);
        pid = fork();
        if (pid == 0) {
            while (__atomic_load_n(&ro[0], __ATOMIC_SEQ_CST) == 0)
                if (rshm_wait(ro, 0, -1) != 0 && errno != EINTR)
                    _exit(1);
            _exit(0);
        }
        while ((woken = rshm_wake(ro, 1)) == 0)
            usleep(1000);
        CHECK(woken == 1);
        __atomic_store_n(&rw[0], 1, __ATOMIC_SEQ_CST);
        CHECK(rshm_wake(ro, INT_MAX) >= 0);
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(munmap(rw, 4096) == 0 && munmap((void *)ro, 4096) == 0);
    }
    close(fd);
    CHECK(munmap(word, 4096) == 0);
    return check_done("futex");
}
