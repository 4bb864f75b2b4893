# The differential checks of scripts/kernel-matrix.sh, for busybox sh: each
# i386 program runs natively and under elf32-exec with the same argv (argv[0]
# absolute), environment (env -i, fixed), cwd and descriptors (above 2 closed);
# status, stdout and stderr must be identical. Runs inside a guest (as /init's
# child, root in a throw-away VM) or on the host (KM_MODE=host: binfmt_misc
# only in a private instance, never the host's own).
#
# Environment: KM_ROOT (bin/{static,dynamic,static-pie}, elf32-exec, runas,
# showmaps), KM_MODE (guest|host), KM_QUICK (0|1), KM_TMP (a 1777 directory).
# Prints PASS ID / FAIL ID (+ indented diff) / SKIP ID: REASON / INFO TEXT, then DONE.

R=$KM_ROOT
L=$R/elf32-exec
RUNAS=$R/runas
T=$KM_TMP
SH=$(which sh)  # a path: runas execs without PATH search (command -v says "sh" in busybox ash)
ENVP="LC_ALL=C PATH=/usr/bin:/bin TESTVAR=a_b"
BF=/proc/sys/fs/binfmt_misc
NOBODY=65534
if [ "$KM_QUICK" = 1 ]; then VARIANTS="static"; else VARIANTS="static dynamic static-pie"; fi
n=0

# Closes every descriptor above 2 and execs its arguments (Harness.swift's).
CLOSE='for fd in /proc/self/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec "$@"'

# run OUT CMD...: runs CMD from $T with stdin /dev/null, fixed environment,
# bounded in time; OUT gets "status N", stdout, stderr.
run() {
    out=$1; shift
    (cd "$T" && exec timeout 300 "$SH" -c "$CLOSE" sh env -i LC_ALL=C PATH=/usr/bin:/bin "TESTVAR=a b" "$@") \
        </dev/null >"$out.o" 2>"$out.e"
    st=$?
    { echo "status $st"; echo "--- stdout"; cat "$out.o"; echo "--- stderr"; cat "$out.e"; } >"$out"
    rm -f "$out.o" "$out.e"
}

# verdict ID A B [NOTE]: PASS (with NOTE) when the two result files are identical.
verdict() {
    if cmp -s "$2" "$3"; then echo "PASS $1${4:+ ($4)}"
    else echo "FAIL $1"; diff -u "$2" "$3" | sed 's/^/    /' | head -60; fi
}

# both PREFIX PROGRAM ARGS...: the native run (PREFIX PROGRAM ARGS) into
# $T/n$n, the elf32-exec run (PREFIX elf32-exec [LOPTS] PROGRAM ARGS) into
# $T/l$n; LOPTS from the environment.
both() {
    prefix=$1; shift
    n=$((n + 1))
    run "$T/n$n" $prefix "$@"
    run "$T/l$n" $prefix "$L" $LOPTS "$@"
}

# settle ID [NOTE]: the verdict on the pair `both` made, which it then removes.
settle() {
    verdict "$1" "$T/n$n" "$T/l$n" "${2:-}"
    rm -f "$T/n$n" "$T/l$n"
}

# same ID PREFIX PROGRAM ARGS...: native against elf32-exec, identical.
same() {
    id=$1; shift
    both "$@"
    settle "$id"
}

info() { echo "INFO $*"; }

# entry_regs ID PROGRAM ARGS...: as `same`, except for the one difference this
# kernel's ia32 rt_sigreturn forces (README, Kernels): where it turns a null
# selector into 3 (the nullsel probe, natively), the program under elf32-exec
# starts with FS=GS=3; every other register must still be identical.
entry_regs() {
    id=$1; shift
    both "" "$@"
    note=""
    if [ "$NULL_SELECTOR" = 3 ] && grep -qx 'FS=0x00000003' "$T/l$n" && grep -qx 'GS=0x00000003' "$T/l$n"; then
        sed -i 's/^\([FG]S\)=0x00000003$/\1=0x00000000/' "$T/l$n"
        note="expected here: FS=GS=3, this kernel's sigreturn ORs RPL 3 into null selectors"
    fi
    settle "$id" "$note"
}

# --- the kernel
info "kernel $(uname -r) ($(uname -v))"
[ -r /proc/sys/abi/vsyscall32 ] && info "abi.vsyscall32=$(cat /proc/sys/abi/vsyscall32)"
if [ -e /proc/sys/fs/binfmt_misc/register ] || [ "$KM_MODE" = guest ]; then :; fi

