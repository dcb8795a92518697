#!/bin/sh
# Checks make test's promise to a fresh machine: with go, valgrind,
# pkg-config, the ARM cross compiler and cargo-fuzz out of reach, make test
# passes (their tests skipped), and the same with CI=true fails.
#
# PATH becomes a directory of symbolic links to everything on PATH but
# those; CARGO_HOME a copy of the current one whose bin/ lacks cargo-fuzz
# (cargo finds subcommands there too) and whose registry is a link. Under
# another CARGO_HOME cargo rebuilds every dependency (their sources' path
# changed), so cargo builds into target/without-tools/target, leaving the
# usual build as it was; the first run is slow. Arguments: passed to make
# (T=... to try a part).
set -u
cd "$(dirname "$0")/.." || exit 2
dir=$PWD/target/without-tools
home=${CARGO_HOME:-$HOME/.cargo}
rm -rf "$dir/bin" "$dir/cargo/bin"
mkdir -p "$dir/bin" "$dir/cargo/bin"
old_ifs=$IFS
IFS=:
for d in $PATH; do
    for f in "$d"/*; do
        b=${f##*/}
        case $b in
        go | gofmt | valgrind* | pkg-config | pkgconf | *-pkg-config | arm-linux-gnueabihf-* | cargo-fuzz) continue ;;
        esac
        [ -e "$dir/bin/$b" ] || [ ! -x "$f" ] || ln -s "$f" "$dir/bin/$b"
    done
done
IFS=$old_ifs
for f in "$home"/bin/*; do
    [ "${f##*/}" = cargo-fuzz ] || ln -s "$f" "$dir/cargo/bin/"
done
ln -sfn "$home/registry" "$dir/cargo/registry"

run() {
    env PATH="$dir/bin" CARGO_HOME="$dir/cargo" CARGO_TARGET_DIR="$dir/target" "$@" >"$dir/log" 2>&1
    status=$?
    grep -e '^SKIP ' -e '^rshm: ' "$dir/log"
    return "$status"
}
echo "== make test without go, valgrind, pkg-config, arm-linux-gnueabihf-gcc, cargo-fuzz"
run make test "$@" || { echo "FAIL: it failed (log: $dir/log)"; exit 1; }
echo "== the same with CI=true"
run env CI=true make test "$@" && { echo "FAIL: it passed (log: $dir/log)"; exit 1; }
echo "without the tools make test passes, and fails with CI=true"
