import CKernels
import Foundation
import Testing
@testable import Recurrent

/// The GEMM backend is chosen by what each backend does on this machine, not by its presence.
@Suite struct GEMMCalibrationTests {
    /// The built-in kernel, single-threaded.
    nonisolated(unsafe) static let builtin: GEMMKernel = { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
        ck_sgemm(CPU.isa, ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    /// The built-in kernel run `times` times: a backend that is slower by that factor.
    static func slowed(_ times: Int) -> GEMMKernel {
        { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
            for _ in 0..<times { builtin(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) }
        }
    }

    @Test func aSlowBackendIsNeverChosen() {
        let c = GEMMCalibration.measure(key: "test", candidates: [
            .init(backend: .builtin, kernel: Self.builtin), .init(backend: .openblas, kernel: Self.slowed(4)),
        ], repetitions: 1)
        for shape in GEMMShapeClass.allCases {
            #expect(c.backend(for: shape) == .builtin, "\(shape): \(c.seconds[shape.description] ?? [:])")
            #expect(c.seconds[shape.description]?.count == 2)
        }
    }

    @Test func aFasterBackendIsChosen() {
        // Here the built-in kernel is the slow one.
        let c = GEMMCalibration.measure(key: "test", candidates: [
            .init(backend: .builtin, kernel: Self.slowed(4)), .init(backend: .openblas, kernel: Self.builtin),
        ], repetitions: 1)
        for shape in GEMMShapeClass.allCases { #expect(c.backend(for: shape) == .openblas) }
    }

    @Test func theBuiltinKernelKeepsNearTies() {
        let times: [String: [String: Double]] = [
            "NN-large": ["builtin": 1.00, "openblas": 0.95],  // 5% faster: within noise, keep builtin
            "NT-large": ["builtin": 1.00, "openblas": 0.50],  // twice as fast: take it
            "TN-large": ["builtin": 1.00],                    // not timed for openblas
            "TT-small": ["builtin": 1.00, "openblas": .infinity],
        ]
        let choices = GEMMCalibration.choose(times)
        #expect(choices == ["NN-large": "builtin", "NT-large": "openblas", "TN-large": "builtin", "TT-small": "builtin"])
    }

    @Test func productsFallIntoTheirClass() {
        #expect(GEMMShapeClass(transA: false, transB: true, m: 2048, n: 1024, k: 256) == .init(layout: .nt, size: .large))
        #expect(GEMMShapeClass(transA: false, transB: true, m: 2048, n: 65, k: 256) == .init(layout: .nt, size: .thin))
        #expect(GEMMShapeClass(transA: true, transB: false, m: 8, n: 8, k: 8) == .init(layout: .tn, size: .small))
        #expect(GEMMShapeClass(transA: false, transB: false, m: 100, n: 100, k: 50).size == .thin)   // exactly 1e6 flops
        #expect(GEMMShapeClass(transA: false, transB: false, m: 100, n: 100, k: 49).size == .small)
        for shape in GEMMShapeClass.allCases {
            let (m, n, k) = shape.representative
            #expect(GEMMShapeClass(transA: shape.transA, transB: shape.transB, m: m, n: n, k: k) == shape, "\(shape)")
        }
    }

    @Test func anOpenBLASCoreBelowTheCPUIsRefused() {
        #expect(OpenBLAS.coreBelow(core: "Prescott", cpuHasAVX2: true) != nil)
        #expect(OpenBLAS.coreBelow(core: "SANDYBRIDGE", cpuHasAVX2: true) != nil)
        #expect(OpenBLAS.coreBelow(core: "Prescott", cpuHasAVX2: false) == nil)
        #expect(OpenBLAS.coreBelow(core: "Haswell", cpuHasAVX2: true) == nil)
        #expect(OpenBLAS.coreBelow(core: "SkylakeX", cpuHasAVX2: true) == nil)
        #expect(OpenBLAS.coreBelow(core: "Cooperlake", cpuHasAVX2: true) == nil)
    }

    @Test func theCacheIsKeptPerKeyAndMeasuredAgainWhenTheMachineChanges() throws {
        let dir = TrainerTests.tempDir()
        let path = "\(dir)/sub/gemm-calibration.json"
        let c = GEMMCalibration(key: "cpu A | openblas 0.3.21", seconds: ["NN-large": ["builtin": 1, "openblas": 0.5]],
                                choices: ["NN-large": "openblas"], excluded: [:])
        c.save(to: path)
        #expect(GEMMCalibration.cached(at: path, key: c.key) == c)
        #expect(GEMMCalibration.cached(at: path, key: "cpu B | openblas 0.3.21") == nil)
        #expect(GEMMCalibration.cached(at: "\(dir)/absent.json", key: c.key) == nil)
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: path))
        #expect(GEMMCalibration.cached(at: path, key: c.key) == nil)
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/sub") == ["gemm-calibration.json"])
        // A FIFO in its place is neither read (which would block) nor replaced.
        let fifo = "\(dir)/fifo.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(GEMMCalibration.cached(at: fifo, key: c.key) == nil)
        c.save(to: fifo)
        let type = try FileManager.default.attributesOfItem(atPath: fifo)[.type] as? FileAttributeType
        #expect(type != .typeRegular)
    }

    @Test func theKeyNamesTheCPUAndTheLibrary() {
        let key = GEMMBackend.calibrationKey
        #expect(key.contains(CPU.modelName) && key.contains(CPU.name(of: CPU.isa)))
        if let config = OpenBLAS.config { #expect(key.contains(config)) }
    }

    @Test func everyProductIsServedByAnAvailableBackend() {
        for shape in GEMMShapeClass.allCases {
            let (m, n, k) = shape.representative
            #expect(GEMMBackend.serving(transA: shape.transA, transB: shape.transB, m: m, n: n, k: k).isAvailable)
        }
        #expect(!GEMMBackend.explanation.isEmpty)
    }

    @Test func forcingAnUnknownOrMissingBackendIsAnError() throws {
        let bogus = try CLITests.rnn(["info"], environment: ["RNN_BLAS": "mkl"])
        #expect(bogus.status == 64 && bogus.stderr.contains("RNN_BLAS=mkl: expected builtin, openblas or auto"))
        let auto = try CLITests.rnn(["info"], environment: ["RNN_BLAS": "auto"])
        #expect(auto.status == 0)
        if !OpenBLAS.isAvailable {
            let missing = try CLITests.rnn(["info"], environment: ["RNN_BLAS": "openblas"])
            #expect(missing.status == 64 && missing.stderr.contains("OpenBLAS is not installed"))
        } else {
            let forced = try CLITests.rnn(["info"], environment: ["RNN_BLAS": "openblas"])
            #expect(forced.status == 0 && forced.stdout.contains("every product: openblas (forced by RNN_BLAS)"))
        }
    }
}