# No native run is trusted while an enabled binfmt_misc entry claims i386 ELF.
if [ -d $BF ] && [ "$KM_MODE" = host ]; then
    for e in $BF/*; do
        case ${e##*/} in register|status) continue ;; esac
        if grep -qx enabled "$e" 2>/dev/null && grep -q '^magic 7f454c460101010' "$e"; then
            echo "SKIP all: host binfmt_misc entry ${e##*/} sends i386 programs through an interpreter; native runs would not be native"
            echo DONE; exit 0
        fi
    done
fi
run "$T/probe" "$R/static/exit_status" 42
if ! grep -qx 'status 42' "$T/probe"; then
    echo "FAIL native-i386: this kernel does not run i386 programs (IA32 emulation off?)"; sed 's/^/    /' "$T/probe"
    echo DONE; exit 0
fi

# What this kernel's ia32 rt_sigreturn makes of a null FS (natively).
NULL_SELECTOR=$("$R/nullsel" 2>/dev/null | sed -n 's/^null selector after sigreturn: //p')
info "ia32 sigreturn keeps a null selector as ${NULL_SELECTOR:-?}"

# --- what a native i386 process sees here, and a loaded one (informational)
run "$T/mapsn" "$R/showmaps"; run "$T/mapsl" "$L" "$R/showmaps"
sed -n 's/^\(........-........ ....\) ........ ..:.. [0-9]* *\(.*\)$/\1 \2/p; s/^auxv/auxv/p' "$T/mapsn" | sed "s|$R/||; s/^/INFO native: /"
sed -n 's/^\(........-........ ....\) ........ ..:.. [0-9]* *\(.*\)$/\1 \2/p; s/^\([0-9a-f]\{16\}-[0-9a-f]\{16\} ....\) [0-9a-f]* ..:.. [0-9]* *\(.*\)$/\1 \2/p; s/^auxv/auxv/p' "$T/mapsl" | sed "s|$R/||; s/^/INFO loaded: /"

# The stack's VmFlags: identical, but for the soft-dirty flag (sd), which
# every mmap'd mapping gets where the kernel tracks it and only the stack
# execve builds has not (README, Kernels): expected under elf32-exec.
stack_flags() { sed -n 's/^[0-9a-f-]* rw-p [0-9a-f]* ..:.. 0 *\[stack\] *\[\(.*\)\]$/\1/p' "$1" | tr -s ' '; }
native_stack=$(stack_flags "$T/mapsn"); loaded_stack=$(stack_flags "$T/mapsl")
if [ -n "$native_stack" ] && [ "$native_stack" = "$(echo "$loaded_stack" | sed 's/ sd / /')" ]; then
    case $loaded_stack in *" sd "*) echo "PASS stack-vmflags (expected here: sd, soft-dirty on the mmap'd stack)" ;; *) echo "PASS stack-vmflags" ;; esac
else
    echo "FAIL stack-vmflags"; echo "    native: [$native_stack]"; echo "    loaded: [$loaded_stack]"
fi

# --- every program, every variant, as in DifferentialTests/NativeIdentityTests
for v in $VARIANTS; do
    B=$R/$v
    if [ "$KM_QUICK" = 1 ]; then
        same $v/args_env "" $B/args_env "hello world" "" 'quote"back\slash' "$(printf 'tab\there')" "ünï" --verbose
        same $v/exit_status-42 "" $B/exit_status 42
        same $v/auxv "" $B/auxv a "b c"
        same $v/identity "" $B/identity a "b c"
        same $v/reexec "" $B/reexec
        continue
    fi
    same $v/args_env "" $B/args_env "hello world" "" 'quote"back\slash' "$(printf 'tab\there')" "ünï" --verbose
    for a in 0 42 255 "3 _exit" 256; do same "$v/exit_status-$(echo $a | tr ' ' _)" "" $B/exit_status $a; done
    same $v/auxv "" $B/auxv a "b c"
    [ $v != dynamic ] && entry_regs $v/entry_regs $B/entry_regs a b
    for p in signals threads processes epoll_socketpair fpu abort hygiene brk_stack memory reexec dl; do
        same $v/$p "" $B/$p
    done
    same $v/files "" $B/files "$T"
    same $v/identity "" $B/identity a "b c"
done

if [ "$KM_QUICK" != 1 ]; then
    # --no-vdso: int $0x80 only, the same behaviour
    LOPTS=--no-vdso
    for p in signals threads processes fpu hygiene; do same static/$p--no-vdso "" $R/static/$p; done
    LOPTS=
    run "$T/nv" "$L" --no-vdso "$R/static/auxv"
    if grep -qx 'status 0' "$T/nv" && ! grep -q AT_SYSINFO "$T/nv"; then echo "PASS static/auxv--no-vdso"
    else echo "FAIL static/auxv--no-vdso"; sed 's/^/    /' "$T/nv"; fi
fi

