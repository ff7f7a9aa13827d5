import Foundation

/// `size` ranks as threads of one process, for tests and for checking that
/// data-parallel training computes what one process computes. Sums run in a
/// fixed order (rank 0 + rank 1 + ...), so results are deterministic. A rank
/// that waits longer than `timeout`, or that calls ``abort(_:)``, makes every
/// other rank's current and later collectives throw.
package final class LocalCommunicator: Communicator, @unchecked Sendable {
    package let rank: Int
    package var size: Int { group.size }
    let group: Group

    init(rank: Int, group: Group) {
        self.rank = rank
        self.group = group
    }

    /// One communicator per rank, sharing a group; `timeout` bounds every wait.
    package static func makeGroup(size: Int, timeout: Double = 60) -> [LocalCommunicator] {
        precondition(size >= 1, "LocalCommunicator.makeGroup: size must be at least 1, got \(size)")
        let group = Group(size: size, timeout: timeout)
        return (0..<size).map { LocalCommunicator(rank: $0, group: group) }
    }

    /// Runs `body` on `size` threads, one per rank, and returns each rank's
    /// result or error (indexed by rank). A rank that throws aborts the group,
    /// so the others end with an error too instead of hanging.
    package static func run<T>(size: Int, timeout: Double = 60,
                              _ body: @escaping @Sendable (LocalCommunicator) throws -> T) -> [Result<T, Error>] {
        let comms = makeGroup(size: size, timeout: timeout)
        let results = ResultBox<T>(count: size)
        let done = DispatchGroup()
        for comm in comms {
            done.enter()
            let thread = Thread {
                let r: Result<T, Error>
                do { r = .success(try body(comm)) } catch {
                    comm.abort("\(error)")
                    r = .failure(error)
                }
                results.set(comm.rank, r)
                done.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        done.wait()
        return results.values.map { $0! }
    }

    package func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try group.collective(rank: rank, operation: "all-reduce of \(buffer.count) floats", pointer: UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count) { slots in
            Self.sum(slots, Float.self, count: buffer.count)
        }
    }

    package func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try group.collective(rank: rank, operation: "all-reduce of \(buffer.count) doubles", pointer: UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count) { slots in
            Self.sum(slots, Double.self, count: buffer.count)
        }
    }

    package func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard root >= 0 && root < size else {
            throw CommunicatorError.mismatch(rank: rank, operation: "broadcast", detail: "root \(root) outside 0..<\(size)")
        }
        try group.collective(rank: rank, operation: "broadcast of \(buffer.count) bytes from rank \(root)", pointer: buffer.baseAddress, count: buffer.count) { slots in
            guard buffer.count > 0, let source = slots[root] else { return }
            for (r, slot) in slots.enumerated() where r != root { slot?.copyMemory(from: source, byteCount: buffer.count) }
        }
    }

    package func barrier() throws {
        try group.collective(rank: rank, operation: "barrier", pointer: nil, count: 0) { _ in }
    }

    package func abort(_ reason: String) { group.fail(rank: rank, reason: reason) }

    /// Element-wise sum into every slot, adding rank 0, then 1, ... (a fixed order).
    static func sum<S: FloatingPoint>(_ slots: [UnsafeMutableRawPointer?], _: S.Type, count: Int) {
        guard count > 0 else { return }
        let buffers = slots.map { $0!.assumingMemoryBound(to: S.self) }
        for i in 0..<count {
            var s = buffers[0][i]
            for r in 1..<buffers.count { s += buffers[r][i] }
            for b in buffers { b[i] = s }
        }
    }

    /// The state the ranks of one group share.
    final class Group: @unchecked Sendable {
        let size: Int
        let timeout: Double
        private let condition = NSCondition()
        private var generation = 0
        private var slots: [UnsafeMutableRawPointer?]
        private var operations: [String?]
        private var failure: (rank: Int, reason: String)? = nil

        init(size: Int, timeout: Double) {
            self.size = size
            self.timeout = timeout
            slots = Array(repeating: nil, count: size)
            operations = Array(repeating: nil, count: size)
        }

        func fail(rank: Int, reason: String) {
            condition.lock()
            if failure == nil { failure = (rank, reason) }
            condition.broadcast()
            condition.unlock()
        }

        /// Posts this rank's buffer; the last rank to arrive runs `combine` on all
        /// of them (the others wait, so their buffers stay valid) and wakes the rest.
        func collective(rank: Int, operation: String, pointer: UnsafeMutableRawPointer?, count: Int,
                        combine: ([UnsafeMutableRawPointer?]) -> Void) throws {
            condition.lock()
            defer { condition.unlock() }
            if let f = failure { throw Self.error(f, rank: rank) }
            let myGeneration = generation
            slots[rank] = pointer
            operations[rank] = operation
            if operations.allSatisfy({ $0 != nil }) {
                let first = operations[0]!
                if let other = operations.firstIndex(where: { $0 != first }) {
                    let detail = "rank 0 called \(first), rank \(other) called \(operations[other]!)"
                    failure = (rank, detail)
                    condition.broadcast()
                    throw CommunicatorError.mismatch(rank: rank, operation: "a collective", detail: detail)
                }
                combine(slots)
                for r in 0..<size { slots[r] = nil; operations[r] = nil }
                generation += 1
                condition.broadcast()
                return
            }
            let deadline = Date(timeIntervalSinceNow: timeout)
            while generation == myGeneration {
                if let f = failure { throw Self.error(f, rank: rank) }
                if !condition.wait(until: deadline) && generation == myGeneration {
                    if let f = failure { throw Self.error(f, rank: rank) }
                    let missing = (0..<size).filter { operations[$0] == nil }
                    let error = CommunicatorError.timedOut(rank: rank, operation: operation, seconds: timeout, missing: missing)
                    failure = (rank, error.description)
                    condition.broadcast()
                    throw error
                }
            }
        }

        private static func error(_ f: (rank: Int, reason: String), rank: Int) -> CommunicatorError {
            .peerFailed(rank: rank, failedRank: f.rank, reason: f.reason)
        }
    }

    private final class ResultBox<T>: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [Result<T, Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ r: Result<T, Error>) { lock.lock(); values[i] = r; lock.unlock() }
    }
}
