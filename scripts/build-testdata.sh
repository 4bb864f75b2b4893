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

# extra_flags_for <variant> <source>: flags one program needs on top of its variant's.
extra_flags_for() {
    local variant="$1" src="$2"
    case "$(basename "$src"):$variant" in
    # ET_EXEC with its text segment at 0x70000000 (where a loader might sit itself)
    high_text.c:static)         echo "-Wl,-Ttext-segment=0x70000000" ;;
    high_text.c:dynamic)        echo "-no-pie -Wl,-Ttext-segment=0x70000000" ;;
    # ET_EXEC laid out like wine-preloader: PT_LOADs at 0x08048000 and at 0x7d400000/0x7d410000
    split_segments.c:static)    echo "-Wl,--section-start=.wine_high_text=0x7d400000 -Wl,--section-start=.wine_high_data=0x7d410000" ;;
    split_segments.c:dynamic)   echo "-no-pie -Wl,--section-start=.wine_high_text=0x7d400000 -Wl,--section-start=.wine_high_data=0x7d410000" ;;
    esac
}

# flags_for <variant> <source>: prints the compiler flags, or nothing if the combination is skipped.
flags_for() {
    local variant="$1" src="$2"
    case "$(basename "$src"):$variant" in
    # fixed-address ET_EXEC programs: a PIE build makes no sense for them
    high_text.c:static-pie | split_segments.c:static-pie) return ;;
    esac
    case "$src" in
    *.c)
        local extra
        extra="$(extra_flags_for "$variant" "$src")"
        case "$variant" in
        static)     echo "-static ${CFLAGS_COMMON[*]}${extra:+ $extra}" ;;
        dynamic)    echo "${CFLAGS_COMMON[*]}${extra:+ $extra}" ;;
        static-pie) echo "-static-pie -fPIE ${CFLAGS_COMMON[*]}${extra:+ $extra}" ;;
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
    */high_text.c:static-pie) echo "an ET_EXEC linked at a fixed address (-Ttext-segment=0x70000000): no PIE build" ;;
    */split_segments.c:static-pie) echo "an ET_EXEC with PT_LOADs at fixed addresses (0x08048000, 0x7d400000): no PIE build" ;;
    *.S:dynamic) echo "-nostdlib assembly without libc: a dynamic build would enter through ld.so, not the kernel (which leaves its own registers, e.g. EDX = _dl_fini, and its own pages)" ;;
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