# --- as an unprivileged user (uid/gid 65534, no groups). Not identity: without
# CAP_CHECKPOINT_RESTORE /proc/self/exe names elf32-exec (README, documented).
if [ "$(id -u)" != 0 ]; then
    echo "SKIP unprivileged: not root, cannot drop to uid $NOBODY"
else
    if [ "$KM_QUICK" = 1 ]; then UP="reexec args_env"; else UP="args_env auxv reexec hygiene processes memory"; fi
    for v in $VARIANTS; do for p in $UP; do
        case $p in auxv) same unprivileged/$v/$p "$RUNAS $NOBODY $NOBODY" $R/$v/$p a "b c" ;;
                   *) same unprivileged/$v/$p "$RUNAS $NOBODY $NOBODY" $R/$v/$p ;; esac
    done; done
fi

# --- binfmt_misc: elf32-exec registered for i386 ELF, programs exec'd directly
MAGIC='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00'
MASK='\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
CMDS='./args_env a "b c"
./args_env x | cat
./auxv a | grep -E "^AT_(FLAGS|EXECFN|SECURE|EUID)|SOME CHECKS"
./identity a "b c"
./launch ./args_env launched
./launch ./identity launched | grep -E "exe|comm"
./exit_status 7; echo "exit status $?"'
[ "$KM_QUICK" = 1 ] && CMDS='./args_env a "b c"
./auxv a | grep -E "^AT_(FLAGS|EXECFN|SECURE|EUID)|SOME CHECKS"
./launch ./identity launched | grep -E "exe|comm"
./exit_status 7; echo "exit status $?"'

# The script that one binfmt run executes: $1 flags ("-" = register nothing),
# $2 directory, $3 commands; $4 "private" mounts a private instance first.
bfscript() {
    s='set -e'
    [ "$4" = private ] && s="$s; mount -t binfmt_misc binfmt_misc $BF"
    [ "$1" != - ] && s="$s; printf '%s' ':elf32-exec:M::$MAGIC:$MASK:$L:$1' >$BF/register"
    printf '%s\n' "$s; set +e; cd '$2'" "$3"
}
unregister() { [ -e $BF/elf32-exec ] && echo -1 >$BF/elf32-exec; }

# bf ID MODE FLAGS DIR CMDS [PREFIX]: the commands with FLAGS registered
# against the same commands with nothing registered. MODE global|private.
bf() {
    id=$1 mode=$2 flags=$3 dir=$4 cmds=$5 prefix=$6
    n=$((n + 1))
    if [ $mode = private ]; then
        run "$T/n$n" busybox unshare -r -m "$SH" -c "$(bfscript - "$dir" "$cmds" private)"
        run "$T/l$n" busybox unshare -r -m "$SH" -c "$(bfscript "$flags" "$dir" "$cmds" private)"
    else
        run "$T/n$n" $prefix "$SH" -c "$(bfscript - "$dir" "$cmds")"
        if ! printf '%s' ":elf32-exec:M::$MAGIC:$MASK:$L:$flags" >$BF/register; then
            echo "FAIL $id: registering failed"; return
        fi
        run "$T/l$n" $prefix "$SH" -c "$(bfscript - "$dir" "$cmds")"
        unregister
    fi
    verdict "$id" "$T/n$n" "$T/l$n"
}

if [ "$KM_QUICK" = 1 ]; then FLAGSETS="F POCF"; else FLAGSETS="none P F PF OC POCF"; fi
GLOBAL=no
if [ "$KM_MODE" = guest ]; then
    [ -e $BF/register ] || mount -t binfmt_misc binfmt_misc $BF 2>/dev/null
    if [ -e $BF/register ]; then GLOBAL=yes; else echo "SKIP binfmt: binfmt_misc cannot be mounted in the guest"; fi
fi

# Whether this kernel tells an interpreter that P preserved argv[0]
# (AT_FLAGS): probed with the auxv program as the interpreter of a made-up
# format. Without it no interpreter can tell [interpreter, program, argv0, ...]
# from [interpreter, program, args...], and flag sets with P are skipped.
P_VISIBLE=yes
if [ $GLOBAL = yes ]; then
    printf 'KMPROBE\n' >$T/pprobe && chmod 755 $T/pprobe
    printf '%s' ":kmprobe:M::KMPROBE::$R/static/auxv:P" >$BF/register
    $T/pprobe 2>/dev/null | grep -qx 'AT_FLAGS=0x1' || P_VISIBLE=no
    echo -1 >$BF/kmprobe
    info "binfmt_misc P visible to the interpreter (AT_FLAGS): $P_VISIBLE"
fi
# flags_ok ID FLAGS: false, with a SKIP line, when FLAGS need what this kernel lacks.
flags_ok() {
    case $2 in *P*) if [ $P_VISIBLE = no ]; then
        echo "SKIP $1: this kernel does not pass binfmt_misc's P to the interpreter (AT_FLAGS, Linux 5.12+); no interpreter can honour P here"
        return 1; fi ;;
    esac
}

