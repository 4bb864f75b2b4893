#!/usr/bin/env bash
# Benchmarks elf32-exec against native execution and qemu-i386.
#
# Workloads (sources in testdata/bench/, built static i386 with gcc -m32 -static -O2):
#   noop          start-up of a program that returns at once (timed by hyperfine)
#   syscall_loop  getppid() through the glibc wrapper       (the program times itself)
#   clock_loop    clock_gettime(CLOCK_MONOTONIC)            (the program times itself)
#   cpu_loop      an integer hash chain, no system calls    (the program times itself)
# Runners: ./prog, elf32-exec ./prog, elf32-exec --no-vdso ./prog, qemu-i386 ./prog.
# Added time per exec (elf32-exec minus native, same rounds) for i386 no-ops: without libc
# (testdata/bench/reference/bare_exit32.c), and noop.c linked static, dynamic and static-pie.
# The loader itself: its size, its peak memory (max RSS of elf32-exec running the no-libc
# no-op), its own system calls per exec (strace -f, minus the native run's), and a shell
# loop of 500 dynamic no-ops run as ./prog natively and through elf32-exec registered in a
# private binfmt_misc instance (a user and mount namespace; the host's is never touched).
# Start-up references, timed in the same rounds (x86-64): testdata/bench/noop.c linked with
# static glibc, and testdata/bench/reference/bare_exit.c, which has no libc at all.
#
# Prints the date, kernel, CPU and a Markdown table of medians (µs per start-up, ns per
# loop iteration) with the ratio to native; the table also goes to
# testdata/build/bench/results.md (results-quick.md with --quick), raw samples to
# testdata/build/bench/raw/.
#
# Usage: scripts/bench.sh [--quick]     (--quick: few runs and iterations, a smoke test)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src_dir="$repo_root/testdata/bench"
out_dir="$repo_root/testdata/build/bench"
raw_dir="$out_dir/raw"
results="$out_dir/results.md"

RUNNERS=(native loader loader-novdso qemu)
REFERENCES=(glibc-noop bare-exit)
# i386 no-ops timed natively and under elf32-exec for the added time per exec.
ADDED=(bare32 noop-dynamic noop-static-pie)
LOOP_WORKLOADS=(syscall_loop clock_loop cpu_loop)

# Full mode: ~400 start-ups per runner in 10 hyperfine rounds, 11 rounds of each loop.
QUICK=0
STARTUP_ROUNDS=10
STARTUP_RUNS_PER_ROUND=40
STARTUP_WARMUP=5
LOOP_ROUNDS=11
ITER_DIVISOR=1
LOAD_AT_START=""

# die: prints an error and exits.
die() { echo "bench: $*" >&2; exit 1; }

# log: progress message on stderr (stdout carries the report).
log() { echo "bench: $*" >&2; }

# parse_args: handles --quick and --help.
parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
        --quick)
            QUICK=1
            STARTUP_ROUNDS=2
            STARTUP_RUNS_PER_ROUND=15
            STARTUP_WARMUP=2
            LOOP_ROUNDS=3
            ITER_DIVISOR=10
            results="$out_dir/results-quick.md" ;;  # keep the last full results
        -h|--help)
            sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        *) die "unknown argument '$1' (usage: scripts/bench.sh [--quick])" ;;
        esac
        shift
    done
}

# install_packages <pkg...>: installs Debian packages with apt-get when running as root,
# otherwise fails and says what to install.
install_packages() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "missing tools; install the Debian packages: $* (e.g. sudo apt-get install $*)"
    fi
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 ||
        { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2; } ||
        die "apt-get install $* failed"
}

# gcc_m32_works: true if gcc can link a static i386 program (needs gcc-multilib).
gcc_m32_works() {
    command -v gcc >/dev/null 2>&1 &&
        echo 'int main(void) { return 0; }' |
        gcc -m32 -static -x c - -o /dev/null >/dev/null 2>&1
}

