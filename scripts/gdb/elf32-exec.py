# gdb support for i386 programs that binfmt_misc runs through elf32-exec.
#
# Natively, gdb's `run` stops at the program's exec, reads the target
# description (gdb asks the kernel for CS: 0x23 means i386), the auxiliary
# vector and the link map, and sets its breakpoints. Through elf32-exec that
# exec is the loader's, a 64-bit process (CS 0x33) whose auxv and memory are
# the loader's: gdb warns "Selected architecture i386 is not compatible with
# reported target architecture i386:x86-64", relocates the program by the
# loader's AT_ENTRY, cannot insert breakpoints in memory that is not mapped
# yet, and backtraces are all `?? ()`.
#
# This extension makes `run` and `start` work as natively. When the program
# gdb is about to run is an i386 ELF that an enabled binfmt_misc entry sends
# to elf32-exec (hooks on run and start):
#   1. the symbol file is set aside and a plain i386 target description is
#      used while the loader runs, so that gdb sets nothing in the loader and
#      does not warn;
#   2. at the first resume, the extension (gdb's own thread, the tracer) runs
#      the loader with PTRACE_SYSCALL up to its last munmap (nothing of it is
#      left above 4 GiB), then single-steps the trampoline to the first
#      32-bit instruction (CS 0x23) and, when the trampoline ends through the
#      vDSO, on past the system call that unmaps its page (and the
#      rt_sigreturn, when there is one): ld.so's or the program's entry,
#      before any of the program's instructions ran;
#   3. a temporary internal breakpoint there stops gdb once; its commands
#      re-read the target description (now i386), reload the symbols,
#      invalidate the auxv cache and re-run the shared-library set-up (the
#      program's AT_ENTRY, AT_BASE and link map), re-enable the user's
#      breakpoints and continue.
# Anything else (64-bit programs, i386 programs run natively or by another
# interpreter, attach, core files, remote targets) is left alone.
#
# `set elf32-exec off` disables it, `set elf32-exec on` applies it without
# looking at binfmt_misc (for elf32-exec registered under another path),
# `show elf32-exec` tells. `set debug elf32-exec on` reports what it does.
# Install: see scripts/gdb/README.md.

import ctypes
import os

import gdb

_PTRACE_PEEKUSER = 3
_PTRACE_SINGLESTEP = 9
_PTRACE_SYSCALL = 24
# struct user_regs_struct (x86-64) offsets, as PTRACE_PEEKUSER takes them.
_ORIG_RAX = 15 * 8
_RIP = 16 * 8
_CS = 17 * 8
_USER64_CS = 0x33
_USER32_CS = 0x23
_SYS_MUNMAP = 11  # x86-64
_SYS32_RT_SIGRETURN = 173  # i386
_WALL = 0x40000000
_WNOWAIT = 0x01000000
_WEXITED = 4
_WSTOPPED = 2
_P_PID = 1
_CLD_EXITED, _CLD_KILLED, _CLD_DUMPED = 1, 2, 3
_SYSCALL_STOP = 0x80 | 5  # SIGTRAP | 0x80 (gdb sets PTRACE_O_TRACESYSGOOD)
_MAX_SYSCALL_STOPS = 100000
_MAX_STEPS = 100000

# A target description with no features: gdb's built-in i386 registers.
# Used only while the loader runs, so the 64-bit exec raises no warning.
_PLAIN_I386_TDESC = (
    '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n'
    "<target><architecture>i386</architecture><osabi>GNU/Linux</osabi></target>\n"
)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_libc.waitpid.restype = ctypes.c_int
_libc.waitpid.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
_libc.waitid.restype = ctypes.c_int
_libc.waitid.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_void_p, ctypes.c_int]


class _Mode(gdb.Parameter):
    """Whether gdb follows i386 programs through elf32-exec's mode switch."""

    set_doc = "Set whether gdb follows i386 programs through elf32-exec's switch to 32-bit mode."
    show_doc = "Show whether gdb follows i386 programs through elf32-exec's switch to 32-bit mode."

    def __init__(self):
        super().__init__("elf32-exec", gdb.COMMAND_RUNNING, gdb.PARAM_AUTO_BOOLEAN)
        self.value = None  # auto: when binfmt_misc sends the program to elf32-exec

    def get_show_string(self, value):
        return "elf32-exec support is %s (auto: when binfmt_misc runs the i386 program through elf32-exec)." % value


class _Debug(gdb.Parameter):
    """Report what the elf32-exec support does."""

    set_doc = "Set elf32-exec support debugging."
    show_doc = "Show elf32-exec support debugging."

    def __init__(self):
        super().__init__("debug elf32-exec", gdb.COMMAND_MAINTENANCE, gdb.PARAM_BOOLEAN)
        self.value = False

    def get_show_string(self, value):
        return "elf32-exec support debugging is %s." % value