if [ $GLOBAL = yes ]; then
    unregister
    for f in $FLAGSETS; do [ $f = none ] && f=
        flags_ok "binfmt[$f]" "$f" || continue
        for v in $VARIANTS; do bf "binfmt[${f:-none}]/$v" global "$f" $R/$v "$CMDS"; done
    done
    # Proof that registered runs go through elf32-exec: the kernel knows no sysroot.
    mkdir -p $T/sysroot/lib && cp /lib/ld-linux.so.2 $T/sysroot/lib/ld-linux.so.2
    for f in "" POCF; do
        flags_ok "binfmt[$f]/through-elf32-exec" "$f" || continue
        printf '%s' ":elf32-exec:M::$MAGIC:$MASK:$L:$f" >$BF/register
        run "$T/sr" "$SH" -c "cd $R/dynamic && SHOW_INTERP=1 ELF32_EXEC_SYSROOT=$T/sysroot ./dl | grep 'interpreter mapped from'"
        unregister
        if grep -qx "interpreter mapped from: $T/sysroot/lib/ld-linux.so.2" "$T/sr"; then echo "PASS binfmt[${f:-none}]/through-elf32-exec"
        else echo "FAIL binfmt[${f:-none}]/through-elf32-exec"; sed 's/^/    /' "$T/sr"; fi
    done
    if [ "$(id -u)" = 0 ]; then
        # unprivileged through the entry
        UCMDS='./args_env a "b c"
./reexec
./auxv a | grep -E "^AT_(FLAGS|EXECFN|SECURE|EUID|UID)|SOME CHECKS"'
        for f in F POCF; do flags_ok "binfmt[$f]/unprivileged" $f || continue; for v in $VARIANTS; do
            bf "binfmt[$f]/unprivileged/$v" global $f $R/$v "$UCMDS" "$RUNAS $NOBODY $NOBODY"
        done; done
        # a setuid-root program run by uid 65534: C takes its credentials
        mkdir -p $T/suid && chmod 755 $T/suid && cp $R/static/auxv $T/suid/setuid-auxv && chown 0:0 $T/suid/setuid-auxv && chmod 4755 $T/suid/setuid-auxv
        SC="$T/suid/setuid-auxv | grep -E '^AT_(EUID|SECURE)='"
        run "$T/sn" $RUNAS $NOBODY $NOBODY "$SH" -c "$SC"
        printf 'status 0\n--- stdout\nAT_EUID=0x0\nAT_SECURE=0x1\n--- stderr\n' >$T/sx
        verdict "setuid/native" $T/sx $T/sn
        for f in OC POCF "" PF; do
            flags_ok "binfmt[$f]/setuid" "$f" || continue
            printf '%s' ":elf32-exec:M::$MAGIC:$MASK:$L:$f" >$BF/register
            run "$T/sl" $RUNAS $NOBODY $NOBODY "$SH" -c "$SC"
            unregister
            case $f in *C*) want=$T/sn ;; *) printf 'status 0\n--- stdout\nAT_EUID=0xfffe\nAT_SECURE=0x0\n--- stderr\n' >$T/sw; want=$T/sw ;; esac
            if ! verdict "binfmt[${f:-none}]/setuid" "$want" "$T/sl" | tee $T/sv | grep -q ^PASS; then
                printf '%s' ":elf32-exec:M::$MAGIC:$MASK:$L:$f" >$BF/register
                run "$T/sd" $RUNAS $NOBODY $NOBODY "$SH" -c "$T/suid/setuid-auxv >/dev/null; echo \$?"
                unregister
                sed 's/^/    without the pipe: /' $T/sd >>$T/sv
            fi
            cat $T/sv
        done
    fi
fi
# A private instance (user + mount namespace): Linux >= 6.7 only.
if busybox unshare -r -m "$SH" -c "mount -t binfmt_misc binfmt_misc $BF && test -e $BF/register" >$T/pe 2>&1; then
    if [ $GLOBAL = yes ]; then PF="POCF"; else PF=$FLAGSETS; fi
    for f in $PF; do [ $f = none ] && f=
        for v in $VARIANTS; do bf "binfmt-private[${f:-none}]/$v" private "$f" $R/$v "$CMDS"; done
    done
    [ $GLOBAL = no ] && echo "SKIP binfmt/unprivileged, binfmt/setuid: on the host only a private instance is used, whose user namespace maps root alone"
else
    echo "SKIP binfmt-private: no private binfmt_misc instance in a user namespace on $(uname -r) (needs Linux >= 6.7): $(tr '\n' ' ' <$T/pe)"
fi
echo DONE
