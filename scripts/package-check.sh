#!/usr/bin/env bash
# Installs the elf32-exec package in a throw-away root, checks what the
# maintainer scripts did, runs i386 programs through the registration, and
# removes and purges the package again, checking that nothing stays.
#
#   scripts/package-check.sh [--root host|debian12] [--deb FILE] [--variants "V..."] [--cache DIR]
#
# --root host (the default): the root is this machine's /usr, /etc and /var
#   under an overlay, so the package sees this system's dpkg database,
#   binfmt-support and systemd; it takes seconds.
# --root debian12: a clean Debian 12 (minbase, libc6-i386, libcap2-bin) made
#   with debootstrap, cached in DIR (.build-package/debian12-root) and used under an
#   overlay; needs root and Debian's package registry the first time
#   (minutes), seconds after.
# Variants: own (no update-binfmts nor systemd: the postinst registers by
# itself, mounting binfmt_misc), systemd (systemd-binfmt), binfmt-support
# (update-binfmts), conflict-entry and conflict-file (another package's i386
# handler is there, as a binfmt_misc entry or a binfmt.d file: the package
# must refuse, then register after the user chooses). Variants the root
# cannot run are skipped, saying so.
#
# Needs root and user namespaces. Every variant runs in a new user (root
# mapped to root), mount and PID namespace with a private
# binfmt_misc instance (Linux >= 6.7): the host's registrations and files are
# never touched. The .deb defaults to a fresh scripts/package.sh build; the
# i386 programs are testdata's (built if missing). Exit status: 0 all checks
# passed, 77 this machine cannot run the check (the reason is printed), 1 a
# check failed. PACKAGE_CHECK_VERBOSE=1 shows every variant's log.
# The --inside half gets its settings in the environment and calls its checks through check().
# shellcheck disable=SC2153,SC2317,SC2016,SC2001
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# chroot, debootstrap and update-binfmts live in sbin, which a caller's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

die() { echo "package-check: $*" >&2; exit 1; }
cannot() { echo "package-check: cannot run here: $*" >&2; exit 77; }

