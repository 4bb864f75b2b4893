#!/usr/bin/env bash
# Runs every test: installs what is needed, builds the freestanding
# elf32-exec and the i386 test programs, then `swift test` (unit tests of the
# library built as ordinary Swift, and the differential integration tests of
# the built elf32-exec).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/setup.sh
ELF32_EXEC="${ELF32_EXEC:-$(scripts/build.sh | tail -n 1)}"
export ELF32_EXEC
scripts/build-testdata.sh >/dev/null
# XCTest only: no Swift Testing suite here, and its "0 tests" summary would close the log.
swift test --disable-swift-testing "$@"
