import Foundation

/// Reusable, 64-byte-aligned float buffers for temporary storage inside the
/// kernels and layers (packed weights, per-step products), so a training step
/// does not allocate and page-fault fresh memory for them every time.
/// Thread-safe; a buffer is lent to one caller at a time.
enum Scratch {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var idle: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    /// Idle buffers kept at most; more are released.
    private static let keep = 32

    /// Lends `body` a buffer of at least `count` floats (contents undefined).
    static func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let buffer = take(max(count, 16))
        defer { give(buffer) }
        return try body(buffer.pointer)
    }

    private static func take(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        defer { lock.unlock() }
        var best: Int?
        for (i, b) in idle.enumerated() where b.capacity >= count && (best == nil || b.capacity < idle[best!].capacity) {
            best = i
        }
        if let best { return idle.remove(at: best) }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        return (raw.bindMemory(to: Float.self, capacity: count), count)
    }

    private static func give(_ buffer: (pointer: UnsafeMutablePointer<Float>, capacity: Int)) {
        lock.lock()
        defer { lock.unlock() }
        idle.append(buffer)
        if idle.count > keep {
            let smallest = idle.indices.min { idle[$0].capacity < idle[$1].capacity }!
            idle.remove(at: smallest).pointer.deallocate()
        }
    }
}
