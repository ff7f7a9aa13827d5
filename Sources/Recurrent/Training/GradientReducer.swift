import Foundation

/// Data-parallel gradient reduction, as PyTorch's DistributedDataParallel
/// does it: each group of parameters that backward reports ready (output
/// layer first, ..., embedding; see ``GradientsReady``) becomes a bucket,
/// summed over the ranks on one communication thread while backward goes on.
/// What backward never reported is reduced after it, in walk order.
///
/// Every rank's gradient is of its own mean loss over `c_r` items; the result
/// on every rank is the gradient of the mean over all `C = sum c_r` items,
/// `sum_r (c_r / C) g_r`. Buckets sent during backward are scaled by `1/N`,
/// which is that when all ranks count the same items (checked, on every rank).
package final class GradientReducer: @unchecked Sendable {
    package let communicator: Communicator
    let parameters: [(name: String, parameter: Parameter)]
    private let names: [ObjectIdentifier: String]
    private let bucketLimit: Int
    private var sent: Set<ObjectIdentifier> = []
    private var sentDuringBackward = false
    private let thread = CommunicationThread()
    private let timingLock = NSLock()
    private var communicationSeconds = 0.0

    /// The buckets of the last step, in the order they were reduced, by parameter name.
    package private(set) var bucketOrder: [[String]] = []
    /// The last step's time in all-reduce calls, and how much of it the caller waited for after backward.
    package private(set) var lastStep: (communication: Double, exposed: Double) = (0, 0)
    /// Whether any rank reported a stop signal to the last ``finish(loss:count:stopSignal:)``.
    package private(set) var stopSignalled = false

    /// - Parameters:
    ///   - parameters: the model's parameters (the walk); duplicates (tied weights) are reduced once.
    ///   - bucketLimit: the most floats one all-reduce carries (a larger group is split).
    package init(communicator: Communicator, parameters: [(name: String, parameter: Parameter)], bucketLimit: Int = 1 << 22) {
        self.communicator = communicator
        self.bucketLimit = max(1, bucketLimit)
        var names: [ObjectIdentifier: String] = [:]
        var unique: [(name: String, parameter: Parameter)] = []
        for p in parameters where names[ObjectIdentifier(p.parameter)] == nil {
            names[ObjectIdentifier(p.parameter)] = p.name
            unique.append(p)
        }
        self.parameters = unique
        self.names = names
    }

    deinit { thread.close() }

    /// Copies rank 0's parameter values to every rank, so all start equal.
    package func broadcastParameters() throws {
        for (_, p) in parameters {
            try p.value.scalars.withUnsafeMutableBytes { try communicator.broadcast($0, root: 0) }
        }
    }

    /// Starts a step: nothing reduced yet.
    package func beginStep() {
        sent = []
        sentDuringBackward = false
        bucketOrder = []
        timingLock.lock(); communicationSeconds = 0; timingLock.unlock()
    }

    /// Backward reports `group` final: its gradients are queued for the
    /// communication thread (called on the training thread, during backward).
    package func ready(_ group: [Parameter]) {
        let fresh = group.filter { names[ObjectIdentifier($0)] != nil && !sent.contains(ObjectIdentifier($0)) }
        guard !fresh.isEmpty else { return }
        fresh.forEach { sent.insert(ObjectIdentifier($0)) }
        sentDuringBackward = true
        let scale = 1 / Float(communicator.size)
        for bucket in buckets(fresh) {
            bucketOrder.append(bucket.map { names[ObjectIdentifier($0)]! })
            thread.enqueue { [self] in try reduce(bucket, scale: scale) }
        }
    }

    /// Ends a step after backward: waits for the queued buckets, sums loss and
    /// counts over the ranks, and reduces the gradients backward did not report.
    ///
    /// - Parameters: `loss` is this rank's mean over its `count` items;
    ///   `stopSignal` whether this rank has been asked to stop (shared as ``stopSignalled``).
    /// - Returns: the mean loss over all ranks' items, and their number.
    package func finish(loss: Double, count: Int, stopSignal: Bool = false) throws -> (loss: Double, count: Int) {
        let waitStart = Date()
        try thread.drain()
        let exposedWait = Date().timeIntervalSince(waitStart)
        var totals = [loss * Double(count), Double(count), Double(count) * Double(count), stopSignal ? 1 : 0]
        try communicator.allReduceSum(&totals)
        stopSignalled = totals[3] != 0
        let total = totals[1], n = Double(communicator.size)
        if sentDuringBackward && totals[2] * n != total * total {
            throw CommunicatorError.disagreement(
                "rank \(communicator.rank): the ranks' batches count different numbers of items (\(count) here, \(Int(total)) in all over \(communicator.size) ranks); "
                + "gradients sent during backward need equal batches on every rank")
        }
        let rest = parameters.map(\.parameter).filter { !sent.contains(ObjectIdentifier($0)) }
        let restStart = Date()
        if !rest.isEmpty {
            let scale = total > 0 ? Float(Double(count) / total) : 0
            for bucket in buckets(rest) {
                bucketOrder.append(bucket.map { names[ObjectIdentifier($0)]! })
                try reduce(bucket, scale: scale)
            }
        }
        timingLock.lock()
        lastStep = (communicationSeconds, exposedWait + Date().timeIntervalSince(restStart))
        timingLock.unlock()
        return (total > 0 ? totals[0] / total : loss, Int(total))
    }

    /// `group` cut into buckets of at most ``bucketLimit`` floats (a larger parameter is a bucket of its own).
    private func buckets(_ group: [Parameter]) -> [[Parameter]] {
        var result: [[Parameter]] = [], current: [Parameter] = [], size = 0
        for p in group {
            if !current.isEmpty && size + p.grad.count > bucketLimit {
                result.append(current)
                current = []
                size = 0
            }
            current.append(p)
            size += p.grad.count
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Packs `bucket`'s gradients times `scale` into one buffer, sums it over the ranks, unpacks it.
    private func reduce(_ bucket: [Parameter], scale: Float) throws {
        let start = Date()
        var flat = [Float](repeating: 0, count: bucket.reduce(0) { $0 + $1.grad.count })
        var offset = 0
        for p in bucket {
            p.grad.withUnsafeBufferPointer { g in
                for i in 0..<g.count { flat[offset + i] = g[i] * scale }
            }
            offset += p.grad.count
        }
        try communicator.allReduceSum(&flat)
        offset = 0
        for p in bucket {
            p.grad.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] = flat[offset + i] }
            }
            offset += p.grad.count
        }
        timingLock.lock(); communicationSeconds += Date().timeIntervalSince(start); timingLock.unlock()
    }
}

/// One thread that runs queued jobs in order; ``drain()`` waits for them and
/// rethrows the first failure (later jobs are then skipped).
final class CommunicationThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() throws -> Void] = []
    private var running = false
    private var failure: Error? = nil
    private var closed = false

    init() {
        let thread = Thread { [self] in loop() }
        thread.stackSize = 4 << 20
        thread.start()
    }

    func enqueue(_ job: @escaping () throws -> Void) {
        condition.lock()
        jobs.append(job)
        condition.broadcast()
        condition.unlock()
    }

    func drain() throws {
        condition.lock()
        defer { condition.unlock() }
        while !jobs.isEmpty || running { condition.wait() }
        if let f = failure {
            failure = nil
            throw f
        }
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        while true {
            while jobs.isEmpty && !closed { condition.wait() }
            if jobs.isEmpty && closed { break }
            let job = jobs.removeFirst()
            let skip = failure != nil
            running = true
            condition.unlock()
            var error: Error? = nil
            if !skip {
                do { try job() } catch let e { error = e }
            }
            condition.lock()
            if let error, failure == nil { failure = error }
            running = false
            condition.broadcast()
        }
        condition.unlock()
    }
}
