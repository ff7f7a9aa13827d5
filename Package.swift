// swift-tools-version:6.0
import PackageDescription

// Data-parallel training over MPI (`rnn train ... --distributed` under mpirun)
// is built only with RNN_MPI=1 in the environment: it needs Open MPI
// (Debian: libopenmpi-dev, found by pkg-config as ompi-c). A plain
// `swift build` / `swift test` needs no MPI.
let withMPI = Context.environment["RNN_MPI"] == "1"

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
            ] + (withMPI ? ["RecurrentMPI"] : []),
            swiftSettings: withMPI ? [.define("RNN_MPI")] : []
        ),

        // MARK: - Tests
        .testTarget(
            name: "RecurrentTests",
            dependencies: ["Recurrent"],
            resources: [.copy("Fixtures")]
        ),
    ] + (withMPI ? [
        // MPI: Open MPI's C API through a header of small inline functions, and the communicator over it.
        .systemLibrary(name: "COpenMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(name: "RecurrentMPI", dependencies: ["Recurrent", "COpenMPI"]),
    ] : [])
)
