#!/usr/bin/env bash
# Registers elf32-exec as the binfmt_misc interpreter for i386 ELF programs
# (ET_EXEC and ET_DYN), so that ./prog runs through it.
#
#   scripts/binfmt.sh install   [--interpreter PATH] [--flags FLAGS] [--no-capability] [--force] [--no-persist]
#   scripts/binfmt.sh uninstall [--no-persist]
#   scripts/binfmt.sh status
#   scripts/binfmt.sh line [--interpreter PATH] [--flags FLAGS]
#   scripts/binfmt.sh i386-handlers [--all]
#
# install writes the entry to /proc/sys/fs/binfmt_misc/register (mounting
# binfmt_misc there if needed) and, unless --no-persist, the same line to
# /etc/binfmt.d/elf32-exec.conf for systemd-binfmt at boot. It refuses when
# not root, or when another entry already handles i386 ELF (qemu-user
# registers one), unless --force. It gives the interpreter the
# cap_checkpoint_restore file capability (setcap; --no-capability leaves the
# file alone): without it an unprivileged user's program sees elf32-exec as
# /proc/self/exe (perl's $^X, start-stop-daemon --exec break). The loader
# uses it for one call, prctl(PR_SET_MM_MAP) with the program's descriptor,
# and drops it before the program's first instruction.
#
# FLAGS are binfmt_misc's: P (preserve argv[0]), O (pass the program open),
# C (credentials from the program: setuid applies; implies O), F (open the
# interpreter now: works in chroots and containers). Default: PF. Without P
# the kernel replaces argv[0] by the program's path (/proc/self/cmdline,
# `exec -a NAME` and login shells lose it). C is a trade-off left out of the
# default: setuid i386 programs then get their privileges, but the loader
# runs with the program's credentials, so its file capability does not apply
# and /proc/self/exe names elf32-exec for unprivileged users. Use POCF to
# run setuid i386 programs.
#
# line prints the registration line install would write (the package's
# /usr/lib/binfmt.d/elf32-exec.conf is made from it). i386-handlers prints
# the enabled binfmt_misc entries that match i386 ELF, other than
# elf32-exec's own unless --all (any of them makes an i386 ./prog run
# through an interpreter).
set -euo pipefail
# setcap and getcap live in sbin, which a caller's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

name=elf32-exec
binfmt=/proc/sys/fs/binfmt_misc
persist_file=/etc/binfmt.d/$name.conf
# The flags install and line use when --flags is not given.
default_flags=PF
# ELF, 32-bit, little-endian, version 1, any ABI; e_type ET_EXEC or ET_DYN
# (the mask clears bit 0 of 2/3); e_machine EM_386.
magic='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00'
mask='\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

die() { echo "binfmt: $*" >&2; exit 1; }

usage() { sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; }

# entry_line INTERPRETER FLAGS: the registration line.
entry_line() { echo ":$name:M::$magic:$mask:$1:$2"; }

# ensure_mounted: binfmt_misc must be mounted at /proc/sys/fs/binfmt_misc.
ensure_mounted() {
    [[ -e $binfmt/register ]] && return
    mount -t binfmt_misc binfmt_misc "$binfmt" || die "cannot mount binfmt_misc at $binfmt"
}

