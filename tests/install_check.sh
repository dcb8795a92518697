#!/bin/sh
# make install into a temporary prefix, then build from there, through
# pkg-config alone, a C program (shared and static), a C++ program using
# rshm.hpp and a Go program using the Go package's default (installed
# library) build; run them all, then uninstall. Prints TAP (make test runs
# it as install/pkg-config): a step that fails stops the script before the
# plan, which fails the test; the Go step is skipped without go.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s install PREFIX="$tmp/usr" >/dev/null
export PKG_CONFIG_PATH="$tmp/usr/lib/pkgconfig"
ls -l "$tmp/usr/lib" | grep librshm.so >&2
readelf -d "$tmp/usr/lib/librshm.so" | grep -q 'SONAME.*librshm.so.0'
"$tmp/usr/bin/rshm" --version | grep -q '^rshm '
# The man pages, found where they were installed (an alias leads to its group's page).
[ -f "$tmp/usr/share/man/man3/rshm_channel.3" ] || { echo "man pages not installed" >&2; exit 1; }
[ -f "$tmp/usr/share/man/man1/rshm.1" ] && [ -f "$tmp/usr/share/man/man1/rshm-reap.1" ] ||
    { echo "rshm(1) not installed" >&2; exit 1; }
if command -v man >/dev/null; then
    MANPATH="$tmp/usr/share/man" man -w rshm_channel_send | grep -qx "$tmp/usr/share/man/man3/rshm_channel.3"
fi
# A lean install: no debug sections, and the shared library within 800 kB.
so_bytes=$(wc -c <"$tmp/usr/lib/librshm.so")
[ "$so_bytes" -le 819200 ] || { echo "librshm.so is $so_bytes bytes, over 800 kB" >&2; exit 1; }
! readelf -S "$tmp/usr/lib/librshm.so" | grep -q '\.debug_' || { echo "librshm.so has debug sections" >&2; exit 1; }
echo "ok - make install: librshm.so with its soname, the rshm command"
echo "ok - the man pages, where man finds them"
echo "ok - stripped: librshm.so is $so_bytes bytes (at most 800 kB), no debug sections"
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
    if (strcmp(rshm_version(), RSHM_VERSION) != 0) return 1;
    return rshm_munmap(p, 4096) || rshm_close(fd);
}
C
libdir=$(pkg-config --variable=libdir rshm)
cc -std=c11 -Wall -Werror $(pkg-config --cflags rshm) "$tmp/use.c" -o "$tmp/use" \
    $(pkg-config --libs rshm) -Wl,-rpath,"$libdir"
"$tmp/use" | grep -qx "installed: ENOENT"
echo "ok - C through pkg-config, shared"
# glibc warns of NSS in static programs (std's getaddrinfo): shown only on failure.
cc -std=c11 -Wall -Werror -static $(pkg-config --cflags rshm) "$tmp/use.c" -o "$tmp/use_static" \
    $(pkg-config --static --libs rshm) 2>"$tmp/ld.log" || { cat "$tmp/ld.log"; exit 1; }
"$tmp/use_static" | grep -qx "installed: ENOENT"
echo "ok - C through pkg-config --static"

cat > "$tmp/use.cpp" <<'CXX'
#include <rshm.hpp>
#include <cstdio>
#include <cstring>
int main() {
    rshm::fd f = rshm::memfd_create("pkg-config-cxx");
    rshm::ftruncate(f, 4096);
    rshm::mapping m = rshm::map(f, 4096, RSHM_PROT_READ | RSHM_PROT_WRITE, RSHM_MAP_SHARED);
    std::strcpy(m.as<char>(), "installed from C++");
    try {
        rshm::shm_unlink("/rshm-test-install-check-missing");
    } catch (const rshm::error &e) {
        std::printf("%s: %s\n", m.as<char>(), e.name());
    }
}
CXX
g++ -std=c++17 -Wall -Wextra -Werror $(pkg-config --cflags rshm) "$tmp/use.cpp" -o "$tmp/use_cxx" \
    $(pkg-config --libs rshm) -Wl,-rpath,"$libdir"
"$tmp/use_cxx" | grep -qx "installed from C++: ENOENT"
echo "ok - C++ (rshm.hpp) through pkg-config"

# Go: the package copied out of the tree, so only pkg-config can find rshm.
if ! command -v go >/dev/null; then
    echo "ok - Go through pkg-config # SKIP go: no go command (apt-get install golang-go)"
else
. tests/go_env.sh
cp -R go "$tmp/rshm-go"
mkdir "$tmp/use-go"
cat > "$tmp/use-go/go.mod" <<'MOD'
module usego

go 1.19

require github.com/rshm/rshm/go v0.0.0

replace github.com/rshm/rshm/go => ../rshm-go
MOD
cat > "$tmp/use-go/main.go" <<'GO'
package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/rshm/rshm/go"
)

func main() {
	fd, err := rshm.MemfdCreate("pkg-config-go", rshm.MFD_CLOEXEC)
	if err == nil {
		err = rshm.Ftruncate(fd, 4096)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	data, _, err := rshm.Mmap(nil, 4096, rshm.PROT_READ|rshm.PROT_WRITE, rshm.MAP_SHARED, fd, 0)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	n := copy(data, "installed from Go")
	fmt.Printf("%s: %s\n", data[:n], rshm.ErrnoName(syscall.ENOENT))
	if rshm.Munmap(data) != nil || rshm.Close(fd) != nil {
		os.Exit(1)
	}
}
GO
(cd "$tmp/use-go" && CGO_LDFLAGS="-Wl,-rpath,$libdir" go build -o use_go .)
readelf -d "$tmp/use-go/use_go" | grep -E 'RUNPATH|RPATH' | grep -qF "$libdir"
"$tmp/use-go/use_go" | grep -qx "installed from Go: ENOENT"
echo "ok - Go through pkg-config"
fi

make -s uninstall PREFIX="$tmp/usr" >/dev/null
[ ! -e "$tmp/usr/lib/librshm.so" ] && [ ! -e "$tmp/usr/include/rshm.h" ] && [ ! -e "$tmp/usr/include/rshm.hpp" ] \
    && [ ! -e "$tmp/usr/bin/rshm" ]
echo "ok - make uninstall removes it all"
echo "1..8"
