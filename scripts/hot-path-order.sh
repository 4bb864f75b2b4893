#!/usr/bin/env bash
# Regenerates Sources/elf32-exec/hot-path.order, the order in which the link
# lays out elf32-exec's functions: those an exec runs first, in the order it
# first runs them, so that they share as few 64 KiB fault-around windows as
# possible (a page fault, and 16 page-table entries for the handoff's munmap,
# per window). Built with symbols, elf32-exec runs a static, a dynamic, a
# static-pie and a no-libc i386 program under gdb (scripts/hot-path-order.py); the union of
# the functions entered before the handoff, in first-entry order, is the file.
# Run it after changes to the exec path; a stale order costs only speed.
#
# Usage: scripts/hot-path-order.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

command -v gdb >/dev/null || { apt-get update -qq && apt-get install -y -qq gdb >/dev/null; }
ELF32_EXEC_FREESTANDING=1 ELF32_EXEC_KEEP_SYMBOLS=1 \
    swift build -c release --product elf32-exec --scratch-path .build-symbols >&2
loader="$root/.build-symbols/release/elf32-exec"
scripts/build-testdata.sh >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for program in testdata/build/static/exit_status testdata/build/dynamic/exit_status \
    testdata/build/static-pie/exit_status testdata/build/static/entry_regs; do
    HOT_PATH_OUT="$work/entered" gdb -q -batch -x scripts/hot-path-order.py --args "$loader" "$program" >/dev/null 2>&1 ||
        { echo "hot-path-order: gdb failed on $program" >&2; exit 1; }
done
order="Sources/elf32-exec/hot-path.order"
awk '!seen[$0]++' "$work/entered" >"$order"
echo "hot-path-order: $(wc -l <"$order") functions in $order" >&2
