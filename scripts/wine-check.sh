#!/usr/bin/env bash
# Real-software check: Debian 12's 32-bit Wine, natively and through elf32-exec.
#
#   scripts/wine-check.sh [--prepare-only] [--native-only] [--refresh]
#
# Prepares once (cached in $WINE_ROOT, default /var/tmp/elf32-exec-wine) an
# i386 root with wine32, libwine, wine32-preloader and their i386 dependency
# closure (apt-get download + dpkg -x; libwine's postinst zlib1.dll step redone
# by hand). Then runs a few wine commands in that root twice, each side in its
# own user+mount+pid namespace with a PRIVATE binfmt_misc instance (the host's
# registrations are never read or written): natively (empty instance), and with
# elf32-exec registered for i386 ELF (flags F). Compares stdout, stderr and exit
# status. Prints "wine: N passed, N failed"; exit 0 all passed, 1 differences,
# 2 set-up or native failure. Needs root and Linux >= 6.7.
# Environment: WINE_ROOT, ELF32_EXEC (loader binary; default: last line of
# scripts/build.sh's output if that script exists, else /tmp/elf32-exec-current),
# WINE_TIMEOUT (seconds per wine command, default 120).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
script="$here/$(basename "$0")"
WINE_ROOT="${WINE_ROOT:-/var/tmp/elf32-exec-wine}"
WINE_TIMEOUT="${WINE_TIMEOUT:-120}"
root="$WINE_ROOT/root"
debs="$WINE_ROOT/debs"
wine=/usr/lib/wine/wine # Debian's /usr/bin/wine is a sh wrapper (package "wine") exec'ing this
binfmt_magic='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00'
binfmt_mask='\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

# The cases: name|arg|arg... (run as: wine arg arg...). The first creates the prefix.
cases=(
    'hello|cmd|/c|echo|hello'
    'arch|cmd|/c|echo %PROCESSOR_ARCHITECTURE% %NUMBER_OF_PROCESSORS%'
    'reg-query|reg|query|HKLM\Software'
    'exit-status|cmd|/c|exit 7'
    'file-io|cmd|/c|echo some text> C:\t.txt & type C:\t.txt & del C:\t.txt'
    'for-loop|cmd|/c|for /L %i in (1,1,5) do @echo %i'
    'nested-process|cmd|/c|cmd /c echo nested'
    'reg-add|reg|add|HKCU\Software\ElfTest|/v|k|/d|value|/f'
    'reg-readback|reg|query|HKCU\Software\ElfTest|/v|k'
    'ver|cmd|/c|ver'
    'set-processor|cmd|/c|set PROCESSOR'
)

die() { echo "wine-check: $*" >&2; exit 2; }
log() { echo "wine-check: $*" >&2; }

