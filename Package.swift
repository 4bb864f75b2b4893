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
let musl = "/usr/lib/x86_64-linux-musl"

let embedded: [SwiftSetting] = freestanding
    ? [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo"])] : []

var targets: [Target] = [
    // libelf from the system (Debian: libelf-dev).
    .systemLibrary(name: "CLibELF", pkgConfig: "libelf", providers: [.apt(["libelf-dev"])]),
    // The libc and kernel calls the Swift code makes, for both builds (there
    // is no Glibc module in Embedded Swift), the process entry, and the
    // freestanding build's malloc.
    .target(name: "LinuxCalls", cSettings: freestanding ? [.define("ELF32_EXEC_FREESTANDING")] : []),
    // The handoff trampoline.
    .target(name: "ModeSwitch"),
    .target(name: "ELFLoader", dependencies: ["CLibELF", "LinuxCalls", "ModeSwitch"], swiftSettings: embedded),
]

if freestanding {
    targets.append(.executableTarget(
        name: "elf32-exec",
        dependencies: ["ELFLoader"],
        swiftSettings: embedded,
        linkerSettings: [
            .linkedLibrary("z"),  // libelf.a needs zlib
            .unsafeFlags([
                "-use-ld=lld", "-Xclang-linker", "-nostdlib", "-Xclang-linker", "-static-pie",
                "-Xlinker", "-e", "-Xlinker", "process_entry",  // LinuxCalls/process_entry.S
                "-Xlinker", "\(musl)/rcrt1.o", "-Xlinker", "\(musl)/crti.o",
                "-Xlinker", "\(musl)/libc.a", "-Xlinker", "\(musl)/crtn.o",
                "-Xlinker", "--gc-sections", "-Xlinker", "--strip-all", "-Xlinker", "-z", "-Xlinker", "noexecstack",
            ]),
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