# ensure_tools: makes sure hyperfine, qemu-i386, jq, gcc -m32 and swift are available.
ensure_tools() {
    local missing=()
    command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
    command -v qemu-i386 >/dev/null 2>&1 || missing+=(qemu-user)
    command -v jq >/dev/null 2>&1 || missing+=(jq)
    command -v strace >/dev/null 2>&1 || missing+=(strace)
    [ -x /usr/bin/time ] || missing+=(time)
    gcc_m32_works || missing+=(gcc-multilib)
    [ ${#missing[@]} -eq 0 ] || install_packages "${missing[@]}"
    gcc_m32_works || die "gcc -m32 -static cannot link i386 programs even with gcc-multilib"
    command -v swift >/dev/null 2>&1 || die "swift not found on PATH (needed to build elf32-exec)"
}

# check_no_binfmt_i386: refuses to run if a machine-wide binfmt_misc entry would send the
# "native" ./prog through an interpreter (then native would not be native).
check_no_binfmt_i386() {
    local others
    others="$("$repo_root/scripts/binfmt.sh" i386-handlers --all 2>/dev/null | tr '\n' ' ')"
    [ -z "$others" ] || die "binfmt_misc entries handle i386 ELF ($others): native runs would not be native"
}

# build_loader: builds elf32-exec (release) and copies it to $out_dir/elf32-exec, so
# concurrent rebuilds by others cannot swap the binary in the middle of a benchmark.
build_loader() {
    log "building elf32-exec (scripts/build.sh)"
    local built
    built="$("$repo_root/scripts/build.sh" | tail -n 1)" || die "scripts/build.sh failed"
    cp "$built" "$out_dir/elf32-exec.tmp"
    mv -f "$out_dir/elf32-exec.tmp" "$out_dir/elf32-exec"
}

# build_programs: compiles every testdata/bench/*.c into $out_dir/<name>.
build_programs() {
    local src name
    log "building benchmark programs (gcc -m32 -static -O2)"
    for src in "$src_dir"/*.c; do
        name="$(basename "$src" .c)"
        gcc -m32 -static -O2 -Wall -Werror -o "$out_dir/$name" "$src" ||
            die "cannot compile $src"
    done
    gcc -m32 -O2 -Wall -Werror -o "$out_dir/noop-dynamic" "$src_dir/noop.c" ||
        die "cannot compile $src_dir/noop.c dynamic"
    gcc -m32 -static-pie -fPIE -O2 -Wall -Werror -o "$out_dir/noop-static-pie" "$src_dir/noop.c" ||
        die "cannot compile $src_dir/noop.c static-pie"
    gcc -m32 -static -nostdlib -O2 -Wall -Werror -o "$out_dir/bare32" "$src_dir/reference/bare_exit32.c" ||
        die "cannot compile $src_dir/reference/bare_exit32.c"
    log "building start-up references (x86-64: static glibc no-op, bare exit without libc)"
    gcc -static -O2 -Wall -Werror -o "$out_dir/noop64" "$src_dir/noop.c" ||
        die "cannot compile $src_dir/noop.c for x86-64"
    gcc -static -nostdlib -O2 -Wall -Werror -o "$out_dir/bare_exit" "$src_dir/reference/bare_exit.c" ||
        die "cannot compile $src_dir/reference/bare_exit.c"
}

# check_getppid_uncached: warns unless the static glibc getppid wrapper really enters
# the kernel on every call (eax=0x40, then call *%gs:0x10 or int $0x80).
check_getppid_uncached() {
    local body
    body="$(objdump -d --no-show-raw-insn "$out_dir/syscall_loop" 2>/dev/null |
        awk '/<(__)?getppid>:/ { on = 1; next } on && /^$/ { exit } on')" || true
    if grep -q 'mov.*\$0x40,%eax' <<<"$body" && grep -qE 'call +\*%gs:0x10|int +\$0x80' <<<"$body"; then
        return 0
    fi
    log "WARNING: could not confirm that getppid() is an uncached system call; its disassembly:"
    printf '%s\n' "$body" >&2
}

# runner_prefix <runner>: prints the command words that go before ./prog for a runner.
runner_prefix() {
    case "$1" in
    native)        echo "" ;;
    loader)        echo "$out_dir/elf32-exec" ;;
    loader-novdso) echo "$out_dir/elf32-exec --no-vdso" ;;
    qemu)          echo "qemu-i386" ;;
    esac
}

# runner_label <runner>: the column heading of a runner.
runner_label() {
    case "$1" in
    native)        echo "native" ;;
    loader)        echo "elf32-exec" ;;
    loader-novdso) echo "elf32-exec --no-vdso" ;;
    qemu)          echo "qemu-i386" ;;
    esac
}

# iterations <workload> <runner>: the loop count, chosen for ~100 ms per run here. Runners
# for which a call is a real (or emulated) system call get fewer iterations: int $0x80
# measured ~5 µs per call on this machine, 25x getppid and 170x clock_gettime natively.
iterations() {
    local n
    case "$1:$2" in
    syscall_loop:loader-novdso) n=25000 ;;
    syscall_loop:qemu)          n=300000 ;;
    syscall_loop:*)             n=500000 ;;
    clock_loop:loader-novdso)   n=25000 ;;
    clock_loop:qemu)            n=500000 ;;
    clock_loop:*)               n=4000000 ;;
    cpu_loop:qemu)              n=40000000 ;;
    cpu_loop:*)                 n=50000000 ;;
    *) die "no iteration count for $1 under $2" ;;
    esac
    echo $((n / ITER_DIVISOR))
}

# median: prints the median of the numbers on stdin (mean of the middle two if even).
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# startup_command <runner or reference>: the command line whose start-up is timed.
startup_command() {
    case "$1" in
    native | loader | loader-novdso | qemu) echo "$(runner_prefix "$1") ./noop" ;;
    glibc-noop) echo "./noop64" ;;
    bare-exit)  echo "./bare_exit" ;;
    native-*)   echo "./${1#native-}" ;;
    loader-*)   echo "$out_dir/elf32-exec ./${1#loader-}" ;;
    esac
}

# bench_startup: times ./noop under every runner, and the references, with hyperfine -N.
# hyperfine runs all runs of one command before the next, so it is called in rounds (every
# command per round, starting command rotated) and the per-run times of all rounds are
# merged. Writes the median in µs to $raw_dir/noop.<runner or reference>.median.
bench_startup() {
    local round runner i k args
    local commands=("${RUNNERS[@]}" "${REFERENCES[@]}") program
    for program in "${ADDED[@]}"; do commands+=("native-$program" "loader-$program"); done
    log "start-up: $STARTUP_ROUNDS hyperfine rounds x $STARTUP_RUNS_PER_ROUND runs per command"
    rm -f "$raw_dir"/startup-round-*.json
    for ((round = 0; round < STARTUP_ROUNDS; round++)); do
        args=()
        for ((i = 0; i < ${#commands[@]}; i++)); do
            k=$(((i + round) % ${#commands[@]}))
            runner="${commands[$k]}"
            args+=(-n "$runner" "$(startup_command "$runner")")
        done
        # hyperfine's outlier warnings are expected on a busy machine: show its stderr
        # only when it fails
        hyperfine -N --style none --warmup "$STARTUP_WARMUP" --runs "$STARTUP_RUNS_PER_ROUND" \
            --export-json "$raw_dir/startup-round-$round.json" "${args[@]}" \
            >/dev/null 2>"$raw_dir/hyperfine.stderr" ||
            { cat "$raw_dir/hyperfine.stderr" >&2; die "hyperfine failed"; }
    done
    for runner in "${commands[@]}"; do
        jq -r --arg r "$runner" '.results[] | select(.command == $r) | .times[] * 1e6' \
            "$raw_dir"/startup-round-*.json >"$raw_dir/noop.$runner.txt"
        median <"$raw_dir/noop.$runner.txt" >"$raw_dir/noop.$runner.median"
    done
}

# run_loop <workload> <runner>: runs one self-timing program once; prints its ns/iteration.
run_loop() {
    local workload="$1" runner="$2" prefix out
    prefix="$(runner_prefix "$runner")"
    # shellcheck disable=SC2086  # prefix is deliberately split into words
    out="$($prefix ./"$workload" "$(iterations "$workload" "$runner")")" ||
        die "$workload under $runner failed"
    [[ "$out" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$workload under $runner printed '$out'"
    echo "$out"
}

# bench_loops: runs every loop workload LOOP_ROUNDS times, alternating the runners within
# each round, and writes the median ns/iteration to $raw_dir/<workload>.<runner>.median.
bench_loops() {
    local workload runner round
    for workload in "${LOOP_WORKLOADS[@]}"; do
        log "$workload: $LOOP_ROUNDS rounds"
        for runner in "${RUNNERS[@]}"; do : >"$raw_dir/$workload.$runner.txt"; done
        for ((round = 0; round < LOOP_ROUNDS; round++)); do
            for runner in "${RUNNERS[@]}"; do
                run_loop "$workload" "$runner" >>"$raw_dir/$workload.$runner.txt"
            done
        done
        for runner in "${RUNNERS[@]}"; do
            median <"$raw_dir/$workload.$runner.txt" >"$raw_dir/$workload.$runner.median"
        done
    done
}

# workload_label <workload>: the row heading of a workload.
workload_label() {
    case "$1" in
    noop)         echo "start-up, static no-op (µs)" ;;
    syscall_loop) echo "getppid() loop (ns/iter)" ;;
    clock_loop)   echo "clock_gettime(MONOTONIC) loop (ns/iter)" ;;
    cpu_loop)     echo "integer hash loop, CPU only (ns/iter)" ;;
    esac
}

# table_row <workload>: one Markdown row: the medians, and each runner's ratio to native.
table_row() {
    local workload="$1" runner native value row
    native="$(cat "$raw_dir/$workload.native.median")"
    row="| $(workload_label "$workload") |"
    for runner in "${RUNNERS[@]}"; do
        value="$(cat "$raw_dir/$workload.$runner.median")"
        row+="$(awk -v v="$value" -v n="$native" -v r="$runner" 'BEGIN {
            f = v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f"
            s = sprintf(f, v)
            if (r != "native") s = s sprintf(" (%.2f×)", v / n)
            printf " %s |", s }')"
    done
    echo "$row"
}

# print_report: prints the header (date, kernel, CPU, loader commit, mode) and the table,
# and writes the same text to $results.
print_report() {
    local cpu commit dirty mode runner workload header sep
    cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    commit="$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    dirty="$(git -C "$repo_root" status --porcelain -- Sources Package.swift 2>/dev/null | head -1)"
    [ -z "$dirty" ] || commit+=" + uncommitted changes in Sources/"
    mode="full: $((STARTUP_ROUNDS * STARTUP_RUNS_PER_ROUND)) start-ups and $LOOP_ROUNDS loop runs per runner, medians"
    [ "$QUICK" -eq 0 ] || mode="--quick: $((STARTUP_ROUNDS * STARTUP_RUNS_PER_ROUND)) start-ups and $LOOP_ROUNDS loop runs per runner, 1/$ITER_DIVISOR iterations; smoke test only"
    header="| workload |"
    sep="|---|"
    for runner in "${RUNNERS[@]}"; do
        header+=" $(runner_label "$runner") |"
        sep+="---:|"
    done
    {
        echo "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "Kernel: $(uname -r)"
        echo "CPU: $cpu ($(nproc) CPUs)"
        echo "elf32-exec: $commit; qemu-i386: $(qemu-i386 --version | head -1 | awk '{ print $3 }')"
        echo "Mode: $mode"
        echo "Load average before / after: $LOAD_AT_START / $(cut -d' ' -f1-3 /proc/loadavg)"
        echo
        echo "$header"
        echo "$sep"
        for workload in noop "${LOOP_WORKLOADS[@]}"; do table_row "$workload"; done
        echo
        added_time
        echo
        loader_facts
        binfmt_loop
        echo
        startup_references
    } | tee "$results"
}

# added_time: the loader's added time per exec for each i386 no-op, from the same rounds.
added_time() {
    local program native loader label
    echo "| i386 no-op | native (µs) | elf32-exec (µs) | added per exec (µs) | ratio |"
    echo "|---|---:|---:|---:|---:|"
    for program in bare32 noop noop-dynamic noop-static-pie; do
        case "$program" in
        bare32) label="no libc"; native="$raw_dir/noop.native-bare32.median"; loader="$raw_dir/noop.loader-bare32.median" ;;
        noop) label="glibc static"; native="$raw_dir/noop.native.median"; loader="$raw_dir/noop.loader.median" ;;
        *) label="glibc ${program#noop-}"; native="$raw_dir/noop.native-$program.median"; loader="$raw_dir/noop.loader-$program.median" ;;
        esac
        awk -v l="$label" -v n="$(cat "$native")" -v e="$(cat "$loader")" \
            'BEGIN { printf "| %s | %.0f | %.0f | %.0f | %.2f× |\n", l, n, e, e - n, e / n }'
    done
}

# strace_total FILE: the system calls an `strace -f -c` summary counts
# (it sums 64-bit and 32-bit mode calls separately: add the totals up).
strace_total() { awk '/total/ { n += $4 } END { print n }' "$1"; }  # calls: the 4th column, before errors

# loader_facts: the loader's size, peak memory and own system calls per exec.
loader_facts() {
    local size peak native calls
    size="$(stat -c %s "$out_dir/elf32-exec")"
    peak="$(/usr/bin/time -f %M "$out_dir/elf32-exec" ./bare32 2>&1 >/dev/null | tail -n 1)"
    strace -f -c -o "$raw_dir/strace.native" ./bare32 >/dev/null 2>&1
    native="$(strace_total "$raw_dir/strace.native")"
    strace -f -c -o "$raw_dir/strace.loader" "$out_dir/elf32-exec" ./bare32 >/dev/null 2>&1
    calls="$(strace_total "$raw_dir/strace.loader")"
    echo "elf32-exec: $size bytes on disk; peak RSS running the no-libc no-op $peak KiB;" \
        "$((calls - native)) system calls of its own per exec (strace -f: $calls, native $native)."
}

# binfmt_loop: 500 runs of ./noop-dynamic from a shell, natively and through elf32-exec
# registered in a private binfmt_misc instance (Linux 6.7 or later).
binfmt_loop() {
    local script
    # shellcheck disable=SC2016  # expanded by the inner shell
    script='
        loop() { local i=0 start end; start=$(date +%s%N); while [ $i -lt 500 ]; do ./noop-dynamic; i=$((i + 1)); done; end=$(date +%s%N); echo $(((end - start) / 1000000)); }
        native=$(loop)
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || exit 3
        "$1" line --interpreter "$2" >/proc/sys/fs/binfmt_misc/register || exit 4
        loaded=$(loop)
        strace -f -c -o "$3" ./bare32 >/dev/null 2>&1
        echo "$native $loaded"'
    local result native loaded flags
    flags="$("$repo_root/scripts/binfmt.sh" line --interpreter "$out_dir/elf32-exec")"
    if result="$(unshare --user --map-root-user --mount bash -c "$script" bash \
        "$repo_root/scripts/binfmt.sh" "$out_dir/elf32-exec" "$raw_dir/strace.binfmt" 2>/dev/null)"; then
        read -r native loaded <<<"$result"
        awk -v n="$native" -v l="$loaded" 'BEGIN {
            printf "500 x ./noop-dynamic from a shell: native %d ms, through binfmt_misc %d ms (%.2f×).\n", n, l, l / n }'
        echo "Through binfmt_misc (flags ${flags##*:}):" \
            "$(($(strace_total "$raw_dir/strace.binfmt") - $(strace_total "$raw_dir/strace.native"))) system calls of its own per exec of ./bare32."
    else
        echo "500 x ./noop-dynamic through binfmt_misc: not measured (no private binfmt_misc instance here)."
    fi
}

# startup_references: the x86-64 start-up references from the same rounds.
startup_references() {
    awk -v g="$(cat "$raw_dir/noop.glibc-noop.median")" -v b="$(cat "$raw_dir/noop.bare-exit.median")" 'BEGIN {
        printf "Start-up references (x86-64, same rounds): no libc %.0f µs, static glibc no-op %.0f µs\n", b, g
        printf "(glibc start-up alone %.0f µs: what a loader linked with glibc would add before its first line).\n", g - b }'
}

# main: tools, build, sanity checks, benchmarks, report.
main() {
    parse_args "$@"
    ensure_tools
    mkdir -p "$out_dir" "$raw_dir"
    check_no_binfmt_i386
    build_loader
    build_programs
    check_getppid_uncached
    cd "$out_dir"    # every runner gets the literal ./prog
    LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
    bench_startup
    bench_loops
    echo
    print_report
}

main "$@"
