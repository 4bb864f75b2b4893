#!/usr/bin/env bash
# Real-software checks: Debian 12 i386 software, natively and through elf32-exec.
#
#   scripts/real-software-check.sh SUITE [--flags FLAGS] [--prepare-only] [--native-only] [--refresh]
#
# SUITE is one of
#   debian  a Debian 12 i386 userland (bash, dash, coreutils, grep/sed/awk, perl,
#           python3, make, sqlite3, tar/gzip/xz, busybox): shebang scripts,
#           perl's $^X, python's multiprocessing and sys.orig_argv, exec -a, a
#           login shell, make -j2, exit statuses and signals
#   wine    Debian 12's 32-bit Wine (wine32, libwine, wine32-preloader)
# Prepares once (cached in $REAL_SOFTWARE_ROOT/SUITE, default
# /var/tmp/elf32-exec-SUITE) an i386 root with the suite's packages and their
# i386 dependency closure (apt-get download + dpkg -x). Then runs the suite's
# commands in that root twice, each side in its own user+mount+pid namespace
# with a PRIVATE binfmt_misc instance (the host's registrations are never read
# or written): natively (empty instance), and with elf32-exec registered for
# i386 ELF with FLAGS (default: scripts/binfmt.sh's default; the registration
# always includes F so that the kernel opens the interpreter outside the
# chroot). Compares stdout, stderr and exit status. Prints "SUITE (flags X):
# N passed, N failed"; exit 0 all passed, 1 differences, 2 set-up or native
# failure. Needs root and Linux >= 6.7.
# Environment: REAL_SOFTWARE_ROOT, ELF32_EXEC (loader binary; default: last
# line of scripts/build.sh's output), CASE_TIMEOUT (seconds per command,
# default 120).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
script="$here/$(basename "$0")"
CASE_TIMEOUT="${CASE_TIMEOUT:-120}"
wine=/usr/lib/wine/wine # Debian's /usr/bin/wine is a sh wrapper (package "wine") exec'ing this

# The cases, a command line each: name, then the argv (joined by \x1f).
cases=()
add_case() { cases+=("$(IFS=$'\x1f'; echo "$*")"); }

# suite_wine / suite_debian: the packages (and those taken where apt has
# them), the environment and the cases.
suite_wine() {
    packages=(wine32 libwine dash)
    optional_packages=(wine32-preloader)
    environment=(PATH=/usr/lib/wine:/usr/bin:/bin HOME=/wineh WINEPREFIX=/wineh/.wine WINEDEBUG=-all
        WINEDLLOVERRIDES='mscoree,mshtml=' LANG=C)
    # The first creates the prefix.
    add_case hello "$wine" cmd /c echo hello
    add_case arch "$wine" cmd /c 'echo %PROCESSOR_ARCHITECTURE% %NUMBER_OF_PROCESSORS%'
    add_case reg-query "$wine" reg query 'HKLM\Software'
    add_case exit-status "$wine" cmd /c 'exit 7'
    add_case file-io "$wine" cmd /c 'echo some text> C:\t.txt & type C:\t.txt & del C:\t.txt'
    add_case for-loop "$wine" cmd /c 'for /L %i in (1,1,5) do @echo %i'
    add_case nested-process "$wine" cmd /c 'cmd /c echo nested'
    add_case reg-add "$wine" reg add 'HKCU\Software\ElfTest' /v k /d value /f
    add_case reg-readback "$wine" reg query 'HKCU\Software\ElfTest' /v k
    add_case ver "$wine" cmd /c ver
    add_case set-processor "$wine" cmd /c 'set PROCESSOR'
}

