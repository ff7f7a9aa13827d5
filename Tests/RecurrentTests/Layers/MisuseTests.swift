import Testing
@testable import Recurrent

/// API misuse stops the process with a message that names the layer and both shapes.
@Suite struct MisuseTests {
    @Test func wrongInputWidthNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var rng = SeededRNG(seed: 1)
            let lstm = RecurrentLayer(cell: .lstm, inputSize: 64, hiddenSize: 8, rng: &rng)
            _ = lstm.forward(Tensor.zeros([20, 8, 65]))
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("LSTM(64 => 8) expects x of [T, B, 64], got [20, 8, 65]"), "\(stderr)")
    }

    @Test func wrongStateShapeNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var rng = SeededRNG(seed: 1)
            let gru = RecurrentLayer(cell: .gru, inputSize: 4, hiddenSize: 8, layers: 2, rng: &rng)
            _ = gru.forward(Tensor.zeros([5, 3, 4]), initial: RecurrentState(h: .zeros([1, 3, 8])))
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("expects an initial h of [2, 3, 8], got [1, 3, 8]"), "\(stderr)")
    }

    @Test func lengthBeyondTIsRefused() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var rng = SeededRNG(seed: 1)
            let rnn = RecurrentLayer(cell: .rnnTanh, inputSize: 4, hiddenSize: 8, rng: &rng)
            _ = rnn.forward(Tensor.zeros([5, 2, 4]), lengths: [5, 6])
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("lengths [5, 6] must lie in 0...5 (x is [5, 2, 4])"), "\(stderr)")
    }

    @Test func missingCellStateIsRefused() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var rng = SeededRNG(seed: 1)
            let lstm = RecurrentLayer(cell: .lstm, inputSize: 4, hiddenSize: 8, rng: &rng)
            _ = lstm.forward(Tensor.zeros([5, 2, 4]), initial: RecurrentState(h: .zeros([1, 2, 8])))
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("LSTM(4 => 8) expects an initial c of [1, 2, 8], got []"), "\(stderr)")
    }

    @Test func linearWrongWidth() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var rng = SeededRNG(seed: 1)
            _ = Linear(inputSize: 3, outputSize: 2, rng: &rng).forward(.zeros([4, 5]))
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("Linear(3 => 2) expects x of [..., 3], got [4, 5]"), "\(stderr)")
    }
}
