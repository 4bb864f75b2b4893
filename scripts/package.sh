#!/usr/bin/env bash
# Builds the Debian package elf32-exec_VERSION_amd64.deb from the release
# build, with dpkg-deb; prints the .deb's path as the last line.
#
#   scripts/package.sh [--output DIR] [--lintian]
#
# The binary comes from scripts/build.sh (the last line it prints), or from
# ELF32_EXEC_BINARY=PATH, which skips the build. VERSION is what
# `elf32-exec --version` prints; the binfmt_misc registration line is
# `scripts/binfmt.sh line` for /usr/bin/elf32-exec (its default flags), and
# binfmt-support's format file is made from that line. DIR defaults to
# .build-package/. --lintian runs lintian on the result (errors fail).
# File times are SOURCE_DATE_EPOCH, by default the last commit's time.
#
# Contents: /usr/bin/elf32-exec, /usr/lib/binfmt.d/elf32-exec.conf,
# /usr/share/binfmts/elf32-exec, /usr/share/man/man1/elf32-exec.1.gz,
# /usr/share/doc/elf32-exec/{copyright,changelog.Debian.gz,README.md},
# /usr/libexec/elf32-exec/binfmt.sh (scripts/binfmt.sh, which the maintainer
# scripts ask for other i386 handlers); maintainer scripts in packaging/.
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packaging="$root/packaging"

die() { echo "package: $*" >&2; exit 1; }

output="$root/.build-package" lint=0
while (($#)); do
    case "$1" in
    --output) output="${2:?--output needs a directory}"; shift 2 ;;
    --lintian) lint=1; shift ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
done
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (Debian: dpkg)"

# The binary and its version.
if [[ -n ${ELF32_EXEC_BINARY:-} ]]; then
    binary="$ELF32_EXEC_BINARY"
else
    binary="$("$root/scripts/build.sh" | tail -n 1)" || die "scripts/build.sh failed"
fi
[[ -f $binary && -x $binary ]] || die "no executable elf32-exec at '$binary'"
# An x86-64 ELF executable: class 2, little-endian, e_machine 62.
[[ $(od -An -tx1 -j4 -N2 "$binary" | tr -d ' \n') == 0201 && $(od -An -tu2 -j18 -N2 "$binary" | tr -d ' ') == 62 ]] ||
    die "$binary is not an x86-64 ELF executable"
version_line="$("$binary" --version)" || die "$binary --version failed"
[[ $version_line =~ ^elf32-exec\ ([0-9][A-Za-z0-9.+~-]*)$ ]] ||
    die "'$binary --version' printed '$version_line', not 'elf32-exec VERSION'"
version="${BASH_REMATCH[1]}"
deb_name="elf32-exec_${version}_amd64.deb"

# The registration line, from binfmt.sh, and its fields.
interpreter=/usr/bin/elf32-exec
line="$("$root/scripts/binfmt.sh" line --interpreter "$interpreter")"
delimiter="${line:0:1}"
IFS="$delimiter" read -r -a fields <<<"${line:1}"
entry_name="${fields[0]}" entry_type="${fields[1]}" offset="${fields[2]:-0}"
magic="${fields[3]}" mask="${fields[4]}" flags="${fields[6]:-}"
[[ $entry_name == elf32-exec && $entry_type == M && ${fields[5]} == "$interpreter" ]] ||
    die "unexpected registration line from scripts/binfmt.sh: $line"
# binfmt-support knows C (with O), P and F, not O alone.
if [[ $flags == *O* && $flags != *C* ]]; then
    die "flags '$flags': binfmt-support's format cannot say O without C"
fi
yes_no() { if [[ $flags == *"$1"* ]]; then echo yes; else echo no; fi; }

