#!/bin/sh
# make install into a temporary prefix, then build a C program from there
# through pkg-config alone, shared and static, and run both.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s install PREFIX="$tmp/usr" >/dev/null
export PKG_CONFIG_PATH="$tmp/usr/lib/pkgconfig"
ls -l "$tmp/usr/lib" | grep librshm.so
readelf -d "$tmp/usr/lib/librshm.so" | grep -q 'SONAME.*librshm.so.0'
"$tmp/usr/bin/rshm" --version | grep -q '^rshm '
cat > "$tmp/use.c" <<'C'
#include <rshm.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    int fd = rshm_memfd_create("pkg-config", RSHM_MFD_CLOEXEC);
    if (fd < 0 || rshm_ftruncate(fd, 4096) != 0) return 1;
    char *p = rshm_mmap(NULL, 4096, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED, fd, 0);
    if (p == RSHM_MAP_FAILED) return 1;
    strcpy(p, "installed");
    printf("%s: %s\n", p, rshm_errno_name(2));
    return rshm_munmap(p, 4096) || rshm_close(fd);
}
C
libdir=$(pkg-config --variable=libdir rshm)
cc -std=c11 -Wall -Werror $(pkg-config --cflags rshm) "$tmp/use.c" -o "$tmp/use" \
    $(pkg-config --libs rshm) -Wl,-rpath,"$libdir"
"$tmp/use" | grep -qx "installed: ENOENT"
# glibc warns of NSS in static programs (std's getaddrinfo): shown only on failure.
cc -std=c11 -Wall -Werror -static $(pkg-config --cflags rshm) "$tmp/use.c" -o "$tmp/use_static" \
    $(pkg-config --static --libs rshm) 2>"$tmp/ld.log" || { cat "$tmp/ld.log"; exit 1; }
"$tmp/use_static" | grep -qx "installed: ENOENT"
make -s uninstall PREFIX="$tmp/usr" >/dev/null
[ ! -e "$tmp/usr/lib/librshm.so" ] && [ ! -e "$tmp/usr/include/rshm.h" ] && [ ! -e "$tmp/usr/bin/rshm" ]
echo "installed, built through pkg-config (shared and static), ran, uninstalled"
