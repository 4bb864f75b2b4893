#!/usr/bin/env bash
# Fuzzes the pure ELF path (read, validate, place, plan, interpreter path,
# auxv, initial stack) with libFuzzer for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]        default 60
#
# Environment:
#   FUZZ_JOBS=N      parallel fuzzing processes (libFuzzer -fork=N), default 1
#   FUZZ_CORPUS=DIR  the working corpus, default .build-fuzz/corpus; it starts
#                    from testdata/fuzz-corpus and keeps what libFuzzer adds
#   FUZZ_ARGS="..."  more libFuzzer flags (e.g. -runs=1000000)
#   FUZZ_BUILD=DIR   the build directory, default .build-fuzz
#
# A crash or a broken invariant stops the run with a non-zero status and
# leaves the input in .build-fuzz/artifacts/ (with FUZZ_BUILD unset); copy it to
# testdata/fuzz-corpus/crashers/ and Tests/ELFLoaderTests/FuzzRegressionTests
# replays it from then on. Built under .build-fuzz, not to disturb .build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds="${1:-60}"
jobs="${FUZZ_JOBS:-1}"
build="${FUZZ_BUILD:-$root/.build-fuzz}"
corpus="${FUZZ_CORPUS:-$build/corpus}"
artifacts="$build/artifacts"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2; }

# -sanitize=fuzzer instruments every module of the product (ELFLoader
# included) and links libFuzzer; ELF32_FUZZING makes the target's @main run
# libFuzzer's driver instead of replaying files.
echo "fuzz: building ELFLoaderFuzz with -sanitize=fuzzer,address" >&2
swift build -c release --build-path "$build" --product ELFLoaderFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DELF32_FUZZING >&2
binary="$(swift build -c release --build-path "$build" --show-bin-path)/ELFLoaderFuzz"

mkdir -p "$corpus" "$artifacts"
mkdir -p "$build/logs"
log="$build/logs/fuzz-$(date +%Y%m%d-%H%M%S)-$$.log"  # one per run: runs may overlap
echo "fuzz: $seconds s, $jobs job(s), corpus $corpus, log $log" >&2

# The seeds are read from testdata/fuzz-corpus (crashers/ included); new
# inputs go to the first directory only.
fork=()
((jobs > 1)) && fork=(-fork="$jobs")
status=0
# malloc_context_size=0: no allocation stack traces, a third faster.
# SWIFT_BACKTRACE: the Swift runtime's backtracer would fight libFuzzer's handlers.
ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0:detect_leaks=1}" SWIFT_BACKTRACE=enable=no \
    "$binary" "${fork[@]}" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$corpus" testdata/fuzz-corpus >"$log" 2>&1 || status=$?

# Executions: the final stats in single-process mode; the parent's last
# status line (#N: ...) in fork mode, where the jobs log elsewhere.
if ((jobs > 1)); then
    runs="$( (grep -oE '^#[0-9]+:' "$log" || true) | tail -1 | tr -d '#:')"
else
    runs="$( (grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" || true) | awk '{print $2}' | tail -1)"
fi
files="$(find "$corpus" -type f | wc -l)"
bytes="$(du -sk "$corpus" | cut -f1)"
if ((status != 0)); then
    tail -40 "$log" >&2
    echo "fuzz: FAILED (status $status) after ${runs:-?} executions; input in $artifacts/" >&2
    exit "$status"
fi
echo "fuzz: ${runs:-?} executions in $seconds s, no crash; corpus $files files (${bytes} KiB)"