# i386_handlers [--all]: the enabled entries (other than ours, unless --all)
# whose magic is i386 ELF: ELF, 32-bit, little-endian (7f454c460101) with
# e_machine EM_386 (bytes 18-19, 0300), whatever e_type; qemu-arm's entry
# differs in e_machine. Nothing when binfmt_misc is not mounted or is
# disabled as a whole (its status file says so).
i386_handlers() {
    local entry magic all=0
    case "${1:-}" in --all) all=1 ;; "") ;; *) die "unknown option $1 (see --help)" ;; esac
    grep -qsx enabled "$binfmt/status" || return 0
    for entry in "$binfmt"/*; do
        [[ -f $entry ]] || continue
        case "${entry##*/}" in register | status) continue ;; esac
        ((all)) || [[ ${entry##*/} != "$name" ]] || continue
        grep -qsx enabled "$entry" || continue
        magic="$(sed -n 's/^magic //p' "$entry" 2>/dev/null)"
        if [[ ${magic:0:12} == 7f454c460101 && ${magic:36:4} == 0300 ]]; then
            echo "${entry##*/}"
        fi
    done
}

# give_capability INTERPRETER: the file capability that lets the loader name
# the program as /proc/self/exe; a warning, not a failure, when it cannot.
give_capability() {
    if command -v setcap >/dev/null && setcap cap_checkpoint_restore+ep "$1"; then
        echo "binfmt: gave $1 the cap_checkpoint_restore file capability"
    else
        echo "binfmt: warning: could not give $1 cap_checkpoint_restore (setcap: libcap2-bin);" \
            "/proc/self/exe of a program will name elf32-exec unless it runs as root" >&2
    fi
}

# has_capability FILE: whether FILE carries cap_checkpoint_restore.
has_capability() { getcap "$1" 2>/dev/null | grep -q cap_checkpoint_restore; }

# check_flags FLAGS: dies unless FLAGS are binfmt_misc's letters.
check_flags() { [[ $1 =~ ^[POCF]*$ ]] || die "flags must be letters from POCF, not '$1'"; }

# installed_interpreter: elf32-exec on PATH, symlinks resolved.
installed_interpreter() {
    local found
    found="$(command -v elf32-exec || true)"
    [[ -n $found ]] || die "elf32-exec is not on PATH; install it or pass --interpreter PATH"
    readlink -f "$found"
}

# line: the registration line, for an interpreter path given as is (it need
# not exist here: the package builds it for /usr/bin/elf32-exec).
line() {
    local interpreter="" flags=$default_flags
    while (($#)); do
        case "$1" in
        --interpreter) interpreter="${2:?--interpreter needs a path}"; shift 2 ;;
        --flags) flags="${2?--flags needs a value}"; shift 2 ;;
        *) die "unknown option $1 (see --help)" ;;
        esac
    done
    check_flags "$flags"
    [[ -n $interpreter ]] || interpreter="$(installed_interpreter)"
    [[ $interpreter == /* ]] || die "the interpreter must be an absolute path, not '$interpreter'"
    [[ $interpreter != *:* ]] || die "the interpreter path must not contain ':'"
    entry_line "$interpreter" "$flags"
}

# kernel_passes_preserve_argv0: whether binfmt_misc tells the interpreter that
# P preserved argv[0] (AT_FLAGS, Linux 5.12). Before, no interpreter can tell
# [interpreter, program, argv0, args...] from [interpreter, program, args...];
# scripts/kernel-matrix/checks.sh probes the same thing in its guests.
kernel_passes_preserve_argv0() {
    local release major minor
    release="$(uname -r)"; major=${release%%.*}; minor=${release#*.}; minor=${minor%%.*}
    ((major > 5 || (major == 5 && minor >= 12)))
}

install() {
    local interpreter="" flags=$default_flags force=0 persist=1 capability=1
    while (($#)); do
        case "$1" in
        --interpreter) interpreter="$2"; shift 2 ;;
        --flags) flags="$2"; shift 2 ;;
        --no-capability) capability=0; shift ;;
        --force) force=1; shift ;;
        --no-persist) persist=0; shift ;;
        *) die "unknown option $1 (see --help)" ;;
        esac
    done
    check_flags "$flags"
    if [[ $flags == *P* ]] && ! kernel_passes_preserve_argv0; then
        flags=${flags//P/}
        echo "binfmt: Linux $(uname -r) does not pass P to interpreters (5.12 does): registering with flags ${flags:-none}" >&2
    fi
    [[ -n $interpreter ]] || interpreter="$(installed_interpreter)"
    interpreter="$(readlink -f "$interpreter")"
    [[ -x $interpreter ]] || die "$interpreter is not executable"
    ((EUID == 0)) || die "registering needs root (binfmt_misc is written by root)"
    ensure_mounted
    local others
    others="$(i386_handlers | tr '\n' ' ')"
    if [[ -n $others ]]; then
        ((force)) || die "i386 ELF is already handled by: $others(--force registers elf32-exec anyway, ahead of them)"
        for entry in $others; do echo 0 >"$binfmt/$entry"; echo "binfmt: disabled $entry"; done
    fi
    ((capability)) && give_capability "$interpreter"
    [[ -e $binfmt/$name ]] && echo -1 >"$binfmt/$name"
    entry_line "$interpreter" "$flags" >"$binfmt/register"
    echo "binfmt: registered $interpreter for i386 ELF (flags: ${flags:-none})"
    if ((persist)); then
        mkdir -p "${persist_file%/*}"
        entry_line "$interpreter" "$flags" >"$persist_file"
        echo "binfmt: wrote $persist_file"
    fi
}

uninstall() {
    local persist=1
    [[ ${1:-} == --no-persist ]] && persist=0
    ((EUID == 0)) || die "unregistering needs root"
    if [[ -e $binfmt/$name ]]; then
        echo -1 >"$binfmt/$name"
        echo "binfmt: unregistered $name"
    else
        echo "binfmt: $name was not registered"
    fi
    if ((persist)) && [[ -e $persist_file ]]; then
        rm -f "$persist_file"
        echo "binfmt: removed $persist_file"
    fi
}

status() {
    if [[ ! -e $binfmt/register ]]; then
        echo "binfmt_misc is not mounted at $binfmt"
    elif [[ -e $binfmt/$name ]]; then
        echo "$name:"; sed 's/^/  /' "$binfmt/$name"
        local interpreter
        interpreter="$(sed -n 's/^interpreter //p' "$binfmt/$name")"
        if ! command -v getcap >/dev/null; then
            echo "  (getcap is missing, Debian: libcap2-bin: cannot tell whether $interpreter has cap_checkpoint_restore)"
        elif has_capability "$interpreter"; then
            echo "  $interpreter has cap_checkpoint_restore: programs see themselves as /proc/self/exe"
        else
            echo "  $interpreter has no cap_checkpoint_restore: /proc/self/exe names elf32-exec for users other than root"
        fi
    else
        echo "$name is not registered"
    fi
    local others
    others="$(i386_handlers 2>/dev/null | tr '\n' ' ')"
    [[ -z $others ]] || echo "other i386 ELF handlers: $others"
    [[ ! -e $persist_file ]] || echo "persistent entry: $persist_file"
}

case "${1:-}" in
install) shift; install "$@" ;;
uninstall) shift; uninstall "$@" ;;
status) status ;;
line) shift; line "$@" ;;
i386-handlers) shift; i386_handlers "$@" ;;
-h | --help | "") usage ;;
*) die "unknown command '$1' (see --help)" ;;
esac