# ---------------------------------------------------------------- inside
# Runs as root of a new user namespace: builds the root, runs one variant.
if [[ ${1:-} == --inside ]]; then
    variant="$2"
    [[ $(readlink /proc/self/ns/user) != "$HOST_USERNS" ]] || die "refusing: not in a new user namespace"
    work="$WORK"
    mount -t tmpfs tmpfs "$work"
    r="$work/root"
    mkdir -p "$r" "$work/layers"
    overlay() { # overlay LOWER TARGET NAME
        mkdir -p "$work/layers/$3/upper" "$work/layers/$3/work" "$2"
        mount -t overlay overlay -o "userxattr,lowerdir=$1,upperdir=$work/layers/$3/upper,workdir=$work/layers/$3/work" "$2" ||
            cannot "no overlay of $1 in a user namespace"
    }
    if [[ $ROOT_KIND == host ]]; then
        for d in usr etc var; do overlay "/$d" "$r/$d" "$d"; done
        for l in bin sbin lib lib32 lib64 libx32; do
            if [[ -L /$l ]]; then ln -s "$(readlink "/$l")" "$r/$l"; fi
        done
    else
        overlay "$LOWER" "$r" root
    fi
    mkdir -p "$r/proc" "$r/dev" "$r/tmp" "$r/run" "$r/root"
    mount -t proc proc "$r/proc"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs tmpfs "$r/tmp"
    mount -t tmpfs tmpfs "$r/run"
    binfmt_path=/proc/sys/fs/binfmt_misc
    binfmt="$r$binfmt_path"
    mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null ||
        cannot "no private binfmt_misc instance in a user namespace (Linux >= 6.7 has one)"
    [[ $(ls "$binfmt") == $'register\nstatus' ]] || die "the new binfmt_misc instance is not empty"

    # What the root gets: the package, the programs, a sysroot with its ld.so.
    cp "$DEB" "$r/tmp/elf32-exec.deb"
    mkdir -p "$r/tmp/prog" "$r/tmp/sysroot/lib"
    cp "$PROGRAMS/static/args_env" "$PROGRAMS/static/exit_status" "$PROGRAMS/dynamic/dl" "$r/tmp/prog/"
    ld_so="$(chroot "$r" readlink -f /lib/ld-linux.so.2)" || die "the root has no i386 ld.so (/lib/ld-linux.so.2)"
    cp "$r$ld_so" "$r/tmp/sysroot/lib/ld-linux.so.2"

    has_update_binfmts=0 has_systemd_binfmt=0
    if [[ -x $r/usr/sbin/update-binfmts ]]; then has_update_binfmts=1; fi
    if [[ -x $r/lib/systemd/systemd-binfmt ]]; then has_systemd_binfmt=1; fi
    hide_update_binfmts() { rm -f "$r/usr/sbin/update-binfmts"; }
    case "$variant" in
    own) hide_update_binfmts; umount "$binfmt" ;;
    systemd)
        ((has_systemd_binfmt)) || { echo "skipped: the root has no systemd-binfmt"; exit 0; }
        hide_update_binfmts
        mkdir -p "$r/run/systemd/system"
        ;;
    binfmt-support) ((has_update_binfmts)) || { echo "skipped: the root has no update-binfmts (binfmt-support)"; exit 0; } ;;
    conflict-entry) ;; # registered after the native runs below
    conflict-file)
        mkdir -p "$r/etc/binfmt.d"
        echo "$QEMU_LINE" >"$r/etc/binfmt.d/qemu-i386.conf"
        ;;
    *) die "unknown variant $variant" ;;
    esac

    in_root() {
        chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME=/root DEBIAN_FRONTEND=noninteractive \
            /bin/bash -c "$1"
    }
    log="$work/log"
    step() { echo "# $1" >>"$log"; }
    check() { # check WHAT COMMAND...: runs COMMAND, fails the variant unless it succeeds
        local what="$1"; shift
        if ! "$@" >>"$log" 2>&1; then
            echo "FAILED: $what"; cat "$log"; exit 1
        fi
    }
    equal() { [[ $1 == "$2" ]] || { printf 'expected: %s\nactual:   %s\n' "$2" "$1"; return 1; }; }
    # The run every check compares: the same three programs, natively now.
    programs='cd /tmp/prog; ./args_env a "b c"; ./exit_status 7; echo "exit $?"; SHOW_INTERP=1 ELF32_EXEC_SYSROOT=/tmp/sysroot ./dl | grep "interpreter mapped from"'
    native="$(in_root "$programs")"
    [[ $native == *"exit 7"* && $native != *"/tmp/sysroot"* ]] || die "the native runs before installing failed: $native"
    through_elf32_exec="${native/"interpreter mapped from: $ld_so"/"interpreter mapped from: /tmp/sysroot/lib/ld-linux.so.2"}"
    # The entry as the kernel shows it: from binfmt.sh's line.
    # (as a set of letters: the kernel orders them its own way; C implies O).
    letters() { { grep -o . <<<"$1" || true; } | sort -u | tr -d '\n'; }
    expected_flags="$EXPECTED_FLAGS"
    if [[ $expected_flags == *C* ]]; then expected_flags+=O; fi
    expected_flags="$(letters "$expected_flags")"
    entry_flags() { letters "$(sed -n 's/^flags: *//p' "$binfmt/elf32-exec")"; }
    registered_as_built() {
        grep -qx enabled "$binfmt/elf32-exec" &&
            grep -qx "interpreter /usr/bin/elf32-exec" "$binfmt/elf32-exec" &&
            grep -qx "magic $EXPECTED_MAGIC" "$binfmt/elf32-exec" &&
            grep -qx "mask $EXPECTED_MASK" "$binfmt/elf32-exec" &&
            equal "$(entry_flags)" "$expected_flags"
    }
    runs_through_elf32_exec() { equal "$(in_root "$programs")" "$through_elf32_exec"; }
    runs_natively() { equal "$(in_root "$programs")" "$native"; }
    nothing_registered() { equal "$(ls "$binfmt")" $'register\nstatus'; }

    if [[ $variant == conflict-entry ]]; then echo "$QEMU_LINE" >"$binfmt/register"; fi

    step "dpkg -i"
    check "dpkg -i" in_root 'dpkg -i /tmp/elf32-exec.deb'
    case "$variant" in
    conflict-*)
        check "the package says why it did not register" grep -q "not registered for i386 ELF: another handler" "$log"
        check "... and names the other handler" grep -q "qemu-i386 (" "$log"
        check "... and says how to choose" grep -q "dpkg-reconfigure elf32-exec" "$log"
        check "elf32-exec is not registered" test ! -e "$binfmt/elf32-exec"
        check "systemd-binfmt will not register it either" equal "$(readlink "$r/etc/binfmt.d/elf32-exec.conf")" /dev/null
        if [[ $variant == conflict-entry ]]; then
            check "the other handler is left enabled" grep -qx enabled "$binfmt/qemu-i386"
            step "the user chooses elf32-exec"
            echo -1 >"$binfmt/qemu-i386"
        else
            step "the user chooses elf32-exec"
            rm "$r/etc/binfmt.d/qemu-i386.conf"
        fi
        check "dpkg-reconfigure elf32-exec" in_root 'dpkg-reconfigure elf32-exec'
        check "the mask is gone" test ! -e "$r/etc/binfmt.d/elf32-exec.conf"
        ;;
    esac
    # How the postinst registered: the first of these the root has.
    how="$binfmt_path/register"
    if [[ -x $r/usr/sbin/update-binfmts ]]; then how=update-binfmts
    elif [[ $variant == systemd ]]; then how=systemd-binfmt; fi
    check "registered through $how" grep -q "registered /usr/bin/elf32-exec for i386 ELF with binfmt_misc through $how " "$log"
    check "the binfmt_misc entry is the one binfmt.sh makes" registered_as_built
    check "postinst set cap_checkpoint_restore" in_root 'getcap /usr/bin/elf32-exec | grep -q "cap_checkpoint_restore=ep"'
    check "i386 programs run through elf32-exec" runs_through_elf32_exec
    check "the packaged binfmt.sh sees no other i386 handler" equal "$(in_root '/usr/libexec/elf32-exec/binfmt.sh i386-handlers')" ""
    if [[ $variant == binfmt-support ]]; then
        check "update-binfmts --display elf32-exec" in_root 'update-binfmts --display elf32-exec | grep -q "interpreter = /usr/bin/elf32-exec"'
    fi
    if [[ $variant == own ]]; then
        check "the man page renders without warnings" in_root 'test -z "$(man --warnings -l /usr/share/man/man1/elf32-exec.1.gz 2>&1 >/dev/null)"'
    fi

    step "dpkg -i again (an upgrade: prerm unregisters, postinst registers the new binary)"
    check "reinstall" in_root 'dpkg -i /tmp/elf32-exec.deb'
    check "registered after the reinstall" registered_as_built
    check "i386 programs run through elf32-exec after the reinstall" runs_through_elf32_exec

    step "dpkg -r"
    check "dpkg -r" in_root 'dpkg -r elf32-exec'
    check "nothing is registered after removal" nothing_registered
    check "i386 programs run natively again" runs_natively
    check "binfmt-support's database has no elf32-exec" test ! -e "$r/var/lib/binfmts/elf32-exec"
    step "dpkg -P"
    check "dpkg -P" in_root 'dpkg -P elf32-exec'
    check "dpkg knows the package no more" in_root '! dpkg-query -W -f="\${db:Status-Abbrev}" elf32-exec 2>/dev/null | grep -q "^[a-z]i"'
    check "nothing is registered after purging" nothing_registered
    # Everything the root got is in the overlays' upper layers: no file of
    # the package may remain there (dpkg's log and man-db's index aside,
    # which only mention it).
    leftovers="$(cd "$work/layers" && find . -name '*elf32-exec*' ! -path '*/tmp/*' | sort)"
    check "no file of the package is left" equal "$leftovers" ""
    if [[ -n ${PACKAGE_CHECK_VERBOSE:-} ]]; then cat "$log"; fi
    echo "ok"
    exit 0
