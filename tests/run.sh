#!/bin/sh
# `make test`: every suite in one run, then one closing line that adds them
# up ("rshm: N passed, N failed"). Arguments: the C/C++ test binaries.
# Fails if any suite fails or if /dev/shm holds anything new when it ends.
set -u
cd "$(dirname "$0")/.." || exit 2
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The "N passed, N failed" line a suite printed last.
add_counts() {
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
    p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
}

# A suite that is one check: its exit status.
add_one() {
    if [ "$1" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $2"; fi
}

shm_before=$(ls /dev/shm | sort)

echo "== cargo test"
cargo test --locked --workspace >"$log" 2>&1
status=$?
cat "$log"
p=$(sed -nE 's/^test result: .* ([0-9]+) passed; ([0-9]+) failed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
f=$(sed -nE 's/^test result: .* ([0-9]+) passed; ([0-9]+) failed.*/\2/p' "$log" | awk '{s+=$1} END {print s+0}')
passed=$((passed + p))
failed=$((failed + f))
[ "$status" -eq 0 ] || [ "$f" -gt 0 ] || { failed=$((failed + 1)); echo "FAIL: cargo test exited $status"; }

for t in "$@"; do
    echo "== $t"
    "$t" >"$log" 2>&1
    status=$?
    cat "$log"
    if grep -qE '[0-9]+ passed, [0-9]+ failed' "$log"; then
        add_counts
        [ "$status" -eq 0 ] || grep -qE ' [1-9][0-9]* failed' "$log" || add_one 1 "$t exited $status"
    else
        add_one "$status" "$t"
    fi
done

echo "== the bad-input table covers every exported function"
if [ -x target/c/test_bad_input ]; then
    grep -rhoE 'pub (unsafe )?extern "C" fn rshm_[a-z_]+' src/capi | sed 's/.* fn //' | sort >"$log.exports"
    target/c/test_bad_input --functions | sort | diff "$log.exports" -
    add_one $? "bad-input table covers every export"
    rm -f "$log.exports"
else
    add_one 1 "target/c/test_bad_input missing"
fi

echo "== writer/reader pair"
SHM_DEMO_NAME="/rshm-test-$$-demo" target/c/writer && SHM_DEMO_NAME="/rshm-test-$$-demo" target/c/reader
add_one $? "writer/reader"

echo "== memfd_sender/memfd_receiver pair (a sealed memfd over a unix socket)"
target/c/memfd_sender
add_one $? "memfd_sender/memfd_receiver"

echo "== segment_reader/segment_writer pair (the reader starts first and waits)"
seg="/rshm-test-$$-segment-demo"
target/c/segment_reader "$seg" &
reader=$!
sleep 0.2
target/c/segment_writer "$seg"
w=$?
wait "$reader"
r=$?
[ "$w" -eq 0 ] && [ "$r" -eq 0 ]
add_one $? "segment_writer/segment_reader"

echo "== install into a temporary prefix, build through pkg-config"
sh tests/install_check.sh
add_one $? "install + pkg-config"

echo "== /dev/shm left as found"
shm_after=$(ls /dev/shm | sort)
left=$(printf '%s\n' "$shm_after" | grep -vxF -e "$shm_before" | grep -E '^rshm' || true)
if [ -n "$left" ]; then
    echo "left behind in /dev/shm:" $left
    add_one 1 "/dev/shm clean"
else
    add_one 0 "/dev/shm clean"
fi

echo "rshm: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
