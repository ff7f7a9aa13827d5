import CKernels
import Testing
@testable import Recurrent

/// The cells' fused kernels (CKernels/cells.c, called from RNNCell.swift,
/// LSTMCell.swift and GRUCell.swift) against the plain-Swift reference steps
/// those files hold beside them.
@Suite struct CellTests {
    /// Each instruction set's fused cell kernels (the portable C path
    /// included) agree with the cells' plain-Swift reference steps, forward
    /// and backward, on widths with and without a partial group of lanes and
    /// with gate blocks further apart than the width (a thread's share of the units).
    @Test("fused Elman, LSTM and GRU kernels match the cells' Swift reference steps", arguments: CPU.supportedISAs.map(\.rawValue))
    func fusedCellsMatchReference(isaRaw: UInt32) {
        let isa = ck_isa(rawValue: isaRaw)
        for w in [1, 7, 8, 13, 64] {
            let what = "\(CPU.name(of: isa)) w=\(w)"
            lstmKernelMatchesReference(isa, w: w, what)
            gruKernelMatchesReference(isa, w: w, what)
            for relu in [false, true] { elmanKernelMatchesReference(isa, w: w, relu: relu, what) }
        }
    }

    /// `G` blocks of `w` values from a row whose blocks are `gs` apart.
    static func blocks(_ row: [Float], _ G: Int, w: Int, gs: Int) -> [Float] {
        (0..<G).flatMap { q in row[(q * gs)..<(q * gs + w)] }
    }

    static func expectSame(_ kernel: [Float], _ reference: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectClose(Tensor(shape: [kernel.count], scalars: kernel), Tensor(shape: [reference.count], scalars: reference),
                    atol: 2e-6, rtol: 2e-6, what, sourceLocation: sourceLocation)
    }

    func lstmKernelMatchesReference(_ isa: ck_isa, w: Int, _ what: String) {
        let gs = w + 5
        let a0 = randomTensor([4 * gs], seed: 21, scale: 3).scalars, bias = randomTensor([4 * gs], seed: 20).scalars
        let hp = randomTensor([4 * w], seed: 22, scale: 2).scalars, cp = randomTensor([w], seed: 23).scalars
        let dy = randomTensor([w], seed: 24).scalars, dh0 = randomTensor([w], seed: 25).scalars, dc0 = randomTensor([w], seed: 26).scalars
        var a = a0, c = [Float](repeating: 0, count: w), h = c, y = c, dh = dh0, dc = dc0
        var da = [Float](repeating: 0, count: 4 * gs)
        ck_lstm_forward(isa, w, &a, gs, bias, hp, cp, &c, &h, &y)
        ck_lstm_backward(isa, w, a, gs, cp, c, dy, &dh, &dc, &da)
        let xp = Self.blocks(zip(a0, bias).map(+), 4, w: w, gs: gs)
        let ref = LSTMCell.referenceForward(xp: xp, hp: hp, c: cp)
        Self.expectSame(Self.blocks(a, 4, w: w, gs: gs) + c + h + y, ref.gates + ref.c + ref.h + ref.h, "\(what) LSTM forward")
        let back = LSTMCell.referenceBackward(ReferenceStep(gates: Self.blocks(a, 4, w: w, gs: gs), h: h, c: c), cPrev: cp,
                                              dh: zip(dh0, dy).map(+), dc: dc0)
        Self.expectSame(Self.blocks(da, 4, w: w, gs: gs) + dh + dc, back.dXp + back.dh + back.dc, "\(what) LSTM backward")
    }

    func gruKernelMatchesReference(_ isa: ck_isa, w: Int, _ what: String) {
        let gs = w + 5
        let a0 = randomTensor([3 * gs], seed: 27, scale: 3).scalars, bias = randomTensor([3 * gs], seed: 20).scalars
        let hp = randomTensor([3 * w], seed: 22, scale: 2).scalars, bhn = randomTensor([w], seed: 28).scalars
        let hPrev = randomTensor([w], seed: 23).scalars, dy = randomTensor([w], seed: 24).scalars, dh0 = randomTensor([w], seed: 29).scalars
        var a = a0, hn = [Float](repeating: 0, count: w), h = hn, y = hn, dh = dh0
        var dx = [Float](repeating: 0, count: 3 * gs), dhp = dx
        ck_gru_forward(isa, w, &a, gs, bias, hp, bhn, hPrev, &hn, &h, &y)
        ck_gru_backward(isa, w, a, gs, hPrev, hn, dy, &dh, &dx, &dhp)
        // The reference takes b_hn inside the hidden projection, as W_hh h + b_hh.
        let hpWithBias = Array(hp[0..<(2 * w)]) + zip(hp[(2 * w)...], bhn).map(+)
        let ref = GRUCell.referenceForward(xp: Self.blocks(zip(a0, bias).map(+), 3, w: w, gs: gs), hp: hpWithBias, h: hPrev)
        Self.expectSame(Self.blocks(a, 3, w: w, gs: gs) + hn + h + y, ref.gates + ref.hn + ref.h + ref.h, "\(what) GRU forward")
        let back = GRUCell.referenceBackward(ReferenceStep(gates: Self.blocks(a, 3, w: w, gs: gs), h: h, hn: hn), hPrev: hPrev,
                                             dh: zip(dh0, dy).map(+))
        Self.expectSame(Self.blocks(dx, 3, w: w, gs: gs) + Self.blocks(dhp, 3, w: w, gs: gs) + dh, back.dXp + back.dHp + back.dh,
                        "\(what) GRU backward")
    }

    func elmanKernelMatchesReference(_ isa: ck_isa, w: Int, relu: Bool, _ what: String) {
        let a0 = randomTensor([w], seed: 30, scale: 3).scalars, bias = randomTensor([w], seed: 20).scalars
        let hp = randomTensor([w], seed: 22, scale: 2).scalars
        let dy = randomTensor([w], seed: 24).scalars, dh0 = randomTensor([w], seed: 31).scalars
        var a = a0, h = [Float](repeating: 0, count: w), y = h, dh = dh0, da = h
        // With the bias added by the kernel (tanh) and without (ReLU).
        ck_rnn_forward(isa, w, relu ? 1 : 0, &a, relu ? nil : bias, hp, &h, &y)
        ck_rnn_backward(isa, w, relu ? 1 : 0, h, dy, &dh, &da)
        let ref = RNNCell.referenceForward(xp: relu ? a0 : zip(a0, bias).map(+), hp: hp, relu: relu)
        Self.expectSame(a + h + y, ref.gates + ref.h + ref.h, "\(what) Elman relu=\(relu) forward")
        let back = RNNCell.referenceBackward(ReferenceStep(gates: h, h: h), dh: zip(dh0, dy).map(+), relu: relu)
        Self.expectSame(da + dh, back.dXp + back.dh, "\(what) Elman relu=\(relu) backward")
    }
}
