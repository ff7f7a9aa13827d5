import CKernels
import Foundation
import Testing
@testable import Recurrent

/// The pieces of the recurrent time loop: products with a pre-packed `W_hh`,
/// and the loop split over two threads (the fused cell kernels: CellTests).
@Suite struct TimeLoopKernelTests {
    @Test("packed products match the oracle for every instruction set", arguments: CPU.supportedISAs.map(\.rawValue))
    func packedProductsMatchOracle(isaRaw: UInt32) {
        let isa = ck_isa(rawValue: isaRaw)
        let shapes = [(1, 1, 1), (5, 31, 7), (12, 32, 256), (13, 33, 64), (32, 512, 256), (20, 416, 200), (37, 100, 1024), (64, 65, 3)]
        for (m, n, k) in shapes {
            for transB in [false, true] {
                for beta: Float in [0, 1] {
                    let lda = k + 3, ldc = n + 2, ldb = (transB ? k : n) + 1
                    let a = randomTensor([m * lda], seed: 11), b = randomTensor([(transB ? n : k) * ldb], seed: 12)
                    let c0 = randomTensor([m * ldc], seed: 13)
                    var expected = c0, actual = c0
                    var packed = Tensor(shape: [Int(ck_packed_b_count(isa, k, n)) + 16])
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            expected.withUnsafeMutableBufferPointer { pe in
                                naiveGEMM(transA: false, transB: transB, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: lda,
                                          b: pb.baseAddress!, ldb: ldb, beta: beta, c: pe.baseAddress!, ldc: ldc)
                            }
                            packed.withUnsafeMutableBufferPointer { pp in
                                // The kernel loads panels with aligned instructions: align the start.
                                let raw = UInt(bitPattern: pp.baseAddress!)
                                let p = pp.baseAddress! + Int((64 - raw % 64) % 64) / 4
                                ck_pack_b(isa, transB ? 1 : 0, k, n, pb.baseAddress!, ldb, p)
                                actual.withUnsafeMutableBufferPointer { pc in
                                    ck_sgemm_packed(isa, m, n, k, pa.baseAddress!, lda, p, beta, pc.baseAddress!, ldc)
                                }
                            }
                        }
                    }
                    let what = "\(CPU.name(of: isa)) \(m)x\(n)x\(k) transB=\(transB) beta=\(beta)"
                    for i in 0..<m { for j in n..<ldc { #expect(actual.scalars[i * ldc + j] == c0.scalars[i * ldc + j], "\(what) wrote outside C") } }
                    expectClose(actual, expected, atol: 1e-4 * Float(k).squareRoot(), rtol: 1e-5, what)
                }
            }
        }
    }

    /// A layer large enough for the time loop to split its units over two
    /// threads gives bit-for-bit the outputs and gradients of the same layer
    /// run on one thread (inside parallel work, where the loop does not split).
    /// Its agreement with PyTorch is the parity suite's business.
    @Test("the time loop split over two threads equals one thread", arguments: CellKind.allCases)
    func splitLoopEqualsOneThread(cell: CellKind) throws {
        Self.expectSplitEqualsOneThread(cell: cell, T: 7, I: 24) { rng in
            RecurrentLayer(cell: cell, inputSize: 24, hiddenSize: 100, layers: 2, rng: &rng)
        }
    }

    /// The layer `make` builds, run forward and backward over a batch of 104
    /// ragged sequences of `T` steps in training mode (hidden size 100: large
    /// enough to split), gives bit-for-bit the same outputs, states and
    /// gradients with the time loop split over two threads and on one thread.
    static func expectSplitEqualsOneThread(cell: CellKind, T: Int, I: Int, _ make: (inout SeededRNG) -> RecurrentLayer) {
        let B = 104
        func run(split: Bool) -> [Tensor] {
            var rng = SeededRNG(seed: 5)
            let layer = make(&rng)
            #expect(RecurrentPass.worthSplitting(B: B, G: cell.gateCount, H: layer.hiddenSize))
            let x = randomTensor([T, B, I], seed: 31)
            let lengths = (0..<B).map { b in b % 3 == 0 ? T : 1 + b % T }
            var out: [Tensor] = []
            let body = {
                let (y, final, trace) = layer.forward(x, lengths: lengths, initial: nil, training: true, rng: &rng)
                let dy = randomTensor(y.shape, seed: 32)
                let dx = layer.backward(trace, gradOutput: dy, gradFinal: nil).gradInput
                out = [y, final.h, dx] + layer.namedParameters.map(\.parameter.grad)
            }
            if split { body() } else { Threads.pair { if $0 == 0 { body() } } }
            return out
        }
        // The built-in kernel for every product, so only the split differs between the runs.
        let (two, one) = GEMMBackend.$override.withValue(.builtin) { (run(split: true), run(split: false)) }
        for (i, (a, b)) in zip(two, one).enumerated() {
            #expect(a.scalars == b.scalars, "\(cell): result \(i) differs by up to \(a.maxAbsDifference(b)) between split and unsplit")
        }
    }

    /// The team's contract: both members run, a barrier orders their phases,
    /// a second caller is turned away while the team is busy, and the helper
    /// wakes again after sleeping.
    @Test(.enabled(if: WorkTeam.shared != nil, "one thread (RNN_THREADS=1 or one core): no team to test"))
    func workTeamRunsSyncsAndRefusesASecondCaller() throws {
        let team = try #require(WorkTeam())
        let phases = 50
        let logged = UnsafeMutablePointer<Int>.allocate(capacity: 2)     // phases each member has logged
        logged.initialize(repeating: 0, count: 2)
        defer { logged.deallocate() }
        let behind = UnsafeMutablePointer<Int>.allocate(capacity: 2)     // times a member saw the other behind
        behind.initialize(repeating: 0, count: 2)
        defer { behind.deallocate() }
        var refused = false
        team.run { member in
            if member == 0 { refused = !team.tryRun { _ in } }
            for phase in 0..<phases {
                logged[member] = phase + 1
                team.sync()
                // After the barrier the other member has logged this phase too.
                if logged[1 - member] < phase + 1 { behind[member] += 1 }
                team.sync()
            }
        }
        #expect(refused, "tryRun must refuse while the team is running")
        #expect(logged[0] == phases && logged[1] == phases)
        #expect(behind[0] == 0 && behind[1] == 0, "a member passed the barrier before the other arrived")
        // Wait until the helper has gone to sleep, then run again: with a
        // barrier, so the helper itself must wake and take member 1.
        let asleep = ContinuousClock.now + .seconds(10)
        while !team.helperIsAsleep && ContinuousClock.now < asleep { sched_yield() }
        #expect(team.helperIsAsleep, "the idle helper never went to sleep")
        var ran = [false, false]
        #expect(team.tryRun(barriers: true) { ran[$0] = true; team.sync() })
        #expect(ran == [true, true])
        // Without a barrier the caller may run member 1 itself; both still run once.
        let count = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        count.initialize(repeating: 0, count: 2)
        defer { count.deallocate() }
        for _ in 0..<1000 { team.run { count[$0] += 1 } }
        #expect(count[0] == 1000 && count[1] == 1000)
    }
}
