/// Parameter counts computed from sizes alone, with overflow-checked
/// arithmetic, before anything is allocated: nil when the count does not fit
/// in an `Int`. A checkpoint's configuration is checked with these against the
/// values the file holds, and the CLI's options against the machine's memory.
public enum ParameterCount {
    /// `a * b * ...`, or nil on overflow or a negative factor.
    public static func product(_ factors: Int...) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = r
        }
        return p
    }

    /// The sum, or nil when a term is nil or the sum overflows.
    public static func sum(_ terms: [Int?]) -> Int? {
        var s = 0
        for t in terms {
            guard let t else { return nil }
            let (r, overflow) = s.addingReportingOverflow(t)
            if overflow { return nil }
            s = r
        }
        return s
    }

    /// ``Embedding``: `[V, E]`.
    public static func embedding(vocabularySize V: Int, embeddingSize E: Int) -> Int? { product(V, E) }

    /// ``Linear`` with bias: `[O, I]` and `[O]`.
    public static func linear(inputSize I: Int, outputSize O: Int) -> Int? { sum([product(O, I), O >= 0 ? O : nil]) }

    /// ``RecurrentLayer``: per layer and direction `weight_ih [G*H, I_l]`,
    /// `weight_hh [G*H, H]` and two biases `[G*H]`; `I_l` is the input size for
    /// layer 0 and `D*H` above it; with `layerNorm`, ``LSTMLayerNorm``'s `18H` more per pass.
    public static func recurrent(cell: CellKind, inputSize I: Int, hiddenSize H: Int, layers L: Int, bidirectional: Bool,
                                 layerNorm: Bool = false) -> Int? {
        let D = bidirectional ? 2 : 1
        guard let GH = product(cell.gateCount, H), let DH = product(D, H), L >= 1 else { return nil }
        let perPass = { (input: Int) in
            sum([product(GH, input), product(GH, H), product(2, GH), layerNorm ? LSTMLayerNorm.parameterCount(hiddenSize: H) : 0])
        }
        return sum([product(D, perPass(I) ?? -1), L > 1 ? product(L - 1, D, perPass(DH) ?? -1) : 0])
    }
}
