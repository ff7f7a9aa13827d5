import CKernels
import Foundation

/// A class of matrix products that share a best backend: which operand is
/// transposed, and the size: small (one thread, microseconds), thin (one
/// dimension below 128, such as a 64-wide embedding or a 65-letter output
/// layer) or large.
///
/// A recurrent training step has three layouts: `X W^T` (input projection and
/// output layer, `NT`), `dY W` (input gradients, `NN`) and `dY^T X` (weight
/// gradients, `TN`).
struct GEMMShapeClass: Hashable, CaseIterable, CustomStringConvertible, Sendable {
    enum Layout: String, CaseIterable, Sendable { case nn = "NN", nt = "NT", tn = "TN", tt = "TT" }
    enum Size: String, CaseIterable, Sendable { case small, thin, large }
    var layout: Layout
    var size: Size

    /// Products of fewer flops than this run on one thread and are "small".
    static let largeFlops = 1_000_000.0
    /// A product with a dimension below this is "thin".
    static let thinDimension = 128

    init(layout: Layout, size: Size) {
        self.layout = layout
        self.size = size
    }

    init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) {
        switch (transA, transB) {
        case (false, false): layout = .nn
        case (false, true): layout = .nt
        case (true, false): layout = .tn
        case (true, true): layout = .tt
        }
        if 2.0 * Double(m) * Double(n) * Double(k) < Self.largeFlops {
            size = .small
        } else {
            size = min(m, n, k) < Self.thinDimension ? .thin : .large
        }
    }

    static let allCases: [GEMMShapeClass] =
        Layout.allCases.flatMap { l in Size.allCases.map { GEMMShapeClass(layout: l, size: $0) } }

    var description: String { "\(layout.rawValue)-\(size.rawValue)" }

    var transA: Bool { layout == .tn || layout == .tt }
    var transB: Bool { layout == .nt || layout == .tt }

    /// The product timed for this class: one that a training step of a
    /// character LSTM (T x B = 2048 rows, 64-wide input, 256 units, 4 gates) runs.
    var representative: (m: Int, n: Int, k: Int) {
        switch (size, layout) {
        case (.small, _): return (m: 32, n: 64, k: 64)
        case (.thin, .nn): return (m: 2048, n: 64, k: 1024)    // input gradient of a 64-wide layer
        case (.thin, .nt): return (m: 2048, n: 1024, k: 64)    // input projection of a 64-wide layer
        case (.thin, _): return (m: 1024, n: 64, k: 2048)      // its weight gradient
        case (.large, .nn): return (m: 2048, n: 256, k: 1024)
        case (.large, .nt): return (m: 2048, n: 1024, k: 256)
        case (.large, _): return (m: 1024, n: 256, k: 2048)
        }
    }
}

/// Which GEMM backend serves which class of products, decided by timing them
/// on this machine (one thread each), and why.
///
/// OpenBLAS is not always the faster library: a build that does not recognise
/// the CPU falls back to old SSE kernels (Debian 12's 0.3.21 reports the core
/// `Prescott` on some newer Xeons and runs 4-7x slower than the built-in
/// kernel). So a backend is preferred only for the classes where it measured
/// faster, by a margin, and never when its reported core is below the CPU's
/// instruction set.
struct GEMMCalibration: Codable, Equatable, Sendable {
    /// What the timings depend on: the CPU model and features, the built-in
    /// kernel's instruction set, OpenBLAS's build, the package version.
    var key: String
    /// Seconds per product, by class and backend.
    var seconds: [String: [String: Double]]
    /// The backend per class (`GEMMShapeClass.description` -> `GEMMBackend.rawValue`).
    var choices: [String: String]
    /// Backends left out before timing, with the reason.
    var excluded: [String: String]

    /// A challenger replaces the built-in kernel only when it is this much faster,
    /// so timing noise does not flip the choice between runs.
    static let margin = 0.9

    /// One single-threaded GEMM implementation to time.
    struct Candidate {
        var backend: GEMMBackend
        var kernel: GEMMKernel
    }

