#!/bin/sh
# The Open POSIX Test Suite's shm_open, shm_unlink, mmap and munmap tests,
# each built twice: against libc, and with the calls redirected to their
# rshm twins (tests/conformance_redirect.h). rshm must pass every test libc
# passes. The suite comes from Debian's source archive (posixtestsuite),
# fetched into target/ and never committed. Usage: conformance.sh [SUITE_DIR]
# Exit: 0 no regression, 1 a regression, 3 the suite could not be fetched.
set -u
cd "$(dirname "$0")/.." || exit 2
suite=${1:-target/posixtestsuite/posixtestsuite}
if [ ! -d "$suite/conformance" ]; then
    mkdir -p target/posixtestsuite
    (
        cd target/posixtestsuite || exit 1
        if ! apt-get source --download-only posixtestsuite >/dev/null 2>&1; then
            # Debian's source archive needs a deb-src entry.
            [ "$(id -u)" -eq 0 ] || exit 1
            . /etc/os-release
            printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
                "$VERSION_CODENAME" >/etc/apt/sources.list.d/rshm-deb-src.sources
            apt-get update -qq >/dev/null 2>&1
            apt-get source --download-only posixtestsuite >/dev/null 2>&1 || exit 1
        fi
        tar xzf posixtestsuite_*.orig.tar.gz
    ) || { echo "conformance: could not fetch the posixtestsuite source"; exit 3; }
fi
out=target/conformance
mkdir -p "$out"
total=0; libc_pass=0; rshm_pass=0; worse=0; better=0
for iface in shm_open shm_unlink mmap munmap; do
    for src in "$suite"/conformance/interfaces/$iface/*.c; do
        t="$iface/$(basename "$src" .c)"
        bin="$out/$(echo "$t" | tr / _)"
        common="-std=gnu99 -w -D_XOPEN_SOURCE=600 -I$suite/include"
        cc $common "$src" -o "$bin.libc" -lrt -pthread 2>/dev/null || continue
        cc $common -Iinclude -include tests/conformance_redirect.h "$src" -o "$bin.rshm" \
            -Ltarget/release -Wl,-rpath,"$PWD/target/release" -lrshm -lrt -pthread 2>"$bin.err" ||
            { echo "conformance: $t builds with libc but not with rshm"; cat "$bin.err"; worse=$((worse + 1)); continue; }
        (cd "$out" && timeout 60 "./$(basename "$bin").libc" >"$(basename "$bin").libc.out" 2>&1)
        a=$?
        (cd "$out" && timeout 60 "./$(basename "$bin").rshm" >"$(basename "$bin").rshm.out" 2>&1)
        b=$?
        total=$((total + 1))
        [ "$a" -eq 0 ] && libc_pass=$((libc_pass + 1))
        [ "$b" -eq 0 ] && rshm_pass=$((rshm_pass + 1))
        if [ "$a" -eq 0 ] && [ "$b" -ne 0 ]; then
            worse=$((worse + 1))
            echo "conformance: $t passes with libc but not with rshm (exit $b):"
            sed 's/^/    /' "$bin.rshm.out"
        elif [ "$a" -ne 0 ] && [ "$b" -eq 0 ]; then
            better=$((better + 1))
        fi
    done
done
ls /dev/shm | grep -q . && echo "conformance: note: /dev/shm now holds: $(ls /dev/shm | tr '\n' ' ')"
echo "conformance: $total tests; libc passes $libc_pass, rshm passes $rshm_pass;" \
    "rshm fails $worse that libc passes, passes $better that libc fails"
[ "$total" -gt 0 ] && [ "$worse" -eq 0 ]
