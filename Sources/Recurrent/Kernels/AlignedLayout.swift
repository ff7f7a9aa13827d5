/// The plan of one 64-byte-aligned allocation carved into typed regions, each
/// starting on a 64-byte boundary: for an owner that allocates its buffers
/// once and hands out pointers that stay valid for its whole lifetime (as
/// llm.c's activation structs do). Reserve every region, allocate once, bind
/// each region to its type; the owner deallocates the block in `deinit`.
///
/// ```swift
/// var layout = AlignedLayout()
/// let a = layout.reserve(Float.self, count: n), b = layout.reserve(Int.self, count: m)
/// let memory = layout.allocate()
/// let pa = memory.region(at: a, Float.self, count: n)
/// ```
struct AlignedLayout {
    static let alignment = 64
    /// The bytes reserved so far, a multiple of ``alignment``.
    private(set) var byteCount = 0

    /// Reserves room for `count` values of `T`; returns the region's byte offset.
    mutating func reserve<T>(_: T.Type, count: Int) -> Int {
        let offset = byteCount
        let bytes = count * MemoryLayout<T>.stride
        byteCount += (bytes + Self.alignment - 1) / Self.alignment * Self.alignment
        return offset
    }

    /// One uninitialised block holding every region reserved.
    func allocate() -> UnsafeMutableRawPointer {
        .allocate(byteCount: max(byteCount, Self.alignment), alignment: Self.alignment)
    }
}

extension UnsafeMutableRawPointer {
    /// The region at `offset` bytes, bound to `count` values of `T`.
    func region<T>(at offset: Int, _ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        (self + offset).bindMemory(to: type, capacity: count)
    }
}
