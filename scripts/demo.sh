#!/usr/bin/env bash
# The main job on a fresh machine: install what is needed, build elf32-exec
# (scripts/build.sh: the freestanding binary) and the i386 test programs,
# and run one through elf32-exec next to the same program run natively.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/setup.sh
loader="$(scripts/build.sh | tail -n 1)"
scripts/build-testdata.sh >/dev/null
program="$root/testdata/build/static/args_env"

echo "== native:     $program hello 'i386 world'"
"$program" hello 'i386 world' | head -4
echo "== elf32-exec: $loader --verbose $program hello 'i386 world'"
"$loader" --verbose "$program" hello 'i386 world' | head -4
