#!/usr/bin/env bash
# Installs what building and testing elf32-exec needs on Debian/Ubuntu:
# gcc-multilib (gcc -m32 and the i386 glibc), libelf-dev and zlib (static
# libraries for the freestanding link), musl and lld (the freestanding
# elf32-exec is linked with them), pkg-config; for the tests of the Debian
# package lintian, mandoc, man-db, libcap2-bin (setcap), debootstrap and
# binutils, gdb for the debugger tests, strace.
# Installs only what is missing; needs root (or sudo) when something is.
set -euo pipefail

packages=(gcc-multilib libelf-dev pkg-config zlib1g-dev musl-tools musl-dev lld
    lintian mandoc man-db libcap2-bin debootstrap binutils gdb strace)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 5.10 or later is needed)" >&2; exit 1; }
