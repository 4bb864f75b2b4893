#!/usr/bin/env bash
# Runs the differential checks (scripts/kernel-matrix/checks.sh) on other
# kernels: downloads Debian kernel packages, boots each under qemu-system-x86_64
# (KVM where it works, else TCG) with a generated initramfs (static busybox,
# binfmt_misc.ko if modular, the static elf32-exec, the i386 test programs and
# the i386 glibc), and prints one summary line per kernel plus what differed.
#
#   scripts/kernel-matrix.sh [--quick] [--timeout SECONDS] [KERNEL...]
#
# KERNEL: a version with a Debian suite (6.1 bookworm, 5.10 bullseye,
# 6.12 bookworm-backports, 4.19 buster), a linux-image-... package name
# (looked up in those suites), a path to a linux-image .deb, or `host` (the
# checks on this machine's kernel, binfmt_misc only in a private instance).
# Default: 6.1 5.10 host. --quick: a few programs, static only, on 6.1
# (or the kernels given). The loader: $ELF32_EXEC, else the last line of
# scripts/build.sh, else /tmp/elf32-exec-current. Caches go to
# $KERNEL_MATRIX_CACHE (default /var/tmp/elf32-exec-kernels); the host's
# binfmt_misc and apt configuration are never touched. Exit status 0 when
# every kernel ran with 0 failed. Installs (apt-get) qemu-system-x86,
# busybox-static, cpio, musl-tools, gcc-multilib, zstd, xz-utils when missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$root/scripts/kernel-matrix"
cache="${KERNEL_MATRIX_CACHE:-/var/tmp/elf32-exec-kernels}"
quick=0 timeout="" kernels=()
while (($#)); do
    case "$1" in
    --quick) quick=1; shift ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "kernel-matrix: unknown option $1" >&2; exit 2 ;;
    *) kernels+=("$1"); shift ;;
    esac