def _log(text):
    if _debug.value:
        gdb.write("elf32-exec: %s\n" % text)


def _i386_header(path):
    """The first 20 bytes of PATH if it is an i386 ET_EXEC/ET_DYN ELF, else None."""
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[4] != 1 or header[5] != 1:
        return None
    if header[16:18] not in (b"\x02\x00", b"\x03\x00") or header[18:20] != b"\x03\x00":
        return None
    return header


def _binfmt_interpreter(header):
    """The interpreter of the first enabled binfmt_misc entry matching HEADER."""
    directory = "/proc/sys/fs/binfmt_misc"
    try:
        with open(os.path.join(directory, "status")) as f:
            if f.read().strip() != "enabled":
                return None
        names = sorted(os.listdir(directory))
    except OSError:
        return None
    for name in names:
        if name in ("status", "register"):
            continue
        try:
            with open(os.path.join(directory, name)) as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        if not lines or lines[0] != "enabled":
            continue
        fields = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
        if "magic" not in fields:
            continue  # an extension (E) entry
        try:
            offset = int(fields.get("offset", "0"))
            magic = bytes.fromhex(fields["magic"])
            mask = bytes.fromhex(fields["mask"]) if "mask" in fields else b"\xff" * len(magic)
        except ValueError:
            continue
        data = header[offset:offset + len(magic)]
        if len(data) == len(magic) and all((d & m) == (g & m) for d, m, g in zip(data, mask, magic)):
            return fields.get("interpreter")
    return None


def _peek(pid, offset):
    ctypes.set_errno(0)
    value = _libc.ptrace(_PTRACE_PEEKUSER, pid, offset, None)
    if value == -1 and ctypes.get_errno() != 0:
        raise OSError(ctypes.get_errno(), "PTRACE_PEEKUSER")
    return value & 0xFFFFFFFFFFFFFFFF


def _resume(pid, request, signal):
    if _libc.ptrace(request, pid, None, ctypes.c_void_p(signal)) == -1:
        raise OSError(ctypes.get_errno(), "ptrace resume")


def _wait(pid):
    """The next stop of PID as a waitpid status, or None when it ended (left for gdb to reap)."""
    info = ctypes.create_string_buffer(128)
    while _libc.waitid(_P_PID, pid, info, _WEXITED | _WSTOPPED | _WNOWAIT | _WALL) == -1:
        if ctypes.get_errno() != 4:  # EINTR
            raise OSError(ctypes.get_errno(), "waitid")
    code = int.from_bytes(info.raw[8:12], "little")
    if code in (_CLD_EXITED, _CLD_KILLED, _CLD_DUMPED):
        return None
    status = ctypes.c_int()
    if _libc.waitpid(pid, ctypes.byref(status), _WALL) != pid:
        raise OSError(ctypes.get_errno(), "waitpid")
    return status.value


def _mappings(pid):
    """(start, end, name) for each line of /proc/PID/maps; name "" if anonymous."""
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split(None, 5)
            start, end = (int(bound, 16) for bound in fields[0].split("-"))
            yield start, end, fields[5].strip() if len(fields) > 5 else ""


def _anything_above_4g(pid):
    return any(start >= 1 << 32 and name != "[vsyscall]" for start, _, name in _mappings(pid))


def _trampoline_page_mapped(pid):
    return any(start == 0xFFFFE000 for start, _, _ in _mappings(pid))


def _in_vdso(pid, address):
    return any(name == "[vdso]" and start <= address < end for start, end, name in _mappings(pid))


