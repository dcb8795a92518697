#!/bin/sh
# Bounded fuzzing (`make fuzz`): each target in turn, never two at once, for
# FUZZ_SECONDS (default 60) under libFuzzer's memory limits and a hard
# timeout. Prints "fuzz TARGET: N execs in S s" per target and fails if
# any target found a crash, hang or leak. Arguments: targets (default all).
#
# As root with unshare(1), each run gets a private 64 MiB tmpfs on
# /dev/shm, so no input can fill the machine's RAM-backed /dev/shm and
# nothing a run makes outlives it; otherwise the objects a run made (names
# "rshm-fuzz-PID-*", "rshm-tmp.PID.*") are removed after it.
set -u
cd "$(dirname "$0")" || exit 2
secs=${FUZZ_SECONDS:-60}
targets=${*:-"segment_header segment_open names flags channel_ring topic_ring"}
bin=target/x86_64-unknown-linux-gnu/release
export RUSTC_BOOTSTRAP=1 # cargo-fuzz wants nightly flags; only stable is installed

command -v cargo-fuzz >/dev/null || [ -x "$HOME/.cargo/bin/cargo-fuzz" ] || {
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
    before=$(ls /dev/shm)
    set -- "$bin/$t" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -max_total_time="$secs" \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" "corpus/$t"
    if [ -n "$private" ]; then
        timeout -k 10 $((secs + 60)) unshare -m --propagation private \
            sh -c 'mount -t tmpfs -o size=64m,mode=1777 rshm-fuzz /dev/shm && exec "$@"' sh "$@" >"$log" 2>&1
    else
        timeout -k 10 $((secs + 60)) "$@" >"$log" 2>&1
    fi
    status=$?
    # Objects of a run that crashed (atexit cleaning never ran).
    ls /dev/shm | grep -vxF -e "$before" | grep -E '^(rshm-fuzz-|rshm-tmp\.)' | while read -r o; do
        rm -f "/dev/shm/$o"
    done
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