# ---------------------------------------------------------------- inside a namespace
# inner MODE OUTDIR [LOADER]: runs in the new user+mount+pid namespace (pid 1).
inner() {
    local mode=$1 out=$2 loader=${3:-}
    set -e
    mount --make-rprivate /
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/dev/shm"
    mount -t tmpfs tmpfs "$root/tmp"
    local bm="$root/proc/sys/fs/binfmt_misc"
    mount -t binfmt_misc none "$bm"
    # Safety: a new user namespace, and a fresh (empty) instance, or refuse.
    [[ $(readlink /proc/self/ns/user) != "$HOST_USERNS" ]] || { echo "not in a new user namespace" >&2; exit 3; }
    local e
    for e in "$bm"/*; do
        case "${e##*/}" in register | status) ;; *) echo "binfmt_misc instance not private (has ${e##*/})" >&2; exit 3 ;; esac
    done
    if [[ $mode == elf32 ]]; then
        # F: the kernel opens the interpreter now (from the chroot, via its dash, still native).
        /usr/sbin/chroot "$root" /bin/sh -c 'printf "%s\n" "$1" > /proc/sys/fs/binfmt_misc/register' sh \
            ":elf32-exec:M::$binfmt_magic:$binfmt_mask:/usr/local/bin/elf32-exec:F"
        grep -qx enabled "$bm/elf32-exec" || { echo "registration failed" >&2; exit 3; }
    fi
    set +e
    local c i=0 name t0 t1
    for c in "${cases[@]}"; do
        IFS='|' read -ra a <<<"$c"
        name=${a[0]}
        t0=$(date +%s.%N)
        timeout -k 5 "$WINE_TIMEOUT" env -i PATH=/usr/lib/wine:/usr/bin:/bin HOME=/wineh WINEPREFIX=/wineh/.wine \
            WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=' LANG=C \
            /usr/sbin/chroot "$root" "$wine" "${a[@]:1}" >"$out/$name.out" 2>"$out/$name.err" </dev/null
        echo $? >"$out/$name.rc"
        t1=$(date +%s.%N)
        echo "$t0 $t1" | awk '{printf "%.2f\n", $2-$1}' >"$out/$name.time"
        # wineserver -p0 exits with its last client; wait for it so cases do not overlap.
        for i in $(seq 50); do pgrep -f wineserver32 >/dev/null || break; sleep 0.1; done
    done
}

if [[ ${1:-} == __inner ]]; then
    shift
    inner "$@"
    exit $?
fi

# ---------------------------------------------------------------- preparation
apt_i386=(-o APT::Architecture=i386 -o APT::Architectures::=i386 -o APT::Install-Recommends=false
    -o APT::Sandbox::User=root)

prepare() {
    local stamp="$WINE_ROOT/.prepared"
    [[ -e $stamp && -x $root$wine && ${REFRESH:-0} == 0 ]] && return 0
    log "preparing the i386 Wine root in $WINE_ROOT"
    mkdir -p "$debs" || die "cannot create $debs"
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
        dpkg --add-architecture i386 || die "dpkg --add-architecture i386 failed"
    fi
    # A failing index (e.g. a mirror mid-sync for one suite) is not fatal if wine32 is found.
    apt-get update -qq >"$WINE_ROOT/apt-update.log" 2>&1 || log "apt-get update reported errors (see $WINE_ROOT/apt-update.log)"
    apt-cache show wine32:i386 >/dev/null 2>&1 || die "wine32:i386 not available from apt"
    local want=(wine32 libwine dash)
    apt-cache show wine32-preloader:i386 >/dev/null 2>&1 && want+=(wine32-preloader)
    # The closure: what apt would install into an EMPTY i386 system (dpkg status empty),
    # so arch:all and Multi-Arch: foreign dependencies are included, all as i386.
    : >"$WINE_ROOT/empty-status"
    local pkgs
    pkgs=$(apt-get -s "${apt_i386[@]}" -o Dir::State::status="$WINE_ROOT/empty-status" install "${want[@]}" 2>&1 |
        awk '/^Inst /{print $2}') || true
    [[ -n $pkgs ]] || die "could not compute the dependency closure"
    echo "$pkgs" >"$WINE_ROOT/packages.txt"
    rm -f "$debs"/*.deb
    (cd "$debs" && apt-get download -qq "${apt_i386[@]}" -o Dir::State::status="$WINE_ROOT/empty-status" $pkgs) ||
        die "apt-get download failed"
    rm -rf "$root" && mkdir -p "$root"
    local d
    for d in "$debs"/*.deb; do dpkg -x "$d" "$root" || die "dpkg -x $d failed"; done
    # libwine's postinst (read with dpkg-deb -e) makes Wine builtin zlib1.dll from
    # libz-mingw-w64's: the first 64 bytes of the PE (DOS header), then "Wine builtin DLL"
    # and 16 NUL bytes in place of bytes 64..95, then the rest from byte 96 (tail -c +97).
    local ma wa in outd
    for ma in i686 x86_64; do
        wa=$ma; [[ $ma == i686 ]] && wa=i386
        outd="$root/usr/lib/i386-linux-gnu/wine/$wa-windows"
        for in in "$root/usr/$ma-w64-mingw32/lib/"zlib*.dll; do
            [[ -e $in && -d $outd ]] || continue
            { head -c 64 "$in"; printf '%s' 'Wine builtin DLL'; head -c 16 /dev/zero; tail -c +97 "$in"; } >"$outd/${in##*/}"
        done
    done
    [[ -s $root/usr/lib/i386-linux-gnu/wine/i386-windows/zlib1.dll ]] || die "zlib1.dll step failed"
    mkdir -p "$root/proc" "$root/dev" "$root/tmp" "$root/usr/local/bin"
    echo "$(wc -l <"$WINE_ROOT/packages.txt") packages, $(du -sh "$debs" | cut -f1) of .debs" >"$stamp"
    log "prepared: $(cat "$stamp")"
}