def _run_loader(pid):
    """Runs elf32-exec (stopped at its exec) to the program's first instruction.

    The loader's last munmap leaves only its trampoline, which is single-stepped
    to the first 32-bit instruction (CS 0x23). That is ld.so's or the program's
    entry, unless the trampoline ends through the vDSO. Then it is
    __kernel_vsyscall's system call unmapping the trampoline's page: its
    landing pad, single-stepped too, returns to the entry; or, when the page is
    at 0xffffe000, the entry is where the compat rt_sigreturn that follows
    returns to.
    Returns the address reached, or None if the process ended on the way.
    Signals that arrive meanwhile are delivered as they would be."""
    signal, stops, steps, in_syscall = 0, 0, 0, False
    # "loader", then "trampoline" (single steps), then either "unmap" (system
    # call stops to the exit of the vDSO's munmap: single-stepping into the
    # fast entry would leave TF set) and "landing" (single steps out of the
    # vDSO), or "vdso" and "sigreturn" (system call stops up to the exit of
    # rt_sigreturn).
    phase = "loader"
    while True:
        stepping = phase in ("trampoline", "landing")
        _resume(pid, _PTRACE_SINGLESTEP if stepping else _PTRACE_SYSCALL, signal)
        signal = 0
        status = _wait(pid)
        if status is None:
            _log("the loader ended before the program's first instruction")
            return None
        stopped_by = (status >> 8) & 0xFF
        if stepping:
            steps += 1
            if steps >= _MAX_STEPS:
                break
            if _peek(pid, _CS) == _USER32_CS:
                if not _in_vdso(pid, _peek(pid, _RIP)):
                    break
                if phase == "trampoline":
                    phase, in_syscall = ("vdso" if _trampoline_page_mapped(pid) else "unmap"), False
            elif stopped_by != 5 and status >> 16 == 0:
                signal = stopped_by
        elif stopped_by == _SYSCALL_STOP:
            stops += 1
            in_syscall = not in_syscall
            if stops >= _MAX_SYSCALL_STOPS:
                break
            if phase == "unmap":
                phase = phase if in_syscall else "landing"
            elif phase == "vdso":
                # rt_sigreturn sets orig_rax to -1: tell its exit by its entry.
                if in_syscall:
                    phase = "sigreturn" if _peek(pid, _ORIG_RAX) == _SYS32_RT_SIGRETURN else phase
            elif phase == "sigreturn":
                break
            elif _peek(pid, _CS) == _USER32_CS:
                break  # fallback: at the program's first system call
            # The trampoline's munmap of the loader: single-step from here.
            elif not in_syscall and _peek(pid, _ORIG_RAX) == _SYS_MUNMAP and not _anything_above_4g(pid):
                phase = "trampoline"
        elif status >> 16 == 0 and stopped_by != 5:
            signal = stopped_by  # a signal for the process: deliver it
    address = _peek(pid, _RIP)
    _log("%d system call stops and %d steps in the loader; now at 0x%x, CS 0x%x"
         % (stops, steps, address, _peek(pid, _CS)))
    return address


class _State:
    armed = None  # the plan while `run` starts the loader; None otherwise
    pending = None  # the plan between the mode switch and the hand-off stop


def _execute(command):
    _log(command)
    return gdb.execute(command, to_string=True)


def _prepare(how):
    """Before run/start: set gdb up for the loader's exec if the program goes through elf32-exec."""
    _State.armed = None
    if _mode.value is False:
        return
    inferior = gdb.selected_inferior()
    connection = getattr(inferior, "connection", None)
    if connection is not None and connection.type != "native":
        return
    program = inferior.progspace.filename
    if program is None:
        return
    header = _i386_header(program)
    if header is None:
        return
    if _mode.value is None:
        interpreter = _binfmt_interpreter(header)
        if interpreter is None or not os.path.basename(interpreter).startswith("elf32-exec"):
            return
        _log("binfmt_misc runs %s through %s" % (program, interpreter))
    plan = {
        "how": how,
        "symbols": program,
        "confirm": gdb.parameter("confirm"),
        "tdesc": gdb.parameter("tdesc filename") or "",
        "disabled": [],
    }
    _State.armed = plan


def _on_new_thread(event):
    """The inferior was just forked: `start` has checked the symbols and set
    `tbreak main`; the exec and gdb's reading of it are still to come."""
    plan = _State.armed
    if plan is None or plan.get("set_aside") or event.inferior_thread.inferior != gdb.selected_inferior():
        return
    plan["set_aside"] = True
    gdb.execute("set confirm off", to_string=True)
    for breakpoint in gdb.breakpoints():
        if breakpoint.is_valid() and breakpoint.enabled:
            breakpoint.enabled = False
            plan["disabled"].append(breakpoint)
    if not plan["tdesc"]:
        descriptor = os.memfd_create("elf32-exec-i386-tdesc")
        os.write(descriptor, _PLAIN_I386_TDESC.encode())
        plan["tdesc_fd"] = descriptor
        _execute("set tdesc filename /proc/%d/fd/%d" % (os.getpid(), descriptor))
    _execute("symbol-file")


def _on_resume(event):
    plan = _State.armed
    if plan is None or not plan.get("set_aside"):
        _State.armed = None
        return
    if plan["how"] == "starti" and not plan.get("reported"):
        plan["reported"] = True  # starti's own resume only reports its queued stop
        return
    _State.armed = None
    _State.pending = plan
    pid = gdb.selected_inferior().pid
    try:
        if pid <= 0 or _peek(pid, _CS) != _USER64_CS:
            _log("not a 64-bit loader at the first resume; giving up at the next stop")
            return
        address = _run_loader(pid)
    except OSError as error:
        _log("could not run the loader (%s); giving up at the next stop" % error)
        return
    if address is None:
        return  # the process ended: _on_exit puts things back
    handoff = gdb.Breakpoint("*0x%x" % address, internal=True, temporary=True)
    handoff.silent = True
    handoff.commands = "elf32-exec-handoff %s\n" % plan["how"] + ("continue\n" if plan["how"] != "starti" else "")


