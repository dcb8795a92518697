/* Example: receive a sealed memfd over a unix socket and map it.
 *
 *   memfd_receiver SOCKET_FD   (started by memfd_sender)
 *
 * Receives the descriptor, checks the seals before trusting the size,
 * maps it read-only and prints the message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rshm.h>

static int fail(const char *what) {
    int e = rshm_errno();
    fprintf(stderr, "memfd_receiver: %s: %s (%s)\n  help: %s\n", what, rshm_errno_name(e),
            rshm_errno_string(e), rshm_errno_help(e));
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: memfd_receiver SOCKET_FD (memfd_sender starts it)\n");
        return 2;
    }
    int sock = atoi(argv[1]);
    int fd = rshm_recv_fd(sock);
    if (fd < 0)
        return fail("recv_fd");
    int seals = rshm_get_seals(fd);
    if (seals < 0)
        return fail("get_seals");
    unsigned need = RSHM_F_SEAL_SHRINK | RSHM_F_SEAL_WRITE;
    if (((unsigned)seals & need) != need) {
        fprintf(stderr, "memfd_receiver: the memfd is not sealed against shrinking and writes\n");
        return 1;
    }
    rshm_stat st;
    if (rshm_fstat(fd, &st) != 0)
        return fail("fstat");
    const char *p = rshm_mmap(NULL, (size_t)st.size, RSHM_PROT_READ, RSHM_MAP_SHARED, fd, 0);
    if (p == RSHM_MAP_FAILED)
        return fail("mmap");
    rshm_close(fd);
    printf("memfd_receiver: %lld bytes, seals 0x%x: \"%s\"\n", (long long)st.size, seals, p);
    int ok = strcmp(p, "hello from a sealed memfd") == 0;
    rshm_munmap((void *)p, (size_t)st.size);
    return ok ? 0 : 1;
}