# run_side MODE OUTDIR: a fresh prefix, then all cases in a new namespace.
run_side() {
    local mode=$1 out=$2
    rm -rf "$out" "$root/wineh" && mkdir -p "$out" "$root/wineh"
    timeout -k 10 $(( (WINE_TIMEOUT + 10) * ${#cases[@]} + 60 )) \
        unshare --user --map-root-user --mount --pid --fork --kill-child -- \
        env HOST_USERNS="$HOST_USERNS" bash "$script" __inner "$mode" "$out" >"$out/ns.log" 2>&1
    local rc=$?
    ((rc == 0)) || { log "$mode namespace exited $rc:"; sed 's/^/  /' "$out/ns.log" >&2; }
    return $rc
}

main() {
    local prepare_only=0 native_only=0
    while (($#)); do
        case "$1" in
        --prepare-only) prepare_only=1 ;;
        --native-only) native_only=1 ;;
        --refresh) REFRESH=1 ;;
        -h | --help) sed -n '2,19p' "$script" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1" ;;
        esac
        shift
    done
    ((EUID == 0)) || die "needs root (chroot, dpkg, namespaces)"
    export HOST_USERNS WINE_TIMEOUT
    HOST_USERNS=$(readlink /proc/self/ns/user)
    prepare
    ((prepare_only)) && exit 0

    local res="$WINE_ROOT/results"
    run_side native "$res/native" || die "native side failed to run"
    local nrc
    nrc=$(cat "$res/native/hello.rc")
    if [[ $nrc != 0 ]] || ! grep -q '^hello' "$res/native/hello.out"; then
        log "native 'wine cmd /c echo hello' failed (exit $nrc):"; cat "$res/native/hello.out" "$res/native/hello.err" >&2
        exit 2
    fi
    log "native: hello printed; $(for c in "${cases[@]}"; do n=${c%%|*}; printf '%s=%s(%ss) ' "$n" "$(cat "$res/native/$n.rc")" "$(cat "$res/native/$n.time")"; done)"
    ((native_only)) && exit 0

    local loader="${ELF32_EXEC:-}"
    if [[ -z $loader ]]; then
        if [[ -x $here/build.sh ]]; then loader=$("$here/build.sh" | tail -n 1); else loader=/tmp/elf32-exec-current; fi
    fi
    [[ -f $loader ]] || die "elf32-exec binary '$loader' not found (set ELF32_EXEC)"
    install -m 755 "$loader" "$root/usr/local/bin/elf32-exec" || die "cannot copy $loader"
    log "loader: $loader ($(file -b "$loader" | cut -d, -f1-2))"
    run_side elf32 "$res/elf32" || die "elf32-exec side failed to run"

    local pass=0 fail=0 c n f bad
    for c in "${cases[@]}"; do
        n=${c%%|*}; bad=""
        for f in rc out err; do
            cmp -s "$res/native/$n.$f" "$res/elf32/$n.$f" || bad+=" $f"
        done
        if [[ -z $bad ]]; then
            pass=$((pass + 1)); echo "PASS $n ($(cat "$res/native/$n.time")s native, $(cat "$res/elf32/$n.time")s elf32-exec)"
        else
            fail=$((fail + 1)); echo "FAIL $n: differs in$bad (args: ${c#*|})"
            for f in rc out err; do
                cmp -s "$res/native/$n.$f" "$res/elf32/$n.$f" && continue
                diff -u --label "native $n.$f" --label "elf32-exec $n.$f" <(cat -v "$res/native/$n.$f") <(cat -v "$res/elf32/$n.$f") | head -n 40 | sed 's/^/    /'
            done
        fi
    done
    echo "wine: $pass passed, $fail failed"
    ((fail == 0))
}

main "$@"