def _on_stop(event):
    """A stop before the hand-off breakpoint: put back what was set aside."""
    if _State.pending is not None and not isinstance(event, gdb.BreakpointEvent):
        _handoff()


def _restore(plan, alive=True):
    """Puts back what _prepare set aside, now reading the 32-bit process."""
    commands = []
    if plan.get("tdesc_fd") is not None:
        commands.append("unset tdesc filename")  # re-read from the process: CS is 0x23 now
    elif plan["tdesc"]:
        commands.append("set tdesc filename %s" % plan["tdesc"])
    commands.append("symbol-file %s" % plan["symbols"])
    pid = gdb.selected_inferior().pid
    if alive and pid > 0:
        commands.append("exec-file %s" % plan["symbols"])  # also drops the auxv gdb read from the loader
        # Re-runs the shared-library set-up: the program's own auxv, ld.so, the link map.
        commands.append("set solib-search-path %s" % (gdb.parameter("solib-search-path") or ""))
        vdso = _vdso_address(pid)
        if vdso:
            # As gdb reads a native exec's vDSO: symbols for __kernel_vsyscall.
            commands.append("add-symbol-file-from-memory 0x%x" % vdso)
    for command in commands:
        try:
            _execute(command)
        except gdb.error as error:
            _log("%s: %s" % (command, error))
    if plan.get("tdesc_fd") is not None:
        os.close(plan["tdesc_fd"])
    for breakpoint in plan["disabled"]:
        if breakpoint.is_valid():
            breakpoint.enabled = True
    gdb.execute("set confirm %s" % ("on" if plan["confirm"] else "off"), to_string=True)


def _vdso_address(pid):
    """AT_SYSINFO_EHDR of the 32-bit process (its auxv has 32-bit entries now)."""
    try:
        with open("/proc/%d/auxv" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    for index in range(0, len(data) - 7, 8):
        key = int.from_bytes(data[index:index + 4], "little")
        if key == 0:
            break
        if key == 33:  # AT_SYSINFO_EHDR
            return int.from_bytes(data[index + 4:index + 8], "little")
    return None


def _on_exit(event):
    """The process ended before the hand-off (the loader refused the program,
    say): put the symbols back all the same."""
    if _State.armed is not None and _State.armed.get("set_aside"):
        _State.pending, _State.armed = _State.armed, None
    _handoff(alive=False)


class _Handoff(gdb.Command):
    """Internal to the elf32-exec support: run at the first 32-bit instruction."""

    def __init__(self):
        super().__init__("elf32-exec-handoff", gdb.COMMAND_MAINTENANCE)

    def invoke(self, argument, from_tty):
        _handoff()
        if argument.strip() == "starti":
            gdb.write("\nProgram stopped at its first 32-bit instruction.\n")
            gdb.execute("frame")


def _handoff(alive=True):
    plan, _State.pending = _State.pending, None
    if plan is not None:
        _restore(plan, alive)


class _Prepare(gdb.Command):
    """Internal to the elf32-exec support: run before run and start."""

    def __init__(self):
        super().__init__("elf32-exec-prepare", gdb.COMMAND_MAINTENANCE)

    def invoke(self, argument, from_tty):
        _prepare(argument.strip() or "run")


def _install_hook(command):
    hook = "hook-" + command
    try:
        definition = gdb.execute("show user " + hook, to_string=True)
    except gdb.error:
        definition = ""
    if definition and "elf32-exec-prepare" not in definition:
        gdb.write("elf32-exec: %s is already defined; add `elf32-exec-prepare %s` to it\n" % (hook, command))
        return
    gdb.execute("define %s\nelf32-exec-prepare %s\nend" % (hook, command))


# Loaded once per gdb, however many ways it is installed (auto-load,
# ~/.gdbinit, -x): a second load leaves the first one's state in place.
if not getattr(gdb, "_elf32_exec_loaded", False):
    gdb._elf32_exec_loaded = True
    _mode = _Mode()
    _debug = _Debug()
    _Handoff()
    _Prepare()
    gdb.events.new_thread.connect(_on_new_thread)
    gdb.events.cont.connect(_on_resume)
    gdb.events.exited.connect(_on_exit)
    gdb.events.stop.connect(_on_stop)
    for _command in ("run", "start", "starti"):
        _install_hook(_command)