    /// Times every candidate on each class's representative product and picks,
    /// per class, the built-in kernel unless another is faster by ``margin``.
    static func measure(key: String, candidates: [Candidate], excluded: [String: String] = [:],
                        repetitions: Int = 3) -> GEMMCalibration {
        var seconds: [String: [String: Double]] = [:]
        for shape in GEMMShapeClass.allCases {
            let (m, n, k) = shape.representative
            var rng = SeededRNG(seed: 7)
            let a = Tensor.uniform([m * k], low: -1, high: 1, rng: &rng)
            let b = Tensor.uniform([k * n], low: -1, high: 1, rng: &rng)
            var c = Tensor.zeros([m * n])
            let transA = shape.transA, transB = shape.transB
            let lda = transA ? m : k, ldb = transB ? k : n
            // Small products take microseconds: time a batch of them.
            let inner = shape.size == .small ? 200 : 1
            // The candidates take turns, so a busy moment of a shared machine falls on all of them;
            // the best of the turns counts (the first turn only warms caches and pages).
            var best = [Double](repeating: .infinity, count: candidates.count)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        for turn in 0...repetitions {
                            for (i, candidate) in candidates.enumerated() {
                                let start = DispatchTime.now().uptimeNanoseconds
                                for _ in 0..<inner {
                                    candidate.kernel(transA, transB, m, n, k, 1, pa.baseAddress!, lda, pb.baseAddress!, ldb, 0,
                                                     pc.baseAddress!, n)
                                }
                                let t = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(inner)
                                if turn > 0 { best[i] = min(best[i], t) }
                            }
                        }
                    }
                }
            }
            for (i, candidate) in candidates.enumerated() { seconds[shape.description, default: [:]][candidate.backend.rawValue] = best[i] }
        }
        return GEMMCalibration(key: key, seconds: seconds, choices: choose(seconds), excluded: excluded)
    }

    /// The choice rule on measured times: per class, the fastest backend if it
    /// beats the built-in kernel by ``margin``, else the built-in kernel.
    static func choose(_ seconds: [String: [String: Double]]) -> [String: String] {
        var choices: [String: String] = [:]
        for (shape, times) in seconds {
            let own = times[GEMMBackend.builtin.rawValue] ?? .infinity
            var pick = GEMMBackend.builtin.rawValue
            if let (name, t) = times.filter({ $0.key != pick }).min(by: { $0.value < $1.value }), t.isFinite, t < own * margin {
                pick = name
            }
            choices[shape] = pick
        }
        return choices
    }

    /// The backend for a product of class `shape` (the built-in kernel for a class not timed).
    func backend(for shape: GEMMShapeClass) -> GEMMBackend {
        choices[shape.description].flatMap(GEMMBackend.init(rawValue:)) ?? .builtin
    }

    /// Lines for `rnn info`: which backend serves which products, with the times that decided it.
    var explanation: [String] {
        var lines: [String] = []
        for shape in GEMMShapeClass.allCases {
            guard let times = seconds[shape.description] else { continue }
            let timing = times.sorted { $0.key < $1.key }
                .map { String(format: "%@ %.1f us", $0.key, $0.value * 1e6) }.joined(separator: ", ")
            lines.append("\(shape): \(backend(for: shape)) (\(timing))")
        }
        for (name, why) in excluded.sorted(by: { $0.key < $1.key }) { lines.append("\(name) not used: \(why)") }
        return lines
    }

    // MARK: - Cache

    /// Reads a cached calibration for `key` from `path`; nil when absent,
    /// unreadable, malformed or made for another key (then it is measured again).
    static func cached(at path: String, key: String) -> GEMMCalibration? {
        // Only a regular file of sensible size: a FIFO or device put there must not block or flood the start-up.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              (attributes[.size] as? NSNumber)?.intValue ?? .max < 1 << 20,
              let data = FileManager.default.contents(atPath: path),
              let c = try? JSONDecoder().decode(GEMMCalibration.self, from: data), c.key == key else { return nil }
        return c
    }

    /// Writes this calibration to `path` (a temporary file, then a rename). A
    /// cache that cannot be written is not an error: the next run measures again.
    func save(to path: String) {
        let url = URL(fileURLWithPath: path)
        // Replace only a regular file (or nothing): never a FIFO, device or folder a user put there.
        if let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType,
           type != .typeRegular { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(self) else { return }
        let folder = url.deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: data) else { return }
        if rename(temp, path) != 0 { unlink(temp) }
    }
}
