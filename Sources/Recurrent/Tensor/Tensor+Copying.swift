extension Tensor {
    /// A tensor of `shape` holding a copy of the `shape.product` floats at
    /// `pointer` (to hand a buffer a layer owns out of it).
    init(shape: [Int], copying pointer: UnsafePointer<Float>) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, scalars: [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { buffer.baseAddress!.initialize(from: pointer, count: count) }
            initialized = count
        })
    }

    /// Copies the elements to `pointer`, which has room for ``count`` floats.
    func copy(to pointer: UnsafeMutablePointer<Float>) {
        withUnsafeBufferPointer { p in if let base = p.baseAddress { pointer.update(from: base, count: p.count) } }
    }
}
