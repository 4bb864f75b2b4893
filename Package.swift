// swift-tools-version:5.10
import PackageDescription

let package = Package(
    name: "elf32-exec",
    products: [
        .executable(name: "elf32-exec", targets: ["elf32-exec"]),
        .library(name: "ELFLoader", targets: ["ELFLoader"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // libelf from the system (Debian: libelf-dev).
        .systemLibrary(
            name: "CLibELF",
            pkgConfig: "libelf",
            providers: [.apt(["libelf-dev"])]
        ),
        // The mode-switch trampoline and the few kernel calls Swift cannot express.
        .target(name: "ModeSwitch"),
        .target(
            name: "ELFLoader",
            dependencies: [
                "CLibELF",
                "ModeSwitch",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            // Generic metadata built at compile time, not demangled at run time:
            // measured about 12% off elf32-exec's start-up, which every exec pays.
            swiftSettings: [.unsafeFlags(["-Xfrontend", "-prespecialize-generic-metadata"])]
        ),
        // One static executable: no shared Swift runtime to load on every exec.
        // Linked at 0x70000000, away from where i386 programs, their brk and
        // the static-pie brk (0x400000) go; its own heap follows it within 1 GiB.
        .executableTarget(
            name: "elf32-exec",
            dependencies: ["ELFLoader", "ModeSwitch"],
            linkerSettings: [
                .unsafeFlags(["-static-executable", "-Xlinker", "-Ttext-segment=0x70000000"]),
                .linkedLibrary("z"),  // libelf.a needs zlib when linked statically
            ]
        ),
        // The crafted-ELF bytes both test targets build their inputs from.
        .target(name: "ELFTestSupport", path: "Tests/ELFTestSupport"),
        .testTarget(name: "ELFLoaderTests", dependencies: ["ELFLoader", "ELFTestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["ELFTestSupport"]),
        // The pure ELF path under libFuzzer (scripts/fuzz.sh); built plainly it
        // replays files, as Tests/ELFLoaderTests/FuzzRegressionTests.swift does.
        .executableTarget(name: "ELFLoaderFuzz", dependencies: ["ELFLoader"]),
    ]
)
