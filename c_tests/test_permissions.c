/* Permissions: a segment made with mode 0600 is 0600 in /dev/shm, a second
 * creation of its name is EEXIST (O_EXCL semantics), and another user
 * (nobody, 65534:65534, no supplementary groups: what
 * `setpriv --reuid=65534 --regid=65534 --clear-groups` gives) can neither
 * open it, read-only or read-write, through the segment or the plain call,
 * nor remove it: EACCES, with the help text rshm_errno_help(EACCES).
 *
 * Switching user needs root (CI runs as root); otherwise the other-user
 * part is one skipped check. */
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"

#define NOBODY 65534

/* In a child that became nobody: the checks, reported by exit status
 * (the number of failed checks; 100 if the switch itself failed). */
static int as_nobody(const char *name, const char *cname) {
    if (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 || setresuid(NOBODY, NOBODY, NOBODY) != 0)
        return 100;
    if (geteuid() != NOBODY || getegid() != NOBODY)
        return 100;
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 0), NULL, EACCES);
    const char *help = rshm_errno_help(errno);
    CHECK(help != NULL && strcmp(help, rshm_errno_help(EACCES)) == 0);
    CHECK(strstr(help, "permission") != NULL);
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDWR, 0), NULL, EACCES);
    CHECK(strcmp(rshm_errno_help(errno), rshm_errno_help(EACCES)) == 0);
    /* A wait does not turn EACCES into a timeout: it is final. */
    CHECK_ERR(rshm_segment_open(name, RSHM_O_RDONLY, 50), NULL, EACCES);
    CHECK_ERR(rshm_shm_open(name, RSHM_O_RDONLY, 0), -1, EACCES);
    CHECK_ERR(rshm_shm_open(name, RSHM_O_RDWR | RSHM_O_CREAT, 0666), -1, EACCES);
    /* /dev/shm is sticky: only the owner removes the name. */
    CHECK_ERR(rshm_segment_unlink(name), -1, EACCES);
    CHECK_ERR(rshm_shm_unlink(name), -1, EACCES);
    /* And the name is taken for nobody too. */
    CHECK_ERR(rshm_segment_create(name, 4096, 0600), NULL, EEXIST);
    /* A channel is a segment: the same holds. */
    CHECK_ERR(rshm_channel_open(cname, 0), NULL, EACCES);
    CHECK(strcmp(rshm_errno_help(errno), rshm_errno_help(EACCES)) == 0);
    CHECK_ERR(rshm_channel_open(cname, 50), NULL, EACCES);
    CHECK_ERR(rshm_channel_create(cname, 4096, 0600), NULL, EEXIST);
    CHECK_ERR(rshm_channel_unlink(cname), -1, EACCES);
    return check_failed;
}

/* Whether uid 65534 exists here: not in a user namespace that maps only
 * the caller's own uid to root (unshare -r, which tests/run.sh may use). */
static int nobody_mapped(void) {
    FILE *f = fopen("/proc/self/uid_map", "r");
    unsigned long inside, outside, count;
    int mapped = 0;
    while (f && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
        mapped |= inside <= NOBODY && NOBODY - inside < count;
    if (f)
        fclose(f);
    return mapped;
}

int main(void) {
    char name[64], path[96], cname[64], cpath[96];
    check_name(name, sizeof name, "perm");
    check_name(cname, sizeof cname, "perm-chan");
    snprintf(cpath, sizeof cpath, "/dev/shm%s", cname);
    snprintf(path, sizeof path, "/dev/shm%s", name);

    /* The umask applies to the mode, as for open(2): with 022 a 0600
     * segment stays 0600 and a 0666 one becomes 0644. */
    mode_t old = umask(022);
    struct rshm_segment *seg = rshm_segment_create(name, 4096, 0600);
    CHECK(seg != NULL);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK_ERR(rshm_segment_create(name, 4096, 0600), NULL, EEXIST);
    CHECK_ERR(rshm_segment_create(name, 4096, 0666), NULL, EEXIST);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
    rshm_channel *ch = rshm_channel_create(cname, 4096, 0600);
    CHECK(ch != NULL);
    CHECK(stat(cpath, &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK_ERR(rshm_channel_create(cname, 4096, 0600), NULL, EEXIST);
    umask(old);

    if (geteuid() != 0) {
        check_skip("root: switching to another user needs root (sudo make test)");
    } else if (!nobody_mapped()) {
        check_skip("root: root of a user namespace without uid 65534 (unshare -r); run make test as real root");
    } else {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            /* The parent's handle is not the child's to keep (valgrind
             * counts it as a leak at the child's exit). */
            rshm_segment_close(seg);
            rshm_channel_close(ch); /* it holds no role yet: nothing of the parent's is given up */
            _exit(as_nobody(name, cname));
        }
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 100);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                printf("permissions: user %d could not open, create or remove a 0600 segment or channel of uid 0 (EACCES, EEXIST)\n",
                   NOBODY);
        /* The owner still can. */
        struct rshm_segment *again = rshm_segment_open(name, RSHM_O_RDWR, 0);
        CHECK(again != NULL);
        rshm_segment_close(again);
    }
    rshm_segment_close(seg);
    CHECK(rshm_segment_unlink(name) == 0);
    rshm_channel_close(ch);
    CHECK(rshm_channel_unlink(cname) == 0);
    return check_done("permissions");
}
