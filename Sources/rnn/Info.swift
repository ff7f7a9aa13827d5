import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn info`: version, GEMM backends and which serves which products, CPU features and threads.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the version, the GEMM backend per kind of product (and why), CPU features and thread count.",
            discussion: """
            With OpenBLAS installed, each kind of matrix product (layout and size) goes to the backend that was
            faster on this machine, timed once and kept in the user cache until the CPU, the library or this
            version changes. --calibrate times them again (on a quiet machine, for a fair choice).
            """)

        @Flag(help: "Time the GEMM backends again and keep the new choice.")
        var calibrate = false
        @OptionGroup var threads: ThreadsOption

        func run() throws {
            if calibrate, let path = GEMMBackend.calibrationCachePath {
                unlink(path)
            }
            print(SystemReport.current.text)
            print("mpi: " + (mpiBuiltIn ? "built in (--distributed under mpirun)" : "not built in (build with RNN_MPI=1 for --distributed)"))
        }
    }
}
