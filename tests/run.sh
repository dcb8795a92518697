#!/bin/sh
# `make test`: every test of rshm, each one named, run by prove(1).
#
# Why TAP and prove, not a libtest-mimic harness under cargo test: most of
# what runs here is not Rust (C and C++ binaries, the same binaries under
# ASan and valgrind, Go, the example pairs, the install check), and TAP is
# the plain-text protocol all of them can speak with no dependency: check.h
# prints it, `go test -json` and libtest's per-test lines map onto it
# line for line, a shell step is "ok"/"not ok". prove (Perl's standard TAP
# harness, on every machine with build-essential: dpkg-dev needs perl)
# runs them, judges plan, exit status and every test point, times each,
# runs two at a time and keeps the fuzz targets one at a time (--rules).
# A libtest-mimic harness would add a crate, run only after make had built
# the C binaries, and still need this script for everything else.
#
# Usage (make test passes the C/C++ test binaries as arguments, and
# RSHM_CXX=no or RSHM_SAN=no when it found no C++ compiler or sanitizer
# runtime to build with):
#   sh tests/run.sh BINARIES...             every test; the closing line
#                                           "rshm: N passed, F failed, K skipped (tools: see above)"
#   T=test_channel sh tests/run.sh ...      only the tests named T (c/test_channel), or T
#                                           in any suite (test_channel: c/, asan/,
#                                           valgrind/), or the suite T (go), or a
#                                           shell pattern (make test T=test_channel)
#   sh tests/run.sh --list BINARIES...      the names
#   sh tests/run.sh --one NAME              one test, as prove runs it (TAP on stdout)
#
# Names: cargo/test, lint/*, c/TEST, asan/TEST, valgrind/TEST, go/*,
# example/*, check/*, install/*, fuzz/TARGET (fuzz/Cargo.toml's [[bin]]
# list), and last shm/left-as-found.
#
# A new test is picked up with nothing added here: c_tests/test_*.c or
# .cpp (the Makefile's wildcards; check.h's CHECK macros, ending with
# `return check_done("name");`, which prints the plan) runs as c/, asan/
# and valgrind/TEST; a Rust test anywhere in the workspace is a point of
# cargo/test, a Go test a point of go/test, a fuzz target a [[bin]] of
# fuzz/Cargo.toml. Another kind of test is a case in run_test and a name
# in tests_of, printing TAP.
#
# Settings: RSHM_TEST_JOBS (tests at a time, 2), RSHM_TEST_TIMEOUT (every
# test's limit in seconds, instead of limit_of's), FUZZ_SECONDS (per fuzz
# target: 5, or 60 when CI=true), RSHM_SHM=shared (the machine's /dev/shm).
#
# A test that needs a tool this machine lacks prints "1..0 # SKIP tool: why
# (the command that installs it)"; it does not fail the run, unless
# CI=true: then every skip is a failure (CI checks everything).
#
# Each test runs under a timeout; its TAP, its other output and its exit
# status and time go to target/test-report/NAME.{tap,err,status}, and
# target/test-report/summary.tsv has a line per test. A failed test's own
# output is printed after prove's summary.
#
# /dev/shm: the run enters a mount namespace with a tmpfs of its own on
# /dev/shm (as root `unshare -m`, otherwise `unshare -rm` where
# unprivileged user namespaces are allowed), so no other user's objects
# disturb it and it disturbs none; anything there at the end is the run's
# own leftover. Where neither works, only new names that are this user's
# and start with "rshm" count; any other new object is listed as
# information. Names are handled as ls prints them with
# --quoting-style=escape: one line each, whatever bytes they hold.
set -u
cd "$(dirname "$0")/.." || exit 2
report=target/test-report
FUZZ_SECONDS=${FUZZ_SECONDS:-$([ "${CI:-}" = true ] && echo 60 || echo 5)}
export FUZZ_SECONDS

# ---- one test ------------------------------------------------------------

# The test cannot run here: one SKIP line, "TOOL: WHY (INSTALL)".
skip() {
    echo "1..0 # SKIP $1: $2 ($3)"
    exit 0
}

# A test that is one check: the command's exit status. Its output goes to
# stderr, which the report keeps and prints if the check fails.
one_check() {
    desc=$1
    shift
    "$@" >&2
    status=$?
    if [ "$status" -eq 0 ]; then echo "ok 1 - $desc"; else echo "not ok 1 - $desc (exit $status)"; fi
    echo "1..1"
}

