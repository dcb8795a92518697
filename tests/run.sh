#!/bin/sh
# `make test`: every suite in one run, then one closing line that adds them
# up ("rshm: N passed, N failed"). Arguments: the C/C++ test binaries.
# Fails if any suite fails or if /dev/shm holds anything new when it ends.
# A missing `go` command fails the Go steps: CI installs golang-go.
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

# The go command, or a failure saying how to get it.
have_go() {
    command -v go >/dev/null && return 0
    add_one 1 "$1: no go command (apt-get install golang-go; .ci/run does)"
    return 1
}

. tests/go_env.sh
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

echo "== go vet and go test (in-tree library)"
if have_go "go test"; then
    (cd go && go vet -tags rshm_intree ./... && go test -tags rshm_intree -count=1 -v ./...) >"$log" 2>&1
    status=$?
    cat "$log"
    p=$(grep -c -- '--- PASS:' "$log")
    f=$(grep -c -- '--- FAIL:' "$log")
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$status" -eq 0 ] || [ "$f" -gt 0 ] || add_one 1 "go vet/go test exited $status"
fi

echo "== go example: host and client share a memfd"
if have_go "go example"; then
    (cd go && go build -tags rshm_intree -o ../target/go/ ./example/host ./example/client) &&
        target/go/host -client target/go/client
    add_one $? "go example host/client"
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

echo "== channel_receiver/channel_sender pair, both orders (either side may create)"
chan="/rshm-test-$$-channel-demo"
target/c/channel_receiver "$chan" 7 &
receiver=$!
sleep 0.2
target/c/channel_sender "$chan" 7
s=$?
wait "$receiver"
r=$?
[ "$s" -eq 0 ] && [ "$r" -eq 0 ]
add_one $? "channel_receiver first, channel_sender second"
target/c/channel_sender "$chan" 3 &
sender=$!
sleep 0.2
target/c/channel_receiver "$chan" 3
r=$?
wait "$sender"
s=$?
[ "$s" -eq 0 ] && [ "$r" -eq 0 ]
add_one $? "channel_sender first, channel_receiver second"

echo "== install into a temporary prefix, build C, C++ and Go through pkg-config"
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
