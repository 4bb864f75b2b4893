# gdb script for scripts/hot-path-order.sh: runs elf32-exec (built with its
# symbols) on one program up to the handoff and appends to $HOT_PATH_OUT the
# functions it entered, in the order it first entered them. A one-shot
# breakpoint on every function; the run stops at the trampoline's first
# system call (its munmap of the loader, made from below 4 GiB).
import os
import subprocess

import gdb

executable = gdb.current_progspace().filename
output = os.environ["HOT_PATH_OUT"]

names_at = {}
for line in subprocess.check_output(["nm", "--defined-only", executable], text=True).splitlines():
    fields = line.split()
    if len(fields) == 3 and fields[1] in "tTwW":
        names_at.setdefault(int(fields[0], 16), []).append(fields[2])
header = subprocess.check_output(["readelf", "-h", executable], text=True)
entry = int(next(l for l in header.splitlines() if "Entry point" in l).split()[-1], 16)

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set disable-randomization off")  # the randomized layout runs more code
gdb.execute("starti", to_string=True)
base = int(gdb.parse_and_eval("$pc")) - entry
order = list(names_at.get(entry, []))
for offset in names_at:
    if offset != entry:
        gdb.Breakpoint("*0x%x" % (base + offset), temporary=True, internal=True)
gdb.execute("catch syscall munmap", to_string=True)
while True:
    try:
        gdb.execute("continue", to_string=True)
    except gdb.error:
        gdb.execute("quit 1")  # the program ended before the handoff: no order from this run
    pc = int(gdb.parse_and_eval("$pc"))
    if pc - base in names_at:
        order += names_at[pc - base]
    elif pc < 1 << 32:
        break  # the trampoline's munmap
with open(output, "a") as file:
    file.write("".join(name + "\n" for name in order))
gdb.execute("kill")