# libtest's "test NAME ... ok|FAILED|ignored" lines as TAP, and a point
# for cargo's exit status (a build that fails runs no test); everything
# cargo prints also goes to stderr.
libtest_tap() {
    { "$@" 2>&1; echo "rshm-run: exit $?"; } | tee /dev/stderr | awk '
        /^rshm-run: exit / {
            n++; print ($3 == 0 ? "ok " : "not ok ") n " - cargo test exits 0 (it exited " $3 ")"; next
        }
        /^test .* \.\.\. (ok|FAILED|ignored)$/ {
            r = $NF; sub(/^test /, ""); sub(/ \.\.\. [a-zA-Z]+$/, ""); gsub(/[#\\]/, "\\\\&")
            n++
            if (r == "ok") print "ok " n " - " $0
            else if (r == "ignored") print "ok " n " - " $0 " # SKIP ignored: #[ignore] (cargo test -- --ignored)"
            else print "not ok " n " - " $0
        }
        END { print "1.." n }'
}

# go test -json's events as TAP: a point per package, test and subtest;
# the tests' own output, decoded, to stderr. First a point for the step
# before it: its name and its exit status.
gotest_tap() {
    awk -v step="$1" -v status="$2" '
        BEGIN { n = 1; print (status == 0 ? "ok 1 - " : "not ok 1 - ") step }
        function field(k,   m) {
            if (!match($0, "\"" k "\":\"([^\"\\\\]|\\\\.)*\"")) return ""
            return substr($0, RSTART + length(k) + 4, RLENGTH - length(k) - 5)
        }
        {
            a = field("Action"); t = field("Test")
            if (a == "output") {
                o = field("Output"); gsub(/\\n/, "\n", o); gsub(/\\t/, "\t", o); gsub(/\\"/, "\"", o)
                gsub(/\\\\/, "\\", o); printf "%s", o > "/dev/stderr"
            } else if (a == "pass" || a == "fail" || (a == "skip" && t != "")) {
                # A package passes or fails as a whole too: a build failure
                # is a package that fails with no test. (A package "skips"
                # when it has no test file: no point.)
                if (t == "") t = "package " field("Package")
                n++; gsub(/#/, "\\#", t)
                if (a == "pass") print "ok " n " - " t
                else if (a == "skip") print "ok " n " - " t " # SKIP t.Skip"
                else print "not ok " n " - " t
            }
        }
        END { print "1.." n }'
}

have() { command -v "$1" >/dev/null 2>&1; }

# $tmp: a directory removed when the script exits.
scratch() {
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
}

# A C++ test where make found no C++ compiler (RSHM_CXX=no) is skipped.
cxx_or_skip() {
    [ "${RSHM_CXX:-yes}" = yes ] || [ ! -e "c_tests/$1.cpp" ] || skip c++ "no C++ compiler" "apt-get install g++"
}

need_go() {
    have go || skip go "no go command" "apt-get install golang-go"
    . tests/go_env.sh
}

# The objects in /dev/shm: "UID NAME" a line, NAME escaped (ls
# --quoting-style=escape: no newline, control byte or space left bare, a
# space is "\ "), so the name is the seventh field up to the first bare
# space (a symbolic link's " -> TARGET" follows it).
shm_list() {
    ls -A -n --quoting-style=escape --time-style=+%s /dev/shm | awk '
        NR == 1 && /^total / { next }
        {
            uid = $3; for (i = 0; i < 6; i++) sub(/^[^ ]+ +/, "")
            match($0, /^([^ \\]|\\.)+/); print uid, substr($0, 1, RLENGTH)
        }' | LC_ALL=C sort
}

# Runs FIRST in the background and, once it has printed its first line
# (its readiness signal), SECOND; passed when both exit 0.
pair() {
    scratch
    fifo=$tmp/ready
    mkfifo "$fifo" || return 1
    $1 >"$fifo" &
    first=$!
    exec 3<"$fifo"
    rm -f "$fifo"
    IFS= read -r ready <&3 && echo "$ready" >&2
    $2 >&2
    second_status=$?
    cat <&3 >&2
    exec 3<&-
    wait "$first"
    first_status=$?
    [ "$first_status" -eq 0 ] && [ "$second_status" -eq 0 ]
}

# The test NAME's TAP on stdout. The C test binaries are target/c/TEST.
run_test() {
    name=$1
    t=${name#*/}
    case $name in
    cargo/test)
        libtest_tap cargo test --locked --workspace
        ;;
    lint/clippy)
        cargo clippy --version >/dev/null 2>&1 || skip clippy "cargo clippy missing" "rustup component add clippy"
        one_check "cargo clippy --workspace --all-targets -- -D warnings" \
            cargo clippy --locked --workspace --all-targets -- -D warnings
        ;;
    lint/clippy-*-apple-darwin)
        # macOS cannot run here: its cfg-gated code is at least type-checked
        # and linted, for Intel and Apple silicon.
        target=${t#clippy-}
        cargo clippy --version >/dev/null 2>&1 || skip clippy "cargo clippy missing" "rustup component add clippy"
        rustup target list --installed 2>/dev/null | grep -qx "$target" ||
            skip apple-std "no standard library for $target" "rustup target add $target"
        one_check "cargo clippy --target $target" \
            cargo clippy --locked --workspace --all-targets --target "$target" -- -D warnings
        ;;
    lint/fmt)
        cargo fmt --version >/dev/null 2>&1 || skip rustfmt "cargo fmt missing" "rustup component add rustfmt"
        one_check "cargo fmt --check (the workspace and the fuzz crate)" \
            sh -c 'cargo fmt --all --check && cargo fmt --manifest-path fuzz/Cargo.toml --check'
        ;;
    c/*)
        cxx_or_skip "$t"
        exec "target/c/$t"
        ;;
    asan/*)
        cxx_or_skip "$t"
        [ "${RSHM_SAN:-yes}" = yes ] ||
            skip sanitizers "no ASan/UBSan runtime for ${SANCC:-gcc}" "apt-get install libasan8 libubsan1"
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            exec "target/c-asan/$t"
        ;;
    valgrind/*)
        # memcheck: no error, no definite leak. The suppressions cover only
        # the bad pointers the tests pass on purpose.
        have valgrind || skip valgrind "no valgrind" "apt-get install valgrind"
        cxx_or_skip "$t"
        exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --track-fds=no --trace-children=no --suppressions=tests/valgrind.supp "target/c/$t"
        ;;
    go/test)
        need_go
        cd go || exit 1
        go vet -tags rshm_intree ./... >&2
        go test -tags rshm_intree -count=1 -json ./... | gotest_tap "go vet" $?
        ;;
    go/vet-arm)
        # Go's int and uintptr are 32 bits there: a test value or constant
        # that only fits 64 bits breaks the build. cgo needs the cross
        # compiler for its header pass; nothing is linked or run.
        need_go
        have arm-linux-gnueabihf-gcc || skip arm-cross "no arm-linux-gnueabihf-gcc" \
            "apt-get install gcc-arm-linux-gnueabihf libc6-dev-armhf-cross"
        cd go || exit 1
        GOARCH=arm GOARM=7 CC=arm-linux-gnueabihf-gcc one_check "go vet GOARCH=arm" go vet -tags rshm_intree ./...
        ;;
    go/example)
        need_go
        one_check "go example: host and client share a memfd" sh -c \
            'cd go && go build -tags rshm_intree -o ../target/go/ ./example/host ./example/client &&
             cd .. && target/go/host -client target/go/client'
        ;;
    check/bad-input-covers-exports)
        scratch
        grep -rhoE 'pub (unsafe )?extern "C" fn rshm_[a-z_0-9]+' src/capi | sed 's/.* fn //' | LC_ALL=C sort >"$tmp/exports"
        one_check "test_bad_input's table covers every exported function" sh -c \
            'target/c/test_bad_input --functions | LC_ALL=C sort | diff "$1" -' sh "$tmp/exports"
        ;;
    example/writer-reader)
        SHM_DEMO_NAME="/rshm-test-$$-demo"
        export SHM_DEMO_NAME
        one_check "writer, then reader" sh -c 'target/c/writer && target/c/reader'
        ;;
    example/memfd)
        one_check "memfd_sender starts memfd_receiver, sends it a sealed memfd" target/c/memfd_sender
        ;;
    example/segment-pair)
        seg="/rshm-test-$$-segment-demo"
        one_check "segment_reader waits, segment_writer creates" \
            pair "target/c/segment_reader $seg" "target/c/segment_writer $seg"
        ;;
    example/channel-receiver-first)
        chan="/rshm-test-$$-channel-demo"
        one_check "channel_receiver creates, channel_sender opens" \
            pair "target/c/channel_receiver $chan 7" "target/c/channel_sender $chan 7"
        ;;
    example/channel-sender-first)
        chan="/rshm-test-$$-channel-demo"
        one_check "channel_sender creates, channel_receiver opens" \
            pair "target/c/channel_sender $chan 3" "target/c/channel_receiver $chan 3"
        ;;
    example/value-writer-killed)
        # The writer is killed midway and a second one takes over; the
        # reader checks every snapshot it prints (col3 = col1 + col2).
        one_check "value_reader sees only whole values while value_writer is killed and replaced" sh -c '
            target/c/value_writer "$1" 100000 & w1=$!
            sleep 0.2
            target/c/value_reader "$1" 3000 & r=$!
            sleep 0.2
            kill -9 $w1; wait $w1 2>/dev/null
            target/c/value_writer "$1" 100000 & w2=$!
            wait $r; s=$?
            kill $w2; wait $w2 2>/dev/null
            exit $s' sh "/rshm-test-$$-value-demo"
        ;;
    example/topic-subscriber-killed)
        # Three subscribers, any order; one is killed midway and never holds
        # the publisher up; the other two get everything, then EPIPE.
        one_check "topic_publisher to three topic_subscribers, one killed midway" sh -c '
            target/c/topic_subscriber "$1" >&2 & s1=$!
            target/c/topic_subscriber "$1" >&2 & s2=$!
            target/c/topic_subscriber "$1" >&2 & s3=$!
            target/c/topic_publisher "$1" 200 2 >&2 & p=$!
            sleep 0.1
            kill -9 $s2
            wait $p && wait $s1 && wait $s3; s=$?
            wait $s2 2>/dev/null
            exit $s' sh "/rshm-test-$$-topic-demo"
        ;;
    install/pkg-config)
        have pkg-config || skip pkg-config "no pkg-config" "apt-get install pkg-config"
        exec sh tests/install_check.sh
        ;;
    fuzz/*)
        # cargo finds its subcommands in PATH and in $CARGO_HOME/bin.
        cargo fuzz --version >/dev/null 2>&1 || skip cargo-fuzz "no cargo-fuzz" "cargo install cargo-fuzz --locked"
        one_check "fuzz $t for $FUZZ_SECONDS s: no crash, hang or leak" sh fuzz/run.sh "$t"
        ;;
    shm/left-as-found)
        scratch
        shm_list >"$tmp/after"
        if [ -e "$report/shm-before" ]; then
            # Shared /dev/shm: this user's new "rshm…" names are the run's.
            uid=$(id -u)
            LC_ALL=C comm -13 "$report/shm-before" "$tmp/after" >"$tmp/new"
            awk -v u="$uid" '$1 == u && $2 ~ /^(sem\.)?rshm/ { sub(/^[0-9]+ /, ""); print }' "$tmp/new" >"$tmp/left"
            awk -v u="$uid" '!($1 == u && $2 ~ /^(sem\.)?rshm/) {
                o = $1; sub(/^[0-9]+ /, ""); print "# not this run'"'"'s: /dev/shm/" $0 " (uid " o ")" }' "$tmp/new"
        else
            sed 's/^[0-9]* //' "$tmp/after" >"$tmp/left"
        fi
        if [ -s "$tmp/left" ]; then
            echo "not ok 1 - /dev/shm as the run found it; left behind:"
            sed 's|^|#   /dev/shm/|' "$tmp/left"
        else
            echo "ok 1 - /dev/shm as the run found it ($RSHM_SHM)"
        fi
        echo "1..1"
        ;;
    *)
        echo "1..0 # no test named $name" >&2
        exit 2
        ;;
    esac
}

# Under CI=true a skip is a failure: the SKIP lines turn into "not ok".
ci_filter() {
    if [ "${CI:-}" = true ]; then
        awk '
            /^1\.\.0[ \t]*#[ \t]*[Ss][Kk][Ii][Pp]/ {
                sub(/^1\.\.0[ \t]*#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/, "")
                print "not ok 1 - CI=true, and skipped: " $0; print "1..1"; next
            }
            /^ok .*[^\\]#[ \t]*[Ss][Kk][Ii][Pp]/ {
                sub(/^ok/, "not ok"); sub(/#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/, "(CI=true, and skipped: "); print $0 ")"; next
            }
            { print }'
    else
        cat
    fi
}

# Seconds each test may take: valgrind and builds are slow.
# RSHM_TEST_TIMEOUT, if set, is every test's.
limit_of() {
    case ${RSHM_TEST_TIMEOUT:+all}$1 in
    all*) echo "$RSHM_TEST_TIMEOUT" ;;
    cargo/* | lint/* | install/*) echo 1200 ;;
    fuzz/*) echo $((FUZZ_SECONDS + 1200)) ;;
    valgrind/*) echo 600 ;;
    *) echo 180 ;;
    esac
}

# As prove runs a test: under its timeout, its TAP through the CI filter to
# prove and to the report, the rest of its output and its status kept.
one() {
    name=$1
    base="$report/$name"
    mkdir -p "$(dirname "$base")"
    limit=$(limit_of "$name")
    start=$(date +%s%N)
    { timeout -k 10 "$limit" sh tests/run.sh --run "$name" 2>"$base.err"; echo $? >"$base.code"; } |
        ci_filter | tee "$base.tap"
    code=$(cat "$base.code")
    rm -f "$base.code"
    [ "$code" -eq 124 ] && echo "timed out after $limit s" >>"$base.err"
    echo "$code $(( ($(date +%s%N) - start) / 1000000 ))" >"$base.status"
    # Within prove's view, a timeout reads as the exit status; prove fails it.
    exit "$code"
}

# ---- the run -------------------------------------------------------------

# In the order prove starts them, two at a time; the fuzz targets come
# last whatever their place (prove's --rules), one after another.
tests_of() {
    bins=$(for b in "$@"; do echo "${b##*/}"; done)
    echo cargo/test
    echo lint/clippy lint/clippy-x86_64-apple-darwin lint/clippy-aarch64-apple-darwin lint/fmt
    # test_channel_kill is not run under valgrind: valgrind 3.19 has no
    # pidfd_open, and the fallback, kill(pid, 0), cannot see that the test's
    # own unreaped child died (docs/channel.md); plain and ASan cover it.
    # test_events neither: without pidfd_open its descriptors cannot watch
    # a peer's process, which is what it tests.
    for b in $bins; do case $b in test_channel_kill | test_events) ;; *) echo "valgrind/$b" ;; esac; done
    for b in $bins; do echo "c/$b"; done
    for b in $bins; do echo "asan/$b"; done
    echo go/test go/vet-arm go/example
    echo example/writer-reader example/memfd example/segment-pair
    echo example/channel-receiver-first example/channel-sender-first
    echo example/value-writer-killed example/topic-subscriber-killed
    echo check/bad-input-covers-exports install/pkg-config
    for f in $(sh fuzz/run.sh --list); do echo "fuzz/$f"; done
}