# fill TEMPLATE KEY=VALUE...: the template with each @KEY@ replaced.
fill() {
    local text pair
    text="$(<"$1")"
    shift
    for pair in "$@"; do text="${text//"@${pair%%=*}@"/"${pair#*=}"}"; done
    [[ $text != *@[A-Z_]*@* ]] || die "unfilled placeholder in $1"
    printf '%s\n' "$text"
}

epoch="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH="$epoch"

mkdir -p "$output"
output="$(cd "$output" && pwd)"
stage="$output/stage"
rm -rf "$stage"
umask 022
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/lib/binfmt.d" "$stage/usr/libexec/elf32-exec" \
    "$stage/usr/share/binfmts" "$stage/usr/share/man/man1" "$stage/usr/share/doc/elf32-exec"

# The binary, stripped as dh_strip strips (it must still run).
install -m 755 "$binary" "$stage/usr/bin/elf32-exec"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$stage/usr/bin/elf32-exec" 2>/dev/null ||
    die "strip failed on $binary"
[[ $("$stage/usr/bin/elf32-exec" --version) == "$version_line" ]] || die "the stripped binary does not run"

printf '%s\n' "$line" >"$stage/usr/lib/binfmt.d/elf32-exec.conf"
fill "$packaging/binfmts.in" INTERPRETER="$interpreter" MAGIC="$magic" OFFSET="$offset" MASK="$mask" \
    CREDENTIALS="$(yes_no C)" PRESERVE="$(yes_no P)" FIX_BINARY="$(yes_no F)" >"$stage/usr/share/binfmts/elf32-exec"
sed '1s|^#!/usr/bin/env bash$|#!/bin/bash|' "$root/scripts/binfmt.sh" >"$stage/usr/libexec/elf32-exec/binfmt.sh"
chmod 755 "$stage/usr/libexec/elf32-exec/binfmt.sh"

# The manual page, with the version on its .Os line.
sed "s/^\.Os elf32-exec\$/.Os elf32-exec $version/" "$root/docs/elf32-exec.1" |
    gzip -9n >"$stage/usr/share/man/man1/elf32-exec.1.gz"

# The documentation. The changelog: packaging/changelog's entries up to this
# version; without one for it, a generated entry on top.
doc="$stage/usr/share/doc/elf32-exec"
install -m 644 "$packaging/copyright" "$doc/copyright"
install -m 644 "$root/README.md" "$doc/README.md"
maintainer="$(sed -n 's/^Maintainer: //p' "$packaging/control.in")"
{
    entry_version() { sed -n '1s/^elf32-exec (\([^)]*\)).*/\1/p' <<<"$1"; }
    top="$(head -n 1 "$packaging/changelog")"
    if [[ $(entry_version "$top") != "$version" ]]; then
        commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
        printf 'elf32-exec (%s) unstable; urgency=medium\n\n  * Packaged from commit %s; packaging/changelog has no entry for %s.\n\n -- %s  %s\n\n' \
            "$version" "$commit" "$version" "$maintainer" "$(LC_ALL=C date -u -R -d "@$epoch")"
    fi
    # Entries start at an unindented "elf32-exec (VERSION)" line; keep those not newer.
    keep=1
    while IFS= read -r text || [[ -n $text ]]; do
        if [[ $text == "elf32-exec ("* ]]; then
            entry="$(entry_version "$text")"
            if dpkg --compare-versions "$entry" gt "$version"; then keep=0; else keep=1; fi
        fi
        if ((keep)); then printf '%s\n' "$text"; fi
    done <"$packaging/changelog"
} | gzip -9n >"$doc/changelog.Debian.gz"

# Control files.
for script in postinst prerm postrm; do install -m 755 "$packaging/$script" "$stage/DEBIAN/$script"; done
if [[ -f $packaging/lintian-overrides ]]; then
    mkdir -p "$stage/usr/share/lintian/overrides"
    install -m 644 "$packaging/lintian-overrides" "$stage/usr/share/lintian/overrides/elf32-exec"
fi
installed_size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
fill "$packaging/control.in" VERSION="$version" INSTALLED_SIZE="$installed_size" >"$stage/DEBIAN/control"
(cd "$stage" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$stage/DEBIAN/md5sums"
chmod 644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
find "$stage" -type d -exec chmod 755 {} +
find "$stage" -exec touch -h -d "@$epoch" {} +

rm -f "$output/$deb_name"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$output/$deb_name" >&2
rm -rf "$stage"

if ((lint)); then
    command -v lintian >/dev/null || die "lintian is missing (Debian: lintian)"
    lintian --fail-on error --info "$output/$deb_name" >&2 || die "lintian reports errors"
fi
echo "$output/$deb_name"