suite_debian() {
    packages=(bash dash coreutils grep sed gawk perl python3 make sqlite3 tar gzip xz-utils busybox findutils)
    optional_packages=()
    environment=(PATH=/usr/bin:/bin HOME=/tmp LANG=C)
    add_case shebang-sh /bin/sh -c 'printf "#!/bin/sh\necho \"\$0\" \"\$@\"\n" >/tmp/s; chmod +x /tmp/s; /tmp/s a "b c"; cd /tmp && ./s d'
    add_case shebang-argument /bin/sh -c 'printf "#!/usr/bin/perl -w\nprint \"\$0 @ARGV \$^X\\n\";\n" >/tmp/p; chmod +x /tmp/p; /tmp/p x y'
    add_case shebang-nested /bin/sh -c 'printf "#!/bin/sh\necho i1 \"\$@\"\n" >/tmp/i1; printf "#!/tmp/i1 two\n" >/tmp/i2; printf "#!/tmp/i2\n" >/tmp/i3; chmod +x /tmp/i1 /tmp/i2 /tmp/i3; /tmp/i2 z; /tmp/i3 z'
    add_case zcat /bin/sh -c 'echo hello | gzip >/tmp/h.gz; zcat /tmp/h.gz; zgrep -c hello /tmp/h.gz'
    add_case perl-self /usr/bin/perl -e 'system($^X, "-e", "print qq(inner \$^X\n)"); print "outer $^X ", readlink("/proc/self/exe"), "\n"'
    add_case python-multiprocessing /usr/bin/python3 -c 'import multiprocessing as m, sys
if __name__ == "__main__":
    print(m.get_context("spawn").Pool(2).map(abs, [-1, -2, 3]), m.Pool(2).map(abs, [4, -5]))
    print(sys.executable, sys.orig_argv)'
    add_case python-threads /usr/bin/python3 -c 'import threading
ts = [threading.Thread(target=lambda: None) for _ in range(100)]
[t.start() for t in ts]; [t.join() for t in ts]; print(threading.active_count())'
    add_case python-platform /usr/bin/python3 -c 'import os, platform; print(platform.architecture(), os.uname().machine, open("/proc/self/comm").read().strip())'
    add_case exec-a /bin/bash -c 'exec -a NAME /bin/cat /proc/self/cmdline'
    add_case login-shell /bin/bash -c 'exec -a -bash /bin/bash -c "shopt -q login_shell && echo login; echo \$0"'
    add_case make /bin/sh -c 'mkdir -p /tmp/mk && cd /tmp/mk && printf "all: a b\na:\n\t@echo a\nb:\n\t@echo b\n" >Makefile && make -s -j2 | sort'
    add_case sqlite3 /usr/bin/sqlite3 :memory: 'select sqlite_version(), 6*7;'
    add_case tar-xz /bin/sh -c 'cd /tmp && mkdir -p t && echo data >t/f && tar cJf t.tar.xz t && rm -r t && tar xJf t.tar.xz && cat t/f'
    add_case coreutils /bin/sh -c 'seq 1 5 | sort -r | head -n 3 | tr "\n" " "; echo; id -u; readlink /proc/self/exe; ls /proc/self/fd | wc -l; cat /proc/self/comm'
    add_case text-tools /bin/sh -c 'printf "x 1\ny 2\n" | awk "{ s += \$2 } END { print s }"; echo abc | sed s/b/B/; echo abc | grep -c b'
    add_case busybox /bin/busybox sh -c 'echo busybox "$0"; busybox uname -m'
    add_case exit-status /bin/sh -c 'exit 7'
    add_case signal /bin/sh -c 'kill -TERM $$'
    add_case limits /bin/bash -c 'ulimit -s; (ulimit -v 300000; /bin/echo under ulimit -v); (ulimit -s 1024; /bin/echo under ulimit -s)'
}

die() { echo "real-software-check: $*" >&2; exit 2; }
log() { echo "real-software-check: $*" >&2; }