# The names T selects, one a line: a name (c/test_channel), a test in
# every suite (test_channel), a suite (go), or a shell pattern of any of
# them; every test without T.
selected() {
    tests_of "$@" | tr ' ' '\n' | while read -r n; do
        # shellcheck disable=SC2254
        case $n in ${T:-*} | */${T:-*} | ${T:-*}/*) echo "$n" ;; esac
    done
}

# The report's summary, the failures' own output, per-suite times, the
# skips and the closing line; fails when any test failed.
tally() {
    for name in "$@"; do
        base="$report/$name"
        tap="$base.tap"
        [ -e "$tap" ] || tap=/dev/null
        { read -r code ms <"$base.status"; } 2>/dev/null || { code=255 ms=0; }
        awk -v name="$name" -v code="$code" -v ms="$ms" '
            /^ok / {
                n++
                if (match($0, /[^\\]#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/)) { s++; why[s] = substr($0, RSTART + RLENGTH) }
                else p++
            }
            /^not ok/ { n++; f++ }
            /^1\.\.[0-9]+/ {
                plan = $0; sub(/^1\.\./, "", plan); sub(/[^0-9].*/, "", plan); planned = 1
                if (plan == 0 && match($0, /#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/)) { s++; why[s] = substr($0, RSTART + RLENGTH) }
            }
            END {
                bad = code != 0 || f > 0 || !planned || (plan != n && !(plan == 0 && s > 0))
                if (bad && f == 0) f = 1
                printf "%s\t%s\t%d\t%d\t%d\t%d\t%.2f\n", name, bad ? "fail" : (p == 0 && s > 0 ? "skip" : "pass"), p, f, s, code, ms / 1000
                for (i = 1; i <= s; i++) printf "skip\t%s\n", why[i] > "/dev/stderr"
            }' "$tap" 2>>"$report/skips"
    done >"$report/summary.tsv"

    awk -F '\t' '$2 == "fail" { print $1 }' "$report/summary.tsv" | while IFS= read -r name; do
        echo
        echo "---- $name: its output (TAP other than passing points, then stderr; $report/$name.*) ----"
        [ -e "$report/$name.status" ] || echo "(it never ran)"
        grep -v '^ok ' "$report/$name.tap" 2>/dev/null
        tail -n 200 "$report/$name.err" 2>/dev/null
    done

    echo
    awk -F '\t' '
        { s = $1; sub(/\/.*/, "", s); if (!(s in t)) order[++k] = s
          t[s]++; p[s] += $3; f[s] += $4; sk[s] += $5; sec[s] += $7 }
        END {
            printf "%-9s %5s %7s %6s %7s %8s\n", "suite", "tests", "passed", "failed", "skipped", "seconds"
            for (i = 1; i <= k; i++) { s = order[i]; printf "%-9s %5d %7d %6d %7d %8.1f\n", s, t[s], p[s], f[s], sk[s], sec[s] }
        }' "$report/summary.tsv"
    echo "(seconds: each suite's tests added up; prove runs two at a time)"

    if [ -s "$report/skips" ]; then
        echo
        cut -f2- "$report/skips" | LC_ALL=C sort | uniq -c | awk '{ c = $1; sub(/^ *[0-9]+ /, ""); print "SKIP " $0 (c > 1 ? " [" c " tests]" : "") }'
    fi
    awk -F '\t' '
        { p += $3; f += $4; k += $5 }
        END { printf "rshm: %d passed, %d failed, %d skipped", p, f, k }' "$report/summary.tsv"
    tools=$(cut -f2- "$report/skips" 2>/dev/null | sed 's/:.*//' | LC_ALL=C sort -u | paste -sd, - | sed 's/,/, /g')
    [ -n "$tools" ] && printf ' (%s: see above)' "$tools"
    echo
    ! grep -q "$(printf '\tfail\t')" "$report/summary.tsv"
}