done
((${#kernels[@]})) || { if ((quick)); then kernels=(6.1); else kernels=(6.1 5.10 host); fi; }
[[ -n $timeout ]] || { if ((quick)); then timeout=420; else timeout=2400; fi; }
say() { echo "kernel-matrix: $*" >&2; }

# --- what this script needs
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[[ -x /bin/busybox ]] && /bin/busybox --list | grep -qx unshare || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v musl-gcc >/dev/null || need+=(musl-tools)
[[ -e /usr/lib32/libc.so.6 || -e /lib32/libc.so.6 ]] || need+=(gcc-multilib)
command -v zstd >/dev/null || need+=(zstd)
command -v xz >/dev/null || need+=(xz-utils)
if ((${#need[@]})); then
    say "installing ${need[*]}"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
mkdir -p "$cache"/{debs,kernels,apt}

# --- the loader and the programs
loader="${ELF32_EXEC:-}"
if [[ -z $loader && -x $root/scripts/build.sh ]]; then loader="$("$root/scripts/build.sh" | tail -n 1)" || loader=""; fi
[[ -n $loader ]] || loader=/tmp/elf32-exec-current
[[ -x $loader ]] || { say "no loader at $loader (set ELF32_EXEC)"; exit 2; }
if readelf -l "$loader" 2>/dev/null | grep -q 'Requesting program interpreter'; then
    say "$loader is dynamically linked; the guest needs a static elf32-exec"; exit 2
fi
say "loader: $loader ($(readelf -h "$loader" | awk '/Type:/{print $2}'), $(stat -c %s "$loader") bytes)"
bash "$root/scripts/build-testdata.sh" >&2
musl-gcc -static -O1 -o "$cache/runas" "$here/runas.c"
gcc -m32 -static -O1 -o "$cache/showmaps" "$here/showmaps.c"
gcc -m32 -static -O1 -o "$cache/nullsel" "$here/nullsel.c"

# stage DIR: the tree the checks run from (/m in a guest).
stage() {
    rm -rf "$1"; mkdir -p "$1"
    cp -a "$root/testdata/build/static" "$root/testdata/build/dynamic" "$root/testdata/build/static-pie" "$1/"
    install -m 755 "$loader" "$1/elf32-exec"
    install -m 755 "$cache/runas" "$cache/showmaps" "$cache/nullsel" "$1/"
    install -m 644 "$here/checks.sh" "$1/"
    chmod -R a+rX "$1"
}

# --- Debian suites through a private apt state (the machine's own stays untouched)
mirror="$(awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 !~ /security/) {print u; exit} }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
[[ -n $mirror ]] || mirror="$(awk '$1=="deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)"
apt_suite() { # SUITE ARGS...: apt-get/apt-cache ($2) with the suite's own lists
    local suite=$1 tool=$2; shift 2
    local d="$cache/apt/$suite"
    "$tool" -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$d" -o Dir::State::Lists="$d/lists" \
        -o Dir::Cache="$d/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root "$@"
}
suite_ready() { # SUITE: lists fetched at most a day ago
    local suite=$1 d="$cache/apt/$1"
    [[ -n $(find "$d/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1) ]] && return 0
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$mirror" "$suite" >"$d/suite.sources"
    apt_suite "$suite" apt-get -qq update >"$d/update.log" 2>&1 && ! grep -q '^E:' "$d/update.log"
}
suite_of() { case $1 in 6.1) echo bookworm ;; 5.10) echo bullseye ;; 6.12) echo bookworm-backports ;; 4.19) echo buster ;; *) return 1 ;; esac; }

# fetch_deb KERNEL: prints the path of the linux-image .deb, or fails saying why.
fetch_deb() {
    local k=$1 suite pkg
    if [[ $k == *.deb ]]; then readlink -f "$k"; return; fi
    if [[ $k == linux-image-* ]]; then
        for suite in bookworm bullseye bookworm-backports; do
            suite_ready "$suite" && apt_suite "$suite" apt-cache show "$k" >/dev/null 2>&1 && break
            suite=""
        done
        [[ -n $suite ]] || { say "$k: in none of the suites"; return 1; }
        pkg=$k
    else
        suite="$(suite_of "$k")" || { say "$k: no suite known for this version"; return 1; }
        suite_ready "$suite" || { say "$k: suite $suite is not served here ($(grep -m1 '^E:' "$cache/apt/$suite/update.log"))"; return 1; }
        pkg="$(apt_suite "$suite" apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')"
        [[ -n $pkg ]] || { say "$k: no linux-image-amd64 in $suite"; return 1; }
    fi
    local ver; ver="$(apt_suite "$suite" apt-cache show "$pkg" | awk '/^Version:/{print $2; exit}')"
    local file; file="$(ls "$cache/debs/${pkg}_"*"$(echo "${ver#*:}" | sed 's/+/%2b/g;s/~/%7e/g')"* "$cache/debs/${pkg}_${ver#*:}_amd64.deb" 2>/dev/null | head -1 || true)"
    if [[ -z $file ]]; then
        (cd "$cache/debs" && apt_suite "$suite" apt-get -qq download "$pkg" >&2) || { say "$pkg: download failed"; return 1; }
        file="$(ls -t "$cache/debs/${pkg}_"*.deb | head -1)"
    fi
    say "$k: $pkg $ver from $suite"
    echo "$file"
}

# --- the guest
# initramfs DEB_DIR OUT: /init, busybox, /m (the stage), i386 glibc, binfmt_misc.ko.
initramfs() {
    local kdir=$1 out=$2 ir="$cache/initramfs-tree"
    rm -rf "$ir"; mkdir -p "$ir"/{bin,sbin,usr/bin,usr/sbin,usr/lib32,lib,proc,sys,dev,tmp,etc,m}
    cp /bin/busybox "$ir/bin/busybox"
    ln -s lib32 "$ir/usr/lib"   # nothing 64-bit lives here
    ln -s usr/lib32 "$ir/lib32"
    ln -s /lib32/ld-linux.so.2 "$ir/lib/ld-linux.so.2"
    # the i386 glibc and libgcc_s as gcc-multilib installs them (shared objects only)
    local f
    for f in $(dpkg -L libc6-i386 lib32gcc-s1 2>/dev/null | grep -E '/lib32/[^/]+\.so(\.[0-9]+)*$'); do
        [[ -e $f ]] && cp -a "$f" "$ir/usr/lib32/"
    done
    stage "$ir/m"
    local ko; ko="$(find "$kdir/lib/modules" -name 'binfmt_misc.ko*' 2>/dev/null | head -1 || true)"
    case $ko in
    *.ko.xz) xz -dc "$ko" >"$ir/m/binfmt_misc.ko" ;;
    *.ko.zst) zstd -qdc "$ko" >"$ir/m/binfmt_misc.ko" ;;
    *.ko) cp "$ko" "$ir/m/binfmt_misc.ko" ;;
    esac
    cp "$here/init" "$ir/init"; chmod 755 "$ir/init"
    echo "root:x:0:0::/:/bin/sh" >"$ir/etc/passwd"; echo "nobody:x:65534:65534::/:/bin/sh" >>"$ir/etc/passwd"
    (cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
}

kvm_ok=""
# boot KERNEL_NAME DEB: runs the guest, leaves its results in $work/results.
boot() {
    local name=$1 deb=$2 kdir
    kdir="$cache/kernels/$(basename "$2" .deb)"
    [[ -d $kdir/boot ]] || { rm -rf "$kdir"; mkdir -p "$kdir"; dpkg-deb -x "$deb" "$kdir"; }
    local vmlinuz config; vmlinuz="$(ls "$kdir"/boot/vmlinuz-* | head -1)"; config="$(ls "$kdir"/boot/config-* | head -1)"
    local append="console=ttyS0 quiet panic=-1 km_quick=$quick"
    grep -q '^CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y' "$config" && append+=" ia32_emulation=1"
    grep -q '^CONFIG_IA32_EMULATION=y' "$config" || say "$name: CONFIG_IA32_EMULATION is off"
    say "$name: binfmt_misc $(grep -q '^CONFIG_BINFMT_MISC=y' "$config" && echo built in || echo module)"
    initramfs "$kdir" "$work/initrd.gz"
    # shellcheck disable=SC2054  # -cpu takes one comma-separated argument
    local accel=(-accel tcg -cpu max,smap=off) t0=$SECONDS
    if [[ -z $kvm_ok && -w /dev/kvm ]]; then
        # KVM where it works: this machine's nested kvm may refuse -cpu host at once.
        if timeout 15 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults -display none -no-reboot \
            -kernel "$vmlinuz" -append "panic=-1 console=ttyS0" -serial file:"$work/kvm.log" >"$work/kvm.err" 2>&1 \
            || grep -q 'Kernel panic' "$work/kvm.log"; then kvm_ok=yes; else kvm_ok=no; fi
        say "KVM: $kvm_ok$( [[ $kvm_ok == no ]] && echo " ($(head -c 200 "$work/kvm.err" | tr '\n' ' ')), using TCG")"
    fi
    [[ $kvm_ok == yes ]] && accel=(-accel kvm -cpu host)
    : >"$work/results"
    timeout "$timeout" qemu-system-x86_64 "${accel[@]}" -smp 2 -m 3072 -nodefaults -display none -no-reboot \
        -kernel "$vmlinuz" -initrd "$work/initrd.gz" -append "$append" \
        -serial file:"$work/console.log" -serial file:"$work/results" >"$work/qemu.err" 2>&1 || true
    tr -d '\r' <"$work/results" >"$work/results.txt"; mv "$work/results.txt" "$work/results"
    say "$name: guest ran $((SECONDS - t0)) s (${accel[1]})"
}

# host: the checks on this kernel, from a staged copy uid 65534 can read.
host_run() {
    local m="$cache/host-root"; stage "$m"
    # The checks' scratch directory: uid 65534 writes there too; removed
    # even when the run is interrupted.
    host_tmp="$(mktemp -d -t kernel-matrix.XXXXXX)"; chmod 1777 "$host_tmp"
    trap 'rm -rf "$host_tmp"' EXIT
    local bb="$cache/busybox-bin"; rm -rf "$bb"; mkdir -p "$bb"; /bin/busybox --install -s "$bb"
    PATH="$bb" KM_ROOT="$m" KM_MODE=host KM_QUICK=$quick KM_TMP="$host_tmp" /bin/busybox sh "$m/checks.sh" >"$work/results" 2>&1 || true
    rm -rf "$host_tmp"; trap - EXIT
}

status=0 summaries=()
for k in "${kernels[@]}"; do
    work="$cache/run-$(echo "$k" | tr '/' _)"; rm -rf "$work"; mkdir -p "$work"
    t0=$SECONDS
    if [[ $k == host ]]; then
        host_run; name="$(uname -r) (host)"
    else
        deb="$(fetch_deb "$k")" || { summaries+=("$k: not run (see above)"); status=1; continue; }
        name="$(basename "$deb" .deb | sed 's/^linux-image-//; s/_amd64$//')"
        boot "$name" "$deb"
    fi
    pass=$(grep -c '^PASS ' "$work/results" || true); fail=$(grep -c '^FAIL ' "$work/results" || true)
    skip=$(grep -c '^SKIP ' "$work/results" || true)
    if ! grep -qx DONE "$work/results"; then
        fail=$((fail + 1)); echo "== $name: the checks did not finish (timeout ${timeout}s?); last console lines:"
        tail -n 15 "$work/console.log" 2>/dev/null | sed 's/^/    /'; tail -n 3 "$work/results" | sed 's/^/    /'
    fi
    echo "== $name ($((SECONDS - t0)) s; full log $work/results)"
    grep '^INFO ' "$work/results" | sed 's/^INFO /  note: /' | grep -v 'note: \(native\|loaded\): ' || true
    grep -E '^INFO (native|loaded): ' "$work/results" | grep -E 'vvar|vdso|vsyscall|stack|auxv' | sed 's/^INFO /  maps /' || true
    grep '^SKIP ' "$work/results" | sed 's/^/  /' || true
    awk '/^FAIL /{p=1; print "  " $0; next} /^(PASS|SKIP|INFO|DONE)/{p=0} p' "$work/results" || true
    line="$name: $pass passed, $fail failed"; ((skip)) && line+=", $skip skipped"
    summaries+=("$line"); ((fail == 0)) || status=1
done
echo
printf '%s\n' "${summaries[@]}"
exit $status
