import Foundation
import Testing
@testable import Recurrent

/// Loads a committed fixture from the test bundle.
func fixturePath(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
        throw SafeTensorsError.unreadable(path: "Fixtures/\(name).safetensors", reason: "not in the test bundle")
    }
    return url.path
}

/// Loads a committed fixture from the test bundle.
func fixture(_ name: String) throws -> SafeTensorsFile {
    guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
        throw SafeTensorsError.unreadable(path: "Fixtures/\(name).safetensors", reason: "not in the test bundle")
    }
    return try SafeTensorsFile(contentsOf: url.path)
}

/// Expects `|actual - expected| <= atol + rtol * |expected|` elementwise, and
/// reports the worst element when it fails.
func expectClose(_ actual: Tensor, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-5,
                 _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.shape == expected.shape else {
        Issue.record("\(what()): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    var worst = 0, worstExcess: Float = -1
    for i in 0..<actual.count {
        let a = actual.scalars[i], e = expected.scalars[i]
        let excess = abs(a - e) - (atol + rtol * abs(e))
        if !(excess <= 0) && (excess > worstExcess || excess.isNaN) { worst = i; worstExcess = excess.isNaN ? .infinity : excess }
    }
    if worstExcess > 0 {
        Issue.record("\(what()): element \(worst) is \(actual.scalars[worst]), expected \(expected.scalars[worst])",
                     sourceLocation: sourceLocation)
    }
}

/// Random tensor for tests.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SeededRNG(seed: seed)
    return Tensor.uniform(shape, low: -scale, high: scale, rng: &rng)
}

/// Compares each selected parameter's gradient (already computed) with central
/// differences of `loss`, every `stride`-th element, with step `eps`.
func expectGradientsMatchFiniteDifferences(_ parameters: [(name: String, parameter: Parameter)], names: Set<String>,
                                           stride step: Int, eps: Float = 1e-2, what: String = "",
                                           loss: () -> Double, sourceLocation: SourceLocation = #_sourceLocation) {
    for (name, p) in parameters where names.contains(name) {
        for i in stride(from: 0, to: p.value.count, by: step) {
            let saved = p.value.scalars[i]
            p.value.scalars[i] = saved + eps
            let plus = loss()
            p.value.scalars[i] = saved - eps
            let minus = loss()
            p.value.scalars[i] = saved
            let numeric = (plus - minus) / (2 * Double(eps)), analytic = Double(p.grad.scalars[i])
            #expect(abs(numeric - analytic) <= 2e-3 + 2e-2 * abs(analytic), "\(what) \(name)[\(i)]: \(analytic) vs \(numeric)",
                    sourceLocation: sourceLocation)
        }
    }
}

/// The shared data sets (`RNN_DATA_DIR`), for tests that need them: such tests
/// carry `.enabled(if: SharedData.has("set/file"), ...)` and show as skipped
/// where the data is absent.
enum SharedData {
    /// The data directory, when `RNN_DATA_DIR` is set.
    static var directory: String? { DataCatalog.dataDirectory }

    /// Whether every relative path exists under the data directory.
    static func has(_ paths: String...) -> Bool {
        guard let dir = directory else { return false }
        return paths.allSatisfy { FileManager.default.fileExists(atPath: "\(dir)/\($0)") }
    }
}