# ---------------------------------------------------------------- inside a namespace
# inner MODE OUTDIR: runs in the new user+mount+pid namespace (pid 1).
inner() {
    local mode=$1 out=$2
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
        /usr/sbin/chroot "$root" /bin/sh -c 'printf "%s\n" "$1" > /proc/sys/fs/binfmt_misc/register' sh "$REGISTRATION"
        grep -qx enabled "$bm/elf32-exec" || { echo "registration failed" >&2; exit 3; }
    fi
    set +e
    local c name t0 t1
    for c in "${cases[@]}"; do
        IFS=$'\x1f' read -rd '' -a a <<<"$c"
        a[-1]=${a[-1]%$'\n'}
        name=${a[0]}
        t0=$(date +%s.%N)
        timeout -k 5 "$CASE_TIMEOUT" env -i "${environment[@]}" \
            /usr/sbin/chroot "$root" "${a[@]:1}" >"$out/$name.out" 2>"$out/$name.err" </dev/null
        echo $? >"$out/$name.rc"
        t1=$(date +%s.%N)
        echo "$t0 $t1" | awk '{printf "%.2f\n", $2-$1}' >"$out/$name.time"
        # wineserver -p0 exits with its last client; wait for it so cases do not overlap
        # ([w]: this namespace's pgrep reads the host's /proc and would match itself).
        for _ in $(seq 50); do pgrep -f '[w]ineserver32' >/dev/null || break; sleep 0.1; done
    done
}

# ---------------------------------------------------------------- preparation
apt_i386=(-o APT::Architecture=i386 -o APT::Architectures::=i386 -o APT::Install-Recommends=false
    -o APT::Sandbox::User=root)

