/* Example: share a sealed memfd with another program over a unix socket.
 *
 *   target/c/memfd_sender
 *
 * A memfd has no name another process could open, so it travels as a
 * descriptor (SCM_RIGHTS). The sender writes a message into a memfd, seals
 * it (no shrinking, growing or writing: the receiver can map it without
 * fearing SIGBUS or changes), makes a socketpair, starts memfd_receiver
 * (found next to this program) with its end of the pair as argv[1], and
 * sends the descriptor. Nothing is left behind: no name, no socket file. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rshm.h>

static int fail(const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "memfd_sender: %s: %s (%s)\n  help: %s\n", what, rshm_errno_name(e),
            rshm_errno_string(e), rshm_errno_help(e));
    return 1;
}

int main(int argc, char **argv) {
    (void)argc;
    static const char message[] = "hello from a sealed memfd";
    int fd = rshm_memfd_create("demo", RSHM_MFD_CLOEXEC | RSHM_MFD_ALLOW_SEALING);
    if (fd < 0)
        return fail("memfd_create");
    if (rshm_ftruncate(fd, sizeof message) != 0)
        return fail("ftruncate");
    char *p = rshm_mmap(NULL, sizeof message, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    if (p == RSHM_MAP_FAILED)
        return fail("mmap");
    memcpy(p, message, sizeof message);
    /* RSHM_F_SEAL_WRITE needs every writable mapping gone (EBUSY otherwise). */
    rshm_munmap(p, sizeof message);
    if (rshm_add_seals(fd, RSHM_F_SEAL_SHRINK | RSHM_F_SEAL_GROW | RSHM_F_SEAL_WRITE | RSHM_F_SEAL_SEAL) != 0)
        return fail("add_seals");

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return perror("socketpair"), 1;
    char self[PATH_MAX], receiver[PATH_MAX + 32], sock[16];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(receiver, sizeof receiver, "%s/memfd_receiver", dirname(self));
    snprintf(sock, sizeof sock, "%d", sv[1]);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        execl(receiver, receiver, sock, (char *)NULL);
        perror(receiver);
        _exit(127);
    }
    close(sv[1]);
    if (rshm_send_fd(sv[0], fd) != 0)
        return fail("send_fd");
    printf("memfd_sender: sent a %zu-byte sealed memfd to pid %ld\n", sizeof message, (long)pid);
    rshm_close(fd);
    close(sv[0]);
    int status = 1;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