fi

# ---------------------------------------------------------------- outside
root_kind=host deb="" variants="" cache="$root/.build-package/debian12-root"
while (($#)); do
    case "$1" in
    --root) root_kind="${2:?}"; shift 2 ;;
    --deb) deb="${2:?}"; shift 2 ;;
    --variants) variants="${2:?}"; shift 2 ;;
    --cache) cache="${2:?}"; shift 2 ;;
    -h | --help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
done
[[ $root_kind == host || $root_kind == debian12 ]] || die "--root is host or debian12, not '$root_kind'"
[[ $(uname -m) == x86_64 ]] || cannot "not an x86-64 machine"
command -v unshare >/dev/null || cannot "unshare is missing (Debian: util-linux)"
# The namespace maps root to root: the root's files (this machine's, or the
# debootstrap'd ones) are root's, and another user could not write them.
((EUID == 0)) || cannot "needs root (the throw-away root's files are root's; nothing outside the namespaces is changed)"

if [[ -z $deb ]]; then deb="$("$root/scripts/package.sh" | tail -n 1)"; fi
[[ -f $deb ]] || die "no package at '$deb'"
deb="$(readlink -f "$deb")"
programs="$root/testdata/build"
if [[ ! -x $programs/static/args_env || ! -x $programs/static/exit_status || ! -x $programs/dynamic/dl ]]; then
    "$root/scripts/build-testdata.sh" >/dev/null
