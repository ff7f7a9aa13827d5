import COpenMPI
import Foundation
import Recurrent

/// The ranks of an `mpirun` launch (MPI_COMM_WORLD) as a ``Communicator``,
/// over Open MPI. Built only with `RNN_MPI=1` (see Package.swift). A failed
/// MPI call throws; ``abort(_:)`` ends every rank of the job (MPI_Abort),
/// so no rank is left waiting for one that stopped.
package final class MPICommunicator: Communicator, @unchecked Sendable {
    package let rank: Int
    package let size: Int

    /// Whether this process was started by `mpirun`/`mpiexec` (Open MPI, PMIx or a PMI launcher).
    package static var isLaunched: Bool {
        let env = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"].contains { env[$0] != nil }
    }

    /// Initialises MPI (once per process) and joins MPI_COMM_WORLD.
    package init() throws {
        guard Self.isLaunched else {
            throw CommunicatorError.notLaunched("--distributed needs an MPI launch: run it as mpirun -np N rnn ... --distributed")
        }
        var provided: Int32 = 0
        try Self.check(rnn_mpi_init(&provided), "MPI_Init_thread")
        guard provided >= rnn_mpi_thread_serialized() else {
            throw CommunicatorError.notLaunched("this MPI library gives thread level \(provided); rnn needs MPI_THREAD_SERIALIZED or more")
        }
        var r: Int32 = 0, s: Int32 = 0
        try Self.check(rnn_mpi_rank(&r), "MPI_Comm_rank")
        try Self.check(rnn_mpi_size(&s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
    }

    package func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try Self.inChunks(buffer.count) { start, n in
            try Self.check(rnn_mpi_allreduce_float(buffer.baseAddress! + start, n), "MPI_Allreduce")
        }
    }

    package func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try Self.inChunks(buffer.count) { start, n in
            try Self.check(rnn_mpi_allreduce_double(buffer.baseAddress! + start, n), "MPI_Allreduce")
        }
    }

    package func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard root >= 0 && root < size else {
            throw CommunicatorError.mismatch(rank: rank, operation: "broadcast", detail: "root \(root) outside 0..<\(size)")
        }
        try Self.inChunks(buffer.count) { start, n in
            try Self.check(rnn_mpi_broadcast(buffer.baseAddress! + start, n, Int32(root)), "MPI_Bcast")
        }
    }

    package func barrier() throws { try Self.check(rnn_mpi_barrier(), "MPI_Barrier") }

    /// Prints nothing (the caller has said why) and ends every rank of the job.
    package func abort(_ reason: String) { _ = rnn_mpi_abort(1) }

    /// Leaves MPI at the end of a successful run (every rank calls it).
    package func finalize() { _ = rnn_mpi_finalize() }

    /// Runs `body` over `0..<count` in pieces that fit MPI's `int` counts.
    private static func inChunks(_ count: Int, _ body: (Int, Int32) throws -> Void) throws {
        var start = 0
        repeat {
            let n = min(count - start, Int(Int32.max))
            try body(start, Int32(n))
            start += n
        } while start < count
    }

    private static func check(_ code: Int32, _ operation: String) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: Int(rnn_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        _ = rnn_mpi_error_string(code, &text, &length)
        let bytes = text.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }
        throw CommunicatorError.mpi(operation: operation, code: code, message: String(decoding: bytes, as: UTF8.self))
    }
}
