// `elf32-exec [OPTIONS] PROGRAM [ARGS...]`, parsed by hand: the options are
// few, and every exec would pay a parsing library's start-up. One table
// drives both the parsing and --help. Arguments stay raw bytes: a program's
// argv need not be UTF-8.

struct CommandLineOptions: Equatable, Sendable {
    enum Action: Equatable, Sendable {
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

    init() {}

    enum Effect {
        case argv0, sysroot, noVDSO, verbose, version, help
    }

    struct Option {
        var names: [String]
        /// The value's name in the help, nil for a flag.
        var value: String?
        var help: [String]
        var effect: Effect
    }

    static let options: [Option] = [
        Option(names: ["--argv0"], value: "NAME", help: ["the program sees NAME as argv[0] (default: PROGRAM as given)"], effect: .argv0),
        Option(names: ["--sysroot"], value: "DIR", help: [
            "look the program's interpreter (ld-linux.so.2) up under DIR",
            "first; also ELF32_EXEC_SYSROOT=DIR",
        ], effect: .sysroot),
        Option(names: ["--no-vdso"], help: ["do not map the 32-bit vDSO: system calls use int $0x80"], effect: .noVDSO),
        Option(names: ["-v", "--verbose"], help: ["report the memory layout on standard error"], effect: .verbose),
        Option(names: ["--version"], help: ["print the version and exit"], effect: .version),
        Option(names: ["-h", "--help"], help: ["print this help and exit"], effect: .help),
    ]

    /// --help, from the table.
    static var usage: String {
        var text = """
            usage: elf32-exec [OPTIONS] PROGRAM [ARGS...]
            Runs a 32-bit i386 Linux program natively inside this 64-bit process.

            Options (they end at PROGRAM):

            """
        for option in options {
            var names = ""
            for name in option.names { names += (names.isEmpty ? "" : ", ") + name }
            if let value = option.value { names += " " + value }
            for (index, line) in option.help.enumerated() {
                let column = index == 0 ? names : ""
                text += "  " + column + String(repeating: " ", count: max(1, 15 - column.utf8.count)) + line + "\n"
            }
        }
        text += """
              --             end of options

            Exit status: the program's own; 127 if PROGRAM does not exist, 126 if it
            cannot be run, 2 for a usage error.

            """
        return text
    }

    /// Parses the command's arguments, `arguments[0]` excluded.
    static func parse(_ arguments: [[UInt8]]) throws(ExecError) -> CommandLineOptions {
        var options = CommandLineOptions()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == Array("--".utf8) { return try options.takingProgram(from: arguments[index...]) }
            guard argument.count > 1, argument.first == UInt8(ascii: "-") else {
                return try options.takingProgram(from: arguments[(index - 1)...])
            }
            let equals = argument.firstIndex(of: UInt8(ascii: "="))
            let name = Array(argument[..<(equals ?? argument.endIndex)])
            guard let option = option(named: name) else {
                throw .usage("unknown option '\(String(decoding: argument, as: UTF8.self))'")
            }
            var value: [UInt8] = []
            if option.value != nil {
                if let equals {
                    value = Array(argument[(equals + 1)...])
                } else {
                    guard index < arguments.count else {
                        throw .usage("option '\(String(decoding: name, as: UTF8.self))' needs a value")
                    }
                    value = arguments[index]
                    index += 1
                }
            } else if equals != nil {
                throw .usage("option '\(String(decoding: name, as: UTF8.self))' takes no value")
            }
            switch option.effect {
            case .argv0: options.argv0 = value
            case .sysroot: options.sysroot = value
            case .noVDSO: options.useVDSO = false
            case .verbose: options.verbose = true
            case .version: options.action = .version; return options
            case .help: options.action = .help; return options
            }
        }
        throw .usage("missing PROGRAM")
    }

    private static func option(named name: [UInt8]) -> Option? {
        options.first { option in option.names.contains { Array($0.utf8) == name } }
    }

    private func takingProgram(from rest: ArraySlice<[UInt8]>) throws(ExecError) -> CommandLineOptions {
        guard let program = rest.first else { throw .usage("missing PROGRAM") }
        var options = self
        options.program = program
        options.programArguments = [argv0 ?? program] + rest.dropFirst()
        return options
    }
}
