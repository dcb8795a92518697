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
# What /dev/shm holds now, to compare with at the end.
shm_before=$(mktemp)
trap 'rm -f "$log" "$shm_before"' EXIT
ls -A /dev/shm | LC_ALL=C sort >"$shm_before"

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

# Go's int and uintptr are 32 bits there: a test value or constant that
# only fits 64 bits breaks the build. cgo needs the cross compiler for its
# header pass; nothing is linked or run.
echo "== go vet for a 32-bit target (GOARCH=arm)"
if ! command -v arm-linux-gnueabihf-gcc >/dev/null; then
    add_one 1 "go vet GOARCH=arm: no arm-linux-gnueabihf-gcc (apt-get install gcc-arm-linux-gnueabihf; .ci/run does)"
elif have_go "go vet GOARCH=arm"; then
    (cd go && GOARCH=arm GOARM=7 CC=arm-linux-gnueabihf-gcc go vet -tags rshm_intree ./...)
    add_one $? "go vet GOARCH=arm"
fi

echo "== go example: host and client share a memfd"
if have_go "go example"; then
    (cd go && go build -tags rshm_intree -o ../target/go/ ./example/host ./example/client) &&
        target/go/host -client target/go/client
    add_one $? "go example host/client"
fi

# The same tests built with AddressSanitizer + UndefinedBehaviorSanitizer
# (target/c-asan/): one check each, failed by any report or failed check.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in "$@"; do
    s="target/c-asan/${t##*/}"
    echo "== ASan+UBSan: $s"
    "$s" >"$log" 2>&1
    status=$?
    tail -n 20 "$log"
    add_one "$status" "ASan+UBSan: $s"
done

# And under valgrind memcheck: no error, no definite leak. Children of
# fork are followed (valgrind always does); nothing here execs. The
# suppressions cover only the bad pointers the tests pass on purpose.
if command -v valgrind >/dev/null; then
    for t in "$@"; do
        case "$t" in
        */test_channel_kill)
            # valgrind 3.19 has no pidfd_open, and the fallback, kill(pid, 0),
            # cannot see that the test's own unreaped child died (README,
            # "Channel"); the plain and ASan runs cover this test.
            echo "== valgrind: $t skipped (no pidfd_open under valgrind)"
            continue
            ;;
        esac
        echo "== valgrind: $t"
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no \
            --trace-children=no --suppressions=tests/valgrind.supp "$t" >"$log" 2>&1
        status=$?
        tail -n 20 "$log"
        add_one "$status" "valgrind: $t"
    done
else
    echo "SKIP valgrind: not installed (.ci/run installs it)"
    [ "${CI:-}" = true ] && add_one 1 "valgrind missing in CI"
fi

# clippy for this machine, then for macOS, which cannot run here: its
# cfg-gated code is at least type-checked and linted, for Intel and Apple
# silicon. Their std comes from rustup (.ci/run adds it); without it the
# macOS pass is reported, not failed.
for target in native x86_64-apple-darwin aarch64-apple-darwin; do
    if [ "$target" = native ]; then
        echo "== cargo clippy --workspace --all-targets -- -D warnings"
        flags=
    elif rustup target list --installed 2>/dev/null | grep -qx "$target"; then
        echo "== cargo clippy --target $target (macOS, not run)"
        flags="--target $target"
    else
        echo "SKIP: cargo clippy --target $target: no std for it (rustup target add $target; .ci/run does)"
        continue
    fi
    # $flags unquoted: empty, or two words.
    cargo clippy --locked --workspace --all-targets $flags -- -D warnings >"$log" 2>&1
    status=$?
    tail -n 30 "$log"
    add_one "$status" "cargo clippy $flags"
done

echo "== cargo fmt --all --check (and the fuzz crate's)"
cargo fmt --all --check && cargo fmt --manifest-path fuzz/Cargo.toml --check
add_one $? "cargo fmt"

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

