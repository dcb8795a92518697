#!/bin/sh
# Bounded fuzzing (`make fuzz`): each target in turn, never two at once, for
# FUZZ_SECONDS (default 60) under libFuzzer's memory limits and a hard
# timeout. Prints "fuzz TARGET: N execs in S s" per target and fails if
# any target found a crash, hang or leak. Arguments: targets (default all).
# `sh fuzz/run.sh --list`: the targets, one a line, from Cargo.toml's [[bin]]
# entries (the one list; make test runs each as fuzz/TARGET).
#
# As root with unshare(1), each run gets a private 64 MiB tmpfs on
# /dev/shm, so no input can fill the machine's RAM-backed /dev/shm and
# nothing a run makes outlives it; otherwise the objects a run made (names
# "rshm-fuzz-PID-*", "rshm-tmp.PID.*") are removed after it.
set -u
cd "$(dirname "$0")" || exit 2
secs=${FUZZ_SECONDS:-60}
# The [[bin]] names: what `cargo fuzz list` prints, without needing cargo-fuzz.
list() {
    awk '/^\[/ { bin = ($0 == "[[bin]]") } bin && /^name *=/ { sub(/^name *= *"/, ""); sub(/".*/, ""); print }' Cargo.toml
}
if [ "${1:-}" = --list ]; then
    list
    exit
fi
targets=${*:-$(list)}
bin=target/x86_64-unknown-linux-gnu/release
export RUSTC_BOOTSTRAP=1 # cargo-fuzz wants nightly flags; only stable is installed

cargo fuzz --version >/dev/null 2>&1 || {
    echo "cargo-fuzz missing (cargo install cargo-fuzz --locked)"
    exit 1
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in $targets; do
    cargo fuzz build -O "$t" >"$log" 2>&1 || { tail -n 30 "$log"; exit 1; }
done

private=
if [ "$(id -u)" -eq 0 ] &&
    unshare -m --propagation private sh -c 'mount -t tmpfs -o size=1m rshm-fuzz /dev/shm' 2>/dev/null; then
    private=yes
fi

failed=0
for t in $targets; do
    mkdir -p "corpus/$t" "artifacts/$t"
    set -- "$bin/$t" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -max_total_time="$secs" \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" "corpus/$t"
    if [ -n "$private" ]; then
        timeout -k 10 $((secs + 60)) unshare -m --propagation private \
            sh -c 'mount -t tmpfs -o size=64m,mode=1777 rshm-fuzz /dev/shm && exec "$@"' sh "$@" >"$log" 2>&1
        status=$?
    else
        # The fuzzer's pid (the shell's, kept by exec) names its objects.
        timeout -k 10 $((secs + 60)) sh -c 'echo $$ >"$0" && exec "$@"' "$log.pid" "$@" >"$log" 2>&1
        status=$?
        # Objects of a run that crashed (atexit cleaning never ran): a
        # glob, so that no name is split or read back from text.
        pid=$(cat "$log.pid" 2>/dev/null)
        [ -n "$pid" ] && rm -f /dev/shm/rshm-fuzz-"$pid"-* /dev/shm/rshm-tmp."$pid".*
        rm -f "$log.pid"
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n1)
    if [ "$status" -eq 0 ]; then
        echo "fuzz $t: ${execs:-?} execs in $secs s, peak RSS ${rss:-?} MB${private:+, private /dev/shm}"
    else
        tail -n 40 "$log"
        echo "FAIL fuzz $t: exit $status (artifacts in fuzz/artifacts/$t)"
        failed=1
    fi
done
exit "$failed"
