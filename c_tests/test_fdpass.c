/* rshm_send_fd / rshm_recv_fd: a sealed memfd crosses stream and seqpacket
 * sockets into a fork()ed child; smuggled and truncated descriptor sets are
 * closed; a closed peer is an errno, not a signal. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "check.h"

static const char message[] = "passed over a unix socket";

/* Open descriptors of this process (the directory's own included: the same
 * offset in every count). */
static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Sends `n` copies of `fd` in one SCM_RIGHTS message, as a careless or
 * hostile peer might. */
static int send_many(int sock, int fd, int n) {
    char byte = 'x';
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(64 * sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    for (int i = 0; i < n; i++)
        memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
    return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* The child: receive, check close-on-exec, seals, size and contents. */
static int child(int sock) {
    int fd = rshm_recv_fd(sock);
    if (fd < 0)
        return 10;
    if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
        return 11;
    if (!(rshm_get_seals(fd) & RSHM_F_SEAL_WRITE))
        return 12;
    rshm_stat st;
    if (rshm_fstat(fd, &st) != 0 || st.size != (int64_t)sizeof message)
        return 13;
    const char *p = rshm_mmap(NULL, sizeof message, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, 0);
    if (p == RSHM_MAP_FAILED || strcmp(p, message) != 0)
        return 14;
    return 0;
}

static int sealed_memfd(void) {
    int fd = rshm_memfd_create("fdpass", RSHM_MFD_CLOEXEC | RSHM_MFD_ALLOW_SEALING);
    if (fd < 0 || write(fd, message, sizeof message) != (ssize_t)sizeof message)
        return -1;
    if (rshm_add_seals(fd, RSHM_F_SEAL_SHRINK | RSHM_F_SEAL_GROW | RSHM_F_SEAL_WRITE) != 0)
        return -1;
    return fd;
}

static void pass_to_child(int type) {
    int sv[2];
    CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        _exit(child(sv[1]));
    }
    close(sv[1]);
    int fd = sealed_memfd();
    CHECK(fd >= 0);
    CHECK(rshm_send_fd(sv[0], fd) == 0);
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        fprintf(stderr, "child status %d\n", status);
    rshm_close(fd);
    close(sv[0]);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

int main(void) {
    /* A SIGPIPE would kill the test: the EPIPE checks below prove there is none. */
    pass_to_child(SOCK_STREAM);
    pass_to_child(SOCK_SEQPACKET);

    for (int t = 0; t < 2; t++) {
        int type = t ? SOCK_SEQPACKET : SOCK_STREAM;
        int sv[2];
        CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
        int fd = sealed_memfd();

        /* Three descriptors in one message: one comes back, two are closed. */
        CHECK(send_many(sv[0], fd, 3) == 0);
        int before = count_fds();
        int got = rshm_recv_fd(sv[1]);
        CHECK(got >= 0);
        CHECK(count_fds() == before + 1);
        rshm_close(got);

        /* More than rshm accepts (control data cut short): all closed, EBADMSG. */
        CHECK(send_many(sv[0], fd, 40) == 0);
        before = count_fds();
        CHECK_ERR(rshm_recv_fd(sv[1]), -1, EBADMSG);
        CHECK(count_fds() == before);

        /* Payload with no descriptor: EBADMSG. */
        CHECK(write(sv[0], "x", 1) == 1);
        CHECK_ERR(rshm_recv_fd(sv[1]), -1, EBADMSG);

        /* The peer goes: end of stream is ECONNRESET, sending is EPIPE. */
        close(sv[0]);
        CHECK_ERR(rshm_recv_fd(sv[1]), -1, ECONNRESET);
        CHECK_ERR(rshm_send_fd(sv[1], fd), -1, EPIPE);
        close(sv[1]);
        rshm_close(fd);
    }

    /* Signals during a blocking receive are retried, not reported. */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm; /* no SA_RESTART: recvmsg sees EINTR */
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[1]);
        usleep(100 * 1000);
        int fd = sealed_memfd();
        _exit(fd >= 0 && rshm_send_fd(sv[0], fd) == 0 ? 0 : 1);
    }
    close(sv[0]);
    struct itimerval it = {{0, 5000}, {0, 5000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    int got = rshm_recv_fd(sv[1]);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    CHECK(got >= 0);
    printf("recv_fd went through %d signals\n", (int)alarms);
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    rshm_close(got);
    close(sv[1]);

    /* Bad arguments. */
    int memfd = rshm_memfd_create("notsock", 0);
    CHECK_ERR(rshm_send_fd(-1, memfd), -1, EBADF);
    CHECK_ERR(rshm_send_fd(memfd, -1), -1, EBADF);
    CHECK_ERR(rshm_send_fd(memfd, memfd), -1, ENOTSOCK);
    CHECK_ERR(rshm_recv_fd(-1), -1, EBADF);
    CHECK_ERR(rshm_recv_fd(memfd), -1, ENOTSOCK);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK_ERR(rshm_send_fd(sv[0], 999), -1, EBADF);
    close(sv[0]);
    close(sv[1]);
    rshm_close(memfd);
    return check_done("fdpass");
}
