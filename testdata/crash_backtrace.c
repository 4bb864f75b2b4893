// A program that crashes three calls deep: main -> outer -> inner, which
// writes through a null pointer (SIGSEGV). Built with -g by
// Tests/IntegrationTests/DebuggerTests.swift, which compares gdb's backtrace of
// the crash natively and through elf32-exec. Prints one line first.
#include <stdio.h>

static int *volatile target;  // null: the write in inner() faults

__attribute__((noinline)) static void inner(int depth)
{
    *target = depth;
}

__attribute__((noinline)) static void outer(int depth)
{
    inner(depth + 1);
    __asm__ volatile("" ::: "memory");  // keeps outer's frame: no tail call
}

int main(void)
{
    puts("crashing in inner()");
    fflush(stdout);
    outer(1);
    return 0;
}