fi

# apt_mirror: the first Debian mirror in this machine's apt sources, if any.
apt_mirror() {
    {
        sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' /etc/apt/sources.list 2>/dev/null || true
    } | awk '{print $1}' | grep -v -- '-security' | head -n 1 || true
}

lower=""
if [[ $root_kind == debian12 ]]; then
    lower="$(readlink -m "$cache")"
    if [[ ! -x $lower/usr/bin/dpkg ]]; then
        ((EUID == 0)) || cannot "debootstrap needs root"
        command -v debootstrap >/dev/null || cannot "debootstrap is missing (Debian: debootstrap)"
        # The mirror this machine's apt uses (DEBIAN_MIRROR overrides), else debootstrap's own.
        mirror="${DEBIAN_MIRROR:-$(apt_mirror)}"
        echo "package-check: debootstrap bookworm into $lower (mirror: ${mirror:-the default of debootstrap}); this takes minutes" >&2
        rm -rf "$lower.partial"
        mkdir -p "$(dirname "$lower")"
        # shellcheck disable=SC2086
        debootstrap --variant=minbase --include=libc6-i386,libcap2-bin,man-db bookworm "$lower.partial" $mirror >&2 ||
            cannot "debootstrap failed (is Debian's package registry reachable?)"
        rm -rf "$lower.partial/var/cache/apt/archives/"*.deb
        mv "$lower.partial" "$lower"
    fi
fi

# The registration line the package must have made, from binfmt.sh itself.
line="$("$root/scripts/binfmt.sh" line --interpreter /usr/bin/elf32-exec)"
IFS="${line:0:1}" read -r -a fields <<<"${line:1}"
hex() { printf '%b' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# Another package's i386 entry (qemu-user's qemu-i386, as qemu-binfmt-conf.sh writes it).
qemu_line=":qemu-i386:M::${fields[3]}:${fields[4]}:/usr/libexec/qemu-binfmt/i386-binfmt-P:P"

[[ -n $variants ]] || variants="own systemd binfmt-support conflict-entry conflict-file"
failed=0
# Each variant mounts a tmpfs over this directory in its own mount
# namespace: on the host it stays empty.
work="$(mktemp -d -t elf32-exec-package-check.XXXXXX)"
trap 'rmdir "$work" 2>/dev/null || true' EXIT
for variant in $variants; do
    set +e
    result="$(HOST_USERNS="$(readlink /proc/self/ns/user)" ROOT_KIND=$root_kind LOWER="$lower" DEB="$deb" \
        PACKAGE_CHECK_VERBOSE="${PACKAGE_CHECK_VERBOSE:-}" PROGRAMS="$programs" WORK="$work" QEMU_LINE="$qemu_line" EXPECTED_FLAGS="${fields[6]:-}" \
        EXPECTED_MAGIC="$(hex "${fields[3]}")" EXPECTED_MASK="$(hex "${fields[4]}")" \
        unshare --user --map-root-user --mount --pid --fork --kill-child "$root/scripts/package-check.sh" --inside "$variant" 2>&1)"
    status=$?
    set -e
    ((status != 77)) || cannot "${result##*cannot run here: }"
    if ((status == 0)); then
        if [[ -n ${PACKAGE_CHECK_VERBOSE:-} ]]; then sed 's/^/    /' <<<"$result"; fi
        echo "package-check: $root_kind root, $variant: ${result##*$'\n'}"
    else
        echo "package-check: $root_kind root, $variant: FAILED" >&2
        sed 's/^/    /' <<<"$result" >&2
        failed=1
    fi
done
((failed == 0)) || exit 1
echo "package-check: all passed ($root_kind root)"
