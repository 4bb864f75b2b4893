#!/usr/bin/env bash
# Builds the shipped elf32-exec: Embedded Swift, linked statically with musl
# as a static-pie (Package.swift, ELF32_EXEC_FREESTANDING=1), in its own
# build folder. Prints the binary's path as the last line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

binary="$root/.build-freestanding/release/elf32-exec"
# SwiftPM relinks only when an object changed; the symbol order is a linker
# input it does not track.
[[ $binary -nt Sources/elf32-exec/hot-path.order ]] || rm -f "$binary"
ELF32_EXEC_FREESTANDING=1 swift build -c release --product elf32-exec --scratch-path .build-freestanding "$@" >&2
[[ -x $binary ]] || { echo "build: $binary was not built" >&2; exit 1; }
echo "$binary"
