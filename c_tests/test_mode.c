/* rshm_mode_string: ls-style permission strings, and its buffer errors. */
#include <sys/stat.h>

#include "check.h"

static int is(uint32_t mode, const char *want) {
    char buf[32];
    const char *s = rshm_mode_string(mode, buf, sizeof buf);
    if (s != buf || strcmp(s, want) != 0) {
        fprintf(stderr, "mode %o: got \"%s\", want \"%s\"\n", mode, s ? s : "(null)", want);
        return 0;
    }
    return 1;
}

int main(void) {
    CHECK(is(0600, "[0600] rw-------"));
    CHECK(is(0644, "[0644] rw-r--r--"));
    CHECK(is(0100640, "[0640] rw-r-----")); /* st_mode: the file type is ignored */
    CHECK(is(04755, "[4755] rwsr-xr-x"));
    CHECK(is(02750, "[2750] rwxr-s---"));
    CHECK(is(01777, "[1777] rwxrwxrwt"));
    CHECK(is(07000, "[7000] --S--S--T"));
    CHECK(is(0, "[0000] ---------"));
    CHECK(is(0777, "[0777] rwxrwxrwx"));

    /* Exactly 17 bytes is enough; 16 is ERANGE and leaves buf alone. */
    char buf[17];
    CHECK(rshm_mode_string(0600, buf, 17) == buf && strcmp(buf, "[0600] rw-------") == 0);
    memset(buf, 'z', sizeof buf);
    CHECK_ERR(rshm_mode_string(0600, buf, 16), NULL, ERANGE);
    CHECK(buf[0] == 'z' && buf[16] == 'z');
    CHECK_ERR(rshm_mode_string(0600, buf, 0), NULL, ERANGE);
    CHECK_ERR(rshm_mode_string(0600, NULL, 17), NULL, EFAULT);

    /* With rshm_fstat: what an object's mode looks like. */
    char name[96];
    check_name(name, sizeof name, "mode");
    mode_t old = umask(0);
    int fd = rshm_shm_open(name, RSHM_O_RDWR | RSHM_O_CREAT | RSHM_O_EXCL, 0640);
    umask(old);
    rshm_stat st;
    CHECK(fd >= 0 && rshm_fstat(fd, &st) == 0);
    CHECK(strcmp(rshm_mode_string(st.mode, buf, sizeof buf), "[0640] rw-r-----") == 0);
    rshm_close(fd);
    CHECK(rshm_shm_unlink(name) == 0);
    return check_done("mode");
}
