#!/usr/bin/env bash
# Load test: N concurrent runs of the threaded i386 test program (16 threads,
# TLS, a barrier, a mutex, a condition variable) under the release build of
# elf32-exec. Every run must exit 0 with exactly the native run's output and
# nothing on standard error.
#
#   scripts/load-test.sh [N]        default 200
#
# Prints "N passed, M failed" and exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

n="${1:-200}"
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/load-test.sh [N]" >&2; exit 2; }
timeout_seconds="${LOAD_TEST_TIMEOUT:-300}"

loader="$(scripts/build.sh | tail -n 1)"
scripts/build-testdata.sh >/dev/null
program="$root/testdata/build/static/threads"

# A binfmt_misc entry for i386 (ours included) would make the "native" run go
# through an interpreter: refuse to compare then.
handlers="$(scripts/binfmt.sh i386-handlers --all | tr '\n' ' ')"
if [[ -n $handlers ]]; then
    echo "load-test: binfmt_misc entries run i386 programs through an interpreter ($handlers); disable them to compare with native" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
environment=(env -i PATH=/usr/bin:/bin LC_ALL=C)

# The expected output: the native run's.
if ! "${environment[@]}" "$program" >"$work/expected" 2>"$work/expected.err"; then
    echo "load-test: the native run of $program failed:" >&2
    cat "$work/expected" "$work/expected.err" >&2
    exit 2
fi

echo "load-test: $n concurrent runs of $loader $program" >&2
start=$(date +%s.%N)
for ((i = 1; i <= n; i++)); do
    (
        status=0
        "${environment[@]}" timeout -s KILL "$timeout_seconds" "$loader" "$program" >"$work/$i.out" 2>"$work/$i.err" || status=$?
        echo "$status" >"$work/$i.status"
    ) &
done
wait
elapsed=$(echo "$(date +%s.%N) - $start" | bc)

passed=0 failed=0
for ((i = 1; i <= n; i++)); do
    status="$(cat "$work/$i.status")"
    if [[ "$status" == 0 ]] && cmp -s "$work/$i.out" "$work/expected" && [[ ! -s "$work/$i.err" ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        if ((failed <= 5)); then
            echo "--- run $i: exit status $status (137: killed after ${timeout_seconds}s; >128: a signal)" >&2
            diff "$work/expected" "$work/$i.out" | head -10 >&2 || true
            head -5 "$work/$i.err" >&2
        fi
    fi
done
printf 'load-test: %.1f s\n' "$elapsed" >&2
echo "$passed passed, $failed failed"
((failed == 0))