# Runs FIRST (as a background process) and, once it has started, SECOND;
# one check, passed when both exit 0. Usage: pair "label" "first cmd" "second cmd".
pair() {
    $2 &
    first=$!
    sleep 0.2
    $3
    second_status=$?
    wait "$first"
    first_status=$?
    [ "$first_status" -eq 0 ] && [ "$second_status" -eq 0 ]
    add_one $? "$1"
}

echo "== segment_reader/segment_writer pair (the reader starts first and waits)"
seg="/rshm-test-$$-segment-demo"
pair "segment_writer/segment_reader" "target/c/segment_reader $seg" "target/c/segment_writer $seg"

echo "== channel_receiver/channel_sender pair, both orders (either side may create)"
chan="/rshm-test-$$-channel-demo"
pair "channel_receiver first, channel_sender second" \
    "target/c/channel_receiver $chan 7" "target/c/channel_sender $chan 7"
pair "channel_sender first, channel_receiver second" \
    "target/c/channel_sender $chan 3" "target/c/channel_receiver $chan 3"

echo "== value_writer/value_reader pair, the writer killed midway and a second one taking over"
val="/rshm-test-$$-value-demo"
target/c/value_writer "$val" 100000 &
w1=$!
sleep 0.2
target/c/value_reader "$val" 3000 &
r=$!
sleep 0.2
kill -9 "$w1"
wait "$w1" 2>/dev/null
target/c/value_writer "$val" 100000 &
w2=$!
wait "$r"
reader_status=$?
kill "$w2"
wait "$w2" 2>/dev/null
add_one "$reader_status" "value_writer killed midway/value_reader"

echo "== install into a temporary prefix, build C, C++ and Go through pkg-config"

# Fuzzing (fuzz/run.sh, `make fuzz`): in CI only, each target one check,
# passed when it ran FUZZ_SECONDS without a crash, hang or leak.
if [ "${CI:-}" = true ]; then
    for t in segment_header segment_open names flags channel_ring value_block; do
        echo "== fuzz $t (${FUZZ_SECONDS:-60} s)"
        sh fuzz/run.sh "$t"
        add_one $? "fuzz $t"
    done
else
    echo "== fuzz: skipped (CI is not true; run make fuzz)"
fi

echo "== install into a temporary prefix, build through pkg-config"
sh tests/install_check.sh
add_one $? "install + pkg-config"

# Whether process $1 descends from this script, or is gone (then it holds
# nothing: the scan's own short-lived commands, for one).
ours() {
    p=$1
    [ -r "/proc/$p/status" ] || return 0
    while [ -n "$p" ] && [ "$p" -gt 1 ]; do
        [ "$p" -eq $$ ] && return 0
        p=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)
    done
    return 1
}

# Live processes that hold /dev/shm/$1 open or mapped.
holders() {
    for d in /proc/[0-9]*; do
        if ls -l "$d/fd" 2>/dev/null | grep -qF -- "-> /dev/shm/$1" || grep -qF -- " /dev/shm/$1" "$d/maps" 2>/dev/null
        then
            echo "${d#/proc/}"
        fi
    done
}

# Every object in /dev/shm that was not there when the run began, whatever
# its name (shm objects, POSIX semaphores "sem.*", anything), fails the run:
# the tests own their names and remove them. The one exception is an object
# that a live process outside this run holds (the machine may be shared
# with other users of /dev/shm): it is listed, not counted.
echo "== /dev/shm left as found"
ls -A /dev/shm | LC_ALL=C sort | LC_ALL=C comm -13 "$shm_before" - >"$log"
left=$(while IFS= read -r o; do
    foreign=
    for pid in $(holders "$o"); do
        ours "$pid" || foreign="$foreign $pid"
    done
    if [ -n "$foreign" ]; then
        echo "not ours: /dev/shm/$o (in use by pid$foreign)" >&2
    else
        printf ' %s' "$o"
    fi
done <"$log")
if [ -n "$left" ]; then
    echo "left behind in /dev/shm:$left"
    add_one 1 "/dev/shm clean"
else
    add_one 0 "/dev/shm clean"
fi

echo "rshm: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
