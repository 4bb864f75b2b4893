#!/usr/bin/env bash
# Registers elf32-exec as the binfmt_misc interpreter for i386 ELF programs
# (ET_EXEC and ET_DYN), so that ./prog runs through it.
#
#   scripts/binfmt.sh install   [--interpreter PATH] [--flags FLAGS] [--force] [--no-persist]
#   scripts/binfmt.sh uninstall [--no-persist]
#   scripts/binfmt.sh status
#
# install writes the entry to /proc/sys/fs/binfmt_misc/register (mounting
# binfmt_misc there if needed) and, unless --no-persist, the same line to
# /etc/binfmt.d/elf32-exec.conf for systemd-binfmt at boot. FLAGS are
# binfmt_misc's: P (preserve argv[0]), O (pass the program open), C
# (credentials from the program: setuid applies; implies O), F (open the
# interpreter now: works in chroots and containers). Default: F.
# It refuses when not root, or when another entry already handles i386 ELF
# (qemu-user registers one), unless --force.
set -euo pipefail

name=elf32-exec
binfmt=/proc/sys/fs/binfmt_misc
persist_file=/etc/binfmt.d/$name.conf
# ELF, 32-bit, little-endian, version 1, any ABI; e_type ET_EXEC or ET_DYN
# (the mask clears bit 0 of 2/3); e_machine EM_386.
magic='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00'
mask='\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

die() { echo "binfmt: $*" >&2; exit 1; }

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

# entry_line INTERPRETER FLAGS: the registration line.
entry_line() { echo ":$name:M::$magic:$mask:$1:$2"; }

# ensure_mounted: binfmt_misc must be mounted at /proc/sys/fs/binfmt_misc.
ensure_mounted() {
    [[ -e $binfmt/register ]] && return
    mount -t binfmt_misc binfmt_misc "$binfmt" || die "cannot mount binfmt_misc at $binfmt"
}

# i386_handlers: the enabled entries other than ours whose magic matches i386 ELF.
i386_handlers() {
    local entry
    for entry in "$binfmt"/*; do
        case "${entry##*/}" in register | status | "$name") continue ;; esac
        if grep -qx enabled "$entry" && grep -q '^magic 7f454c4601010100000000000000000002000300' "$entry"; then
            echo "${entry##*/}"
        fi
    done
}

install() {
    local interpreter="" flags=F force=0 persist=1
    while (($#)); do
        case "$1" in
        --interpreter) interpreter="$2"; shift 2 ;;
        --flags) flags="$2"; shift 2 ;;
        --force) force=1; shift ;;
        --no-persist) persist=0; shift ;;
        *) die "unknown option $1 (see --help)" ;;
        esac
    done
    [[ $flags =~ ^[POCF]*$ ]] || die "flags must be letters from POCF, not '$flags'"
    if [[ -z $interpreter ]]; then
        interpreter="$(command -v elf32-exec || true)"
        [[ -n $interpreter ]] || die "elf32-exec is not on PATH; install it or pass --interpreter PATH"
    fi
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
-h | --help | "") usage ;;
*) die "unknown command '$1' (see --help)" ;;
esac
