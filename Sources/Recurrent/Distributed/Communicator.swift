import Foundation

/// Why a collective operation failed. Every rank of the group gets an error:
/// none is left waiting for a rank that stopped.
package enum CommunicatorError: RecurrentError, Equatable {
    /// This rank waited longer than the group's timeout in `operation`.
    case timedOut(rank: Int, operation: String, seconds: Double, missing: [Int])
    /// Rank `failedRank` gave up (it threw, or timed out) with `reason`.
    case peerFailed(rank: Int, failedRank: Int, reason: String)
    /// The ranks called different operations, or with buffers of different lengths (mismatched binaries).
    case mismatch(rank: Int, operation: String, detail: String)
    /// The MPI library returned an error code.
    case mpi(operation: String, code: Int32, message: String)
    /// `--distributed` without an MPI launch, or MPI not built in.
    case notLaunched(String)
    /// The ranks do not agree (configuration hash, world size, data): which ranks and why.
    case disagreement(String)

    package var description: String {
        switch self {
        case let .timedOut(rank, op, seconds, missing):
            return "rank \(rank): \(op) timed out after \(String(format: seconds < 10 ? "%.1f" : "%.0f", seconds)) s waiting for rank\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", "))"
        case let .peerFailed(rank, failed, reason):
            return "rank \(rank): stopped because rank \(failed) failed: \(reason)"
        case let .mismatch(rank, op, detail):
            return "rank \(rank): the ranks disagree in \(op): \(detail) (are all ranks running the same rnn binary and command?)"
        case let .mpi(op, code, message):
            return "MPI error \(code) in \(op): \(message)"
        case let .notLaunched(why): return why
        case let .disagreement(why): return why
        }
    }
}

/// A group of `size` processes (or threads) that train one model together,
/// the collectives data-parallel training needs, after MPI's. Every rank
/// calls the same operations in the same order with buffers of the same
/// length; a rank that fails calls ``abort(_:)`` so no other rank waits for it.
package protocol Communicator: AnyObject {
    /// This member's index, `0..<size`; rank 0 writes checkpoints and progress.
    var rank: Int { get }
    /// How many ranks the group has (the world size).
    var size: Int { get }
    /// Replaces `buffer` on every rank with the element-wise sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces `buffer` on every rank with the element-wise sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// Copies rank `root`'s bytes into `buffer` on every other rank.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Returns once every rank has called it.
    func barrier() throws
    /// This rank cannot go on (`reason`): the other ranks' collectives fail
    /// instead of waiting for it (in-process: an error on each; MPI: the job ends).
    func abort(_ reason: String)
}

extension Communicator {
    /// Sums `values` over all ranks, in place.
    package func allReduceSum(_ values: inout [Double]) throws {
        try values.withUnsafeMutableBufferPointer { try allReduceSum($0) }
    }

    /// Sums `values` over all ranks, in place.
    package func allReduceSum(_ values: inout [Float]) throws {
        try values.withUnsafeMutableBufferPointer { try allReduceSum($0) }
    }

    /// Copies rank `root`'s floats into `values` on every rank.
    package func broadcast(_ values: inout [Float], root: Int = 0) throws {
        try values.withUnsafeMutableBytes { try broadcast($0, root: root) }
    }

    /// Every rank's `value`, indexed by rank (values up to 2^53 travel exactly).
    package func allGather(_ value: Double) throws -> [Double] {
        var slots = [Double](repeating: 0, count: size)
        slots[rank] = value
        try allReduceSum(&slots)
        return slots
    }

    /// A collective check: every rank says whether it can go on (`failure` nil)
    /// or why not. Returns when all can; otherwise throws on every rank: the
    /// failing rank its own error, the others one naming the failing ranks.
    package func agree(_ failure: Error?, what: String) throws {
        let flags = try allGather(failure == nil ? 0 : 1)
        let failed = flags.indices.filter { flags[$0] != 0 }
        if failed.isEmpty { return }
        if let failure { throw failure }
        throw CommunicatorError.disagreement(
            "rank \(rank): stopping because rank\(failed.count == 1 ? "" : "s") \(failed.map(String.init).joined(separator: ", ")) could not \(what) (see \(failed.count == 1 ? "its" : "their") error)")
    }

    /// Runs `body` and then ``agree(_:what:)``: a rank whose `body` throws
    /// stops every rank with a clear error instead of leaving them waiting.
    package func together<T>(_ what: String, _ body: () throws -> T) throws -> T {
        var result: T? = nil
        var failure: Error? = nil
        do { result = try body() } catch { failure = error }
        try agree(failure, what: what)
        guard let result else { throw CommunicatorError.disagreement("rank \(rank): \(what) produced nothing") }
        return result
    }

    /// Checks that every rank computed the same `hash` (of the binary's
    /// configuration and the command's options); throws on every rank naming
    /// the ranks that differ from rank 0.
    package func requireSameHash(_ hash: UInt64, of what: String) throws {
        // Four 16-bit pieces: each is exact in a Double sum.
        var slots = [Double](repeating: 0, count: 4 * size)
        for k in 0..<4 { slots[4 * rank + k] = Double((hash >> (16 * UInt64(k))) & 0xFFFF) }
        try allReduceSum(&slots)
        let hashes = (0..<size).map { r in (0..<4).reduce(UInt64(0)) { $0 | UInt64(slots[4 * r + $1]) << (16 * UInt64($1)) } }
        let differing = hashes.indices.filter { hashes[$0] != hashes[0] }
        if !differing.isEmpty {
            throw CommunicatorError.disagreement(
                "rank \(rank): \(what) differs between rank 0 (\(String(hashes[0], radix: 16))) and rank\(differing.count == 1 ? "" : "s") "
                + differing.map { "\($0) (\(String(hashes[$0], radix: 16)))" }.joined(separator: ", ")
                + "; run the same rnn binary with the same options on every rank")
        }
    }
}

/// The 64-bit FNV-1a hash of `text`: the configuration hash the ranks exchange.
package func configurationHash(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        h ^= UInt64(byte)
        h = h &* 0x100_0000_01b3
    }
    return h
}
