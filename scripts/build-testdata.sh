#!/usr/bin/env bash
# Builds every testdata/*.c and testdata/*.S into testdata/build/<variant>/<name>
# for the variants static, dynamic and static-pie. Rebuilds only what is out of date.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src_dir="$repo_root/testdata"
out_dir="$src_dir/build"
script="$repo_root/scripts/build-testdata.sh"
header="$src_dir/testlib.h"

CC="${CC:-gcc}"
CFLAGS_COMMON=(-O1 -Wall -Werror -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread)
VARIANTS=(static dynamic static-pie)

die() { echo "build-testdata: $*" >&2; exit 1; }

# gcc -m32 must be able to link both a static and a dynamic i386 program.
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
echo 'int main(void) { return 0; }' >"$probe_dir/probe.c"
if ! command -v "$CC" >/dev/null 2>&1; then
    die "'$CC' not found; install gcc and gcc-multilib (apt-get install gcc-multilib)"
fi
if ! "$CC" -m32 -o "$probe_dir/probe" "$probe_dir/probe.c" >"$probe_dir/log" 2>&1 ||
   ! "$CC" -m32 -static -o "$probe_dir/probe-static" "$probe_dir/probe.c" >>"$probe_dir/log" 2>&1; then
    cat "$probe_dir/log" >&2
    die "'$CC -m32' cannot build i386 programs; install gcc-multilib (apt-get install gcc-multilib)"
fi

# flags_for <variant> <source>: prints the compiler flags, or nothing if the combination is skipped.
flags_for() {
    local variant="$1" src="$2"
    case "$src" in
    *.c)
        case "$variant" in
        static)     echo "-static ${CFLAGS_COMMON[*]}" ;;
        dynamic)    echo "${CFLAGS_COMMON[*]}" ;;
        static-pie) echo "-static-pie -fPIE ${CFLAGS_COMMON[*]}" ;;
        esac ;;
    *.S)
        # -nostdlib assembly: position independent and without relocations, so it links as
        # a plain static executable and as a static PIE (ET_DYN, no interpreter).
        case "$variant" in
        static)     echo "-nostdlib -static" ;;
        static-pie) echo "-nostdlib -static-pie -fPIE" ;;
        dynamic)    echo "" ;;
        esac ;;
    esac
}

skip_reason() {
    local variant="$1" src="$2"
    case "$src:$variant" in
    *.S:dynamic) echo "-nostdlib assembly without libc: a dynamic build would enter through ld.so, which sets registers itself (EDX = _dl_fini), so there is no kernel entry state to check" ;;
    *) echo "no flags for this combination" ;;
    esac
}

shopt -s nullglob
sources=("$src_dir"/*.c "$src_dir"/*.S)
[ ${#sources[@]} -gt 0 ] || die "no sources in $src_dir"

built=0
for variant in "${VARIANTS[@]}"; do
    mkdir -p "$out_dir/$variant"
    for src in "${sources[@]}"; do
        file="$(basename "$src")"
        name="${file%.*}"
        out="$out_dir/$variant/$name"
        flags="$(flags_for "$variant" "$src")"
        if [ -z "$flags" ]; then
            echo "skip    $variant/$name: $(skip_reason "$variant" "$src")"
            continue
        fi
        # make-like: rebuild when the binary is missing or older than its source,
        # the shared header or this script
        if [ -e "$out" ] && [ ! "$src" -nt "$out" ] && [ ! "$script" -nt "$out" ] && [ ! "$header" -nt "$out" ]; then
            continue
        fi
        libs=()
        case "$src" in *.c) libs=(-lm) ;; esac
        # shellcheck disable=SC2086  # flags is a word list on purpose
        if ! "$CC" -m32 $flags -o "$out.tmp" "$src" "${libs[@]}"; then
            rm -f "$out.tmp"
            die "FAILED: $CC -m32 $flags -o $out $src ${libs[*]}"
        fi
        mv -f "$out.tmp" "$out"
        echo "built   $variant/$name"
        built=$((built + 1))
    done
done
echo "build-testdata: $built built, output in ${out_dir#"$repo_root"/}"
