// Why a file cannot be run: one line each, in the words a user needs.

public enum ELFError: Error, Sendable, CustomStringConvertible {
    case empty
    case notELF
    case truncatedHeader
    case wrongClass(UInt8)
    case wrongByteOrder(UInt8)
    case wrongVersion(UInt32)
    case wrongMachine(UInt16)
    case wrongType(UInt16)
    case badProgramHeaderSize(UInt16)
    case badProgramHeaderCount(UInt16)
    case programHeadersOutsideFile
    case noLoadableSegment
    case segment(Int, String)
    case entryNotExecutable(UInt32)
    case interpreterPathOutsideFile
    case interpreterPathLength(UInt32)
    case interpreterPathNotTerminated
    case interpreterNotSharedObject
    case interpreterHasInterpreter
    case libelf(String)

    public var description: String {
        switch self {
        case .empty: return "empty file"
        case .notELF: return "not an ELF file"
        case .truncatedHeader: return "file too short for an ELF header"
        case .wrongClass(2): return "64-bit ELF (ELFCLASS64); elf32-exec runs 32-bit i386 programs"
        case .wrongClass(let c): return "bad ELF class \(c); elf32-exec runs 32-bit i386 programs"
        case .wrongByteOrder(2): return "big-endian ELF; i386 programs are little-endian"
        case .wrongByteOrder(let d): return "bad ELF byte order \(d)"
        case .wrongVersion(let v): return "unsupported ELF version \(v)"
        case .wrongMachine(let m): return "not an i386 program (machine \(machineName(m)))"
        case .wrongType(let t): return "not an executable (ELF type \(typeName(t)))"
        case .badProgramHeaderSize(let s): return "bad program header size \(s) (expected 32)"
        case .badProgramHeaderCount(let n): return "bad program header count \(n) (expected 1 to 128)"
        case .programHeadersOutsideFile: return "program headers lie outside the file"
        case .noLoadableSegment: return "no loadable segment (PT_LOAD)"
        case .segment(let index, let reason): return "PT_LOAD segment \(index): \(reason)"
        case .entryNotExecutable(let entry): return "entry point 0x\(hex(entry)) is outside every executable segment"
        case .interpreterPathOutsideFile: return "interpreter path (PT_INTERP) lies outside the file"
        case .interpreterPathLength(let length): return "interpreter path (PT_INTERP) is \(length) byte\(length == 1 ? "" : "s") long (expected 2 to 4096)"
        case .interpreterPathNotTerminated: return "interpreter path (PT_INTERP) is not NUL-terminated"
        case .interpreterNotSharedObject: return "not a shared object (ET_DYN), as an interpreter must be"
        case .interpreterHasInterpreter: return "names an interpreter (PT_INTERP) itself"
        case .libelf(let message): return "cannot read ELF: \(message)"
        }
    }
}

#if !$Embedded
extension ELFError: Equatable {}  // for the tests: see ExecError.swift
#endif

private func machineName(_ machine: UInt16) -> String {
    switch machine {
    case 62: return "x86-64"
    case 40: return "ARM"
    case 183: return "AArch64"
    case 8: return "MIPS"
    case 20: return "PowerPC"
    case 243: return "RISC-V"
    default: return "\(machine)"
    }
}

private func typeName(_ type: UInt16) -> String {
    switch type {
    case 0: return "ET_NONE"
    case 1: return "ET_REL, an object file"
    case 4: return "ET_CORE, a core dump"
    default: return "\(type)"
    }
}