prepare() {
    local stamp="$suite_root/.prepared"
    [[ -e $stamp && ${REFRESH:-0} == 0 ]] && return 0
    log "preparing the i386 $suite root in $suite_root"
    mkdir -p "$debs" || die "cannot create $debs"
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
        dpkg --add-architecture i386 || die "dpkg --add-architecture i386 failed"
    fi
    # A failing index (e.g. a mirror mid-sync for one suite) is not fatal if the packages are found.
    apt-get update -qq >"$suite_root/apt-update.log" 2>&1 || log "apt-get update reported errors (see $suite_root/apt-update.log)"
    apt-cache show "${packages[0]}:i386" >/dev/null 2>&1 || die "${packages[0]}:i386 not available from apt"
    local optional
    for optional in "${optional_packages[@]}"; do
        apt-cache show "$optional:i386" >/dev/null 2>&1 && packages+=("$optional")
    done
    # The closure: what apt would install into an EMPTY i386 system (dpkg status empty),
    # so arch:all and Multi-Arch: foreign dependencies are included, all as i386.
    : >"$suite_root/empty-status"
    local list
    list=$(apt-get -s "${apt_i386[@]}" -o Dir::State::status="$suite_root/empty-status" install "${packages[@]}" 2>&1 |
        awk '/^Inst /{print $2}') || true
    [[ -n $list ]] || die "could not compute the dependency closure"
    echo "$list" >"$suite_root/packages.txt"
    rm -f "$debs"/*.deb
    # shellcheck disable=SC2086  # one package a word
    (cd "$debs" && apt-get download -qq "${apt_i386[@]}" -o Dir::State::status="$suite_root/empty-status" $list) ||
        die "apt-get download failed"
    rm -rf "$root" && mkdir -p "$root"
    local d
    for d in "$debs"/*.deb; do dpkg -x "$d" "$root" || die "dpkg -x $d failed"; done
    [[ -e $root/bin/sh ]] || ln -s dash "$root/bin/sh"
    [[ $suite == wine ]] && wine_builtin_zlib
    mkdir -p "$root/proc" "$root/dev" "$root/tmp" "$root/usr/local/bin"
    echo "$(wc -l <"$suite_root/packages.txt") packages, $(du -sh "$debs" | cut -f1) of .debs" >"$stamp"
    log "prepared: $(cat "$stamp")"
}

# wine_builtin_zlib: libwine's postinst (read with dpkg-deb -e) makes Wine builtin
# zlib1.dll from libz-mingw-w64's: the first 64 bytes of the PE (DOS header), then
# "Wine builtin DLL" and 16 NUL bytes in place of bytes 64..95, then the rest from
# byte 96 (tail -c +97).
wine_builtin_zlib() {
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
}

# run_side MODE OUTDIR: all cases in a new namespace (for wine, a fresh prefix).
run_side() {
    local mode=$1 out=$2
    rm -rf "$out" "$root/wineh" && mkdir -p "$out" "$root/wineh"
    timeout -k 10 $(( (CASE_TIMEOUT + 10) * ${#cases[@]} + 60 )) \
        unshare --user --map-root-user --mount --pid --fork --kill-child -- \
        env HOST_USERNS="$HOST_USERNS" REGISTRATION="$REGISTRATION" \
        bash "$script" __inner "$suite" "$mode" "$out" >"$out/ns.log" 2>&1
    local rc=$?
    ((rc == 0)) || { log "$mode namespace exited $rc:"; sed 's/^/  /' "$out/ns.log" >&2; }
    return $rc
}

# select_suite SUITE: the suite's packages, environment, cases and root.
select_suite() {
    suite=$1
    case "$suite" in
    wine | debian) "suite_$suite" ;;
    *) die "unknown suite '$suite' (wine or debian)" ;;
    esac
    suite_root="${REAL_SOFTWARE_ROOT:-/var/tmp}/elf32-exec-$suite"
    root="$suite_root/root"
    debs="$suite_root/debs"
}

if [[ ${1:-} == __inner ]]; then
    select_suite "$2"
    inner "$3" "$4"
    exit $?
fi

main() {
    local prepare_only=0 native_only=0 flags=""
    [[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,25p' "$script" | sed 's/^# \{0,1\}//'; exit 0; }
    [[ $# -ge 1 ]] || die "usage: $0 SUITE [--flags FLAGS] [--prepare-only] [--native-only] [--refresh]"
    select_suite "$1"
    shift
    while (($#)); do
        case "$1" in
        --flags) flags="${2?--flags needs a value}"; shift ;;
        --prepare-only) prepare_only=1 ;;
        --native-only) native_only=1 ;;
        --refresh) REFRESH=1 ;;
        *) die "unknown option $1" ;;
        esac
        shift
    done
    ((EUID == 0)) || die "needs root (chroot, dpkg, namespaces)"
    export HOST_USERNS CASE_TIMEOUT REGISTRATION=""
    HOST_USERNS=$(readlink /proc/self/ns/user)
    prepare
    ((prepare_only)) && exit 0

    local res="$suite_root/results"
    run_side native "$res/native" || die "native side failed to run"
    local first=${cases[0]%%$'\x1f'*}
    if [[ $(cat "$res/native/$first.rc") != 0 ]]; then
        log "native '$first' failed (exit $(cat "$res/native/$first.rc")):"; cat "$res/native/$first.out" "$res/native/$first.err" >&2
        exit 2
    fi
    ((native_only)) && exit 0

    local loader="${ELF32_EXEC:-}"
    [[ -n $loader ]] || loader=$("$here/build.sh" | tail -n 1)
    [[ -f $loader ]] || die "elf32-exec binary '$loader' not found (set ELF32_EXEC)"
    install -m 755 "$loader" "$root/usr/local/bin/elf32-exec" || die "cannot copy $loader"
    REGISTRATION=$("$here/binfmt.sh" line --interpreter /usr/local/bin/elf32-exec ${flags:+--flags "$flags"})
    flags=${REGISTRATION##*:}
    [[ $flags == *F* ]] || { flags+=F; REGISTRATION+=F; }
    log "loader: $loader; flags $flags"
    run_side elf32 "$res/elf32" || die "elf32-exec side failed to run"

    local pass=0 fail=0 c n f bad
    for c in "${cases[@]}"; do
        n=${c%%$'\x1f'*}; bad=""
        for f in rc out err; do
            cmp -s "$res/native/$n.$f" "$res/elf32/$n.$f" || bad+=" $f"
        done
        if [[ -z $bad ]]; then
            pass=$((pass + 1)); echo "PASS $n ($(cat "$res/native/$n.time")s native, $(cat "$res/elf32/$n.time")s elf32-exec)"
        else
            fail=$((fail + 1)); echo "FAIL $n: differs in$bad"
            for f in rc out err; do
                cmp -s "$res/native/$n.$f" "$res/elf32/$n.$f" && continue
                diff -u --label "native $n.$f" --label "elf32-exec $n.$f" <(cat -v "$res/native/$n.$f") <(cat -v "$res/elf32/$n.$f") | head -n 40 | sed 's/^/    /'
            done
        fi
    done
    echo "$suite (flags $flags): $pass passed, $fail failed"
    ((fail == 0))
}

main "$@"
