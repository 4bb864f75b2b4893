// swift-tools-version:5.10
import PackageDescription

// Two builds of the same sources:
//  - freestanding (ELF32_EXEC_FREESTANDING=1, scripts/build.sh): the shipped
//    elf32-exec, Embedded Swift linked statically with musl as a static-pie,
//    so no glibc or Swift runtime start-up runs in front of the i386 program
//    and the loader lives above 4 GiB, out of the program's address space;
//  - ordinary Swift (`swift build`, `swift test`): the library under XCTest
//    and libFuzzer. elf32-exec itself is not built this way.
let freestanding = Context.environment["ELF32_EXEC_FREESTANDING"] == "1"
// Kept only to regenerate the hot-path order (scripts/hot-path-order.sh).
let keepSymbols = Context.environment["ELF32_EXEC_KEEP_SYMBOLS"] == "1"
let musl = "/usr/lib/x86_64-linux-musl"

// One section per function, so that the link can drop what the loader never
// calls and put what every exec runs together (Sources/elf32-exec/hot-path.order):
// each 64 KiB of text an exec touches costs it a page fault and the handoff's
// munmap 16 page-table entries. -Osize for the same reason: the code an exec
// runs fits in fewer windows (about 7 µs per exec less than -O). No merged
// functions: their thunks have no symbol, so the order cannot place them, and
// they left two windows of their own (one text fault with them gone, 10 µs).
let embedded: [SwiftSetting] = freestanding
    ? [.enableExperimentalFeature("Embedded"), .unsafeFlags([
        "-wmo", "-Osize", "-Xfrontend", "-function-sections", "-Xfrontend", "-disable-llvm-merge-functions-pass",
    ])] : []
let cSections: [CSetting] = freestanding ? [.unsafeFlags(["-ffunction-sections", "-fdata-sections"])] : []

var targets: [Target] = [
    // libelf from the system (Debian: libelf-dev).
    .systemLibrary(name: "CLibELF", pkgConfig: "libelf", providers: [.apt(["libelf-dev"])]),
    // The libc and kernel calls the Swift code makes, for both builds (there
    // is no Glibc module in Embedded Swift), the process entry, and the
    // freestanding build's malloc.
    .target(name: "LinuxCalls", cSettings: freestanding ? [.define("ELF32_EXEC_FREESTANDING")] + cSections : []),
    // The handoff trampoline.
    .target(name: "ModeSwitch", cSettings: cSections),
    .target(name: "ELFLoader", dependencies: ["CLibELF", "LinuxCalls", "ModeSwitch"], swiftSettings: embedded),
]

if freestanding {
    targets.append(.executableTarget(
        name: "elf32-exec",
        dependencies: ["ELFLoader"],
        exclude: ["hot-path.order"],
        swiftSettings: embedded,
        linkerSettings: [
            .linkedLibrary("z"),  // libelf.a needs zlib
            .unsafeFlags([
                "-use-ld=lld", "-Xclang-linker", "-nostdlib", "-Xclang-linker", "-static-pie",
                "-Xlinker", "-e", "-Xlinker", "process_entry",  // LinuxCalls/process_entry.S
                // No crti.o/crtn.o: musl needs no .init code (its _init is a weak
                // no-op), and an .init section is text outside the ordered .text.
                "-Xlinker", "\(musl)/rcrt1.o", "-Xlinker", "\(musl)/libc.a",
                // No PT_GNU_RELRO: musl's static-pie start (rcrt1.o) never
                // write-protects it, and without it .data.rel.ro shares the data
                // segment: one mapping less for the kernel's exec and the handoff's munmap.
                "-Xlinker", "--gc-sections", "-Xlinker", "-z", "-Xlinker", "norelro",
                "-Xlinker", "-z", "-Xlinker", "noexecstack",
                "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/elf32-exec/hot-path.order",
                "-Xlinker", "--no-warn-symbol-ordering",
            ] + (keepSymbols ? [] : ["-Xlinker", "--strip-all"])),
        ]))
} else {
    targets += [
        // The crafted-ELF bytes both test targets build their inputs from.
        .target(name: "ELFTestSupport", path: "Tests/ELFTestSupport"),
        .testTarget(name: "ELFLoaderTests", dependencies: ["ELFLoader", "ELFTestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["ELFTestSupport"]),
        // The pure ELF path under libFuzzer (scripts/fuzz.sh); built plainly it
        // replays files, as Tests/ELFLoaderTests/FuzzRegressionTests.swift does.
        .executableTarget(name: "ELFLoaderFuzz", dependencies: ["ELFLoader"]),
    ]
}

let package = Package(
    name: "elf32-exec",
    products: freestanding
        ? [.executable(name: "elf32-exec", targets: ["elf32-exec"])]
        : [.library(name: "ELFLoader", targets: ["ELFLoader"])],
    targets: targets
)