main() {
    have prove || { echo "make test runs its tests with prove (apt-get install perl)"; exit 2; }
    # RSHM_SHM: unset, try a private /dev/shm; "shared", use the machine's.
    [ -n "${RSHM_SHM:-}" ] || {
        # A private /dev/shm: re-run this script in a mount namespace of its own.
        private='mount -t tmpfs -o mode=1777,nosuid,nodev rshm-test /dev/shm && RSHM_SHM=private exec sh tests/run.sh "$@"'
        if [ "$(id -u)" -eq 0 ] && unshare -m --propagation private sh -c 'mount -t tmpfs none /dev/shm' 2>/dev/null; then
            exec unshare -m --propagation private sh -c "$private" sh "$@"
        elif unshare -rm sh -c 'mount -t tmpfs none /dev/shm' 2>/dev/null; then
            exec unshare -rm sh -c "$private" sh "$@"
        fi
        RSHM_SHM=shared
    }
    export RSHM_SHM
    rm -rf "$report"
    mkdir -p "$report"
    if [ "$RSHM_SHM" = shared ]; then
        echo "/dev/shm is shared with the machine (no unshare -m or -rm here): only this user's new rshm names count"
        shm_list >"$report/shm-before"
    fi
    names=$(selected "$@")
    [ -n "$names" ] || { echo "no test named ${T:-} (sh tests/run.sh --list)"; exit 2; }
    names=$(printf '%s\nshm/left-as-found\n' "$names" | awk '!seen[$0]++')
    start=$(date +%s)
    # prove runs in an empty directory: a name that is also a path here
    # (go/example) would be taken for a directory of tests.
    mkdir "$report/.prove"
    one="sh $PWD/tests/run.sh --one"
    # shellcheck disable=SC2086 # names: one word each
    (cd "$report/.prove" && prove --exec "$one" --timer --jobs "${RSHM_TEST_JOBS:-2}" \
        --rules='seq=fuzz/*' --rules='par=**' $(echo "$names" | grep -v '^shm/'))
    # After everything else: what the run left in /dev/shm, and, when it is
    # shared, other objects that came meanwhile (information only).
    (cd "$report/.prove" && prove --exec "$one" --timer shm/left-as-found)
    grep "^# not this run's" "$report/shm/left-as-found.tap"
    wall=$(($(date +%s) - start))
    # shellcheck disable=SC2046
    tally $(echo "$names") && status=0 || status=1
    echo "wall time ${wall} s, $RSHM_SHM /dev/shm; report: $report/ (TAP per test, summary.tsv)"
    exit "$status"
}

case ${1:-} in
--list)
    shift
    selected "$@"
    echo shm/left-as-found
    ;;
--one) one "$2" ;;
--run) run_test "$2" ;;
*) main "$@" ;;
esac
