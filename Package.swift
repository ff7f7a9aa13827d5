// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Recurrent",
    platforms: [.macOS(.v13)],

    // MARK: - Products
    products: [
        .library(name: "Recurrent", targets: ["Recurrent"]),
        .executable(name: "rnn", targets: ["rnn"]),
    ],

    // MARK: - Dependencies
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],

    // MARK: - Targets
    targets: [
        // The few hot loops that need AVX2/FMA/AVX-512, chosen at run time.
        .target(name: "CKernels"),
        // The `rnn` process's own policy: Ctrl-C handling and allocator settings.
        .target(name: "CProcess"),
        .target(
            name: "Recurrent",
            dependencies: ["CKernels"],
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]
        ),
        // `rnn bench`'s named configs (shared with Scripts/bench_pytorch.py) and timing; not part of the library.
        .target(name: "Benchmarks", dependencies: ["Recurrent"]),
        .executableTarget(
            name: "rnn",
            dependencies: [
                "Recurrent",
                "Benchmarks",
                "CProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .testTarget(
            name: "RecurrentTests",
            dependencies: ["Recurrent"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
