// `elf32-exec [OPTIONS] PROGRAM [ARGS...]`, parsed by hand: the options are
// few, and every exec pays the start-up cost of a parsing library (measured
// in the README). Arguments stay raw bytes: a program's argv need not be UTF-8.

struct CommandLineOptions {
    enum Action {
        case run
        case help
        case version
    }

    var action: Action = .run
    var argv0: [UInt8]?
    var sysroot: [UInt8]?
    var useVDSO = true
    var verbose = false
    var program: [UInt8] = []
    var programArguments: [[UInt8]] = []

    static let usage = """
        usage: elf32-exec [OPTIONS] PROGRAM [ARGS...]
        Runs a 32-bit i386 Linux program natively inside this 64-bit process.

        Options (they end at PROGRAM):
          --argv0 NAME   the program sees NAME as argv[0] (default: PROGRAM as given)
          --sysroot DIR  look the program's interpreter (ld-linux.so.2) up under DIR
                         first; also ELF32_EXEC_SYSROOT=DIR
          --no-vdso      do not map the 32-bit vDSO: system calls use int $0x80
          -v, --verbose  report the memory layout on standard error
          --version      print the version and exit
          -h, --help     print this help and exit
          --             end of options

        Exit status: the program's own; 127 if PROGRAM does not exist, 126 if it
        cannot be run, 2 for a usage error.

        """

    struct UsageError: Error {
        var message: String
    }

    /// Parses the command's arguments, `arguments[0]` excluded.
    static func parse(_ arguments: [[UInt8]]) throws -> CommandLineOptions {
        var options = CommandLineOptions()
        var index = 0
        while index < arguments.count {
            let argument = String(decoding: arguments[index], as: UTF8.self)
            index += 1
            switch argument {
            case "-h", "--help": options.action = .help; return options
            case "--version": options.action = .version; return options
            case "-v", "--verbose": options.verbose = true
            case "--no-vdso": options.useVDSO = false
            case "--argv0", "--sysroot":
                guard index < arguments.count else { throw UsageError(message: "option '\(argument)' needs a value") }
                options.set(argument, arguments[index])
                index += 1
            case _ where argument.hasPrefix("--argv0=") || argument.hasPrefix("--sysroot="):
                let name = String(argument.prefix { $0 != "=" })
                options.set(name, Array(arguments[index - 1].dropFirst(name.utf8.count + 1)))
            case "--":
                return try options.takingProgram(from: arguments[index...])
            case _ where argument.hasPrefix("-") && argument != "-":
                throw UsageError(message: "unknown option '\(argument)'")
            default:
                return try options.takingProgram(from: arguments[(index - 1)...])
            }
        }
        throw UsageError(message: "missing PROGRAM")
    }

    private mutating func set(_ option: String, _ value: [UInt8]) {
        if option == "--argv0" { argv0 = value } else { sysroot = value }
    }

    private func takingProgram(from rest: ArraySlice<[UInt8]>) throws -> CommandLineOptions {
        guard let program = rest.first else { throw UsageError(message: "missing PROGRAM") }
        var options = self
        options.program = program
        options.programArguments = [argv0 ?? program] + rest.dropFirst()
        return options
    }
}
