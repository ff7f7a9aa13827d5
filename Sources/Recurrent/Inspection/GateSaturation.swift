/// How often gates sit at their extremes, as in Karpathy, Johnson and
/// Fei-Fei (2015), figure 3: a gate value below 0.1 is left-saturated (the
/// gate is shut), above 0.9 right-saturated (wide open).
public struct GateSaturation: Sendable {
    /// One gate of one unit: the fractions of steps it spent shut and open.
    public struct Unit: Sendable {
        /// The unit's index, `0..<H`.
        public var unit: Int
        /// The fraction of steps with the gate below 0.1 (shut).
        public var leftFraction: Double
        /// The fraction of steps with the gate above 0.9 (open).
        public var rightFraction: Double
    }

    /// The layer, from 0.
    public var layer: Int
    /// The direction: 0 forward, 1 reverse.
    public var direction: Int
    /// The gate's name (LSTM i, f, o; GRU r, z).
    public var gate: String
    /// Every unit's fractions, by unit.
    public var units: [Unit]

    /// The sigmoid gates of a cell (the tanh candidates are not gates).
    public static func sigmoidGates(_ cell: CellKind) -> [(name: String, index: Int)] {
        switch cell {
        case .lstm: return [("i", 0), ("f", 1), ("o", 3)]
        case .gru: return [("r", 0), ("z", 1)]
        case .rnnTanh, .rnnRelu: return []
        }
    }

    /// The saturation of every sigmoid gate of every pass over the steps
    /// `0..<T` of sequence 0 (or the steps listed in `steps`).
    public static func measure(_ passes: [PassActivations], steps: [Int]? = nil,
                               left: Float = 0.1, right: Float = 0.9) -> [GateSaturation] {
        passes.flatMap { p in
            let T = p.gates.shape[0], H = p.outputs.shape[2]
            let use = steps ?? Array(0..<T)
            return sigmoidGates(p.cell).map { gate in
                let units = (0..<H).map { j -> Unit in
                    let series = p.gate(gate.index, unit: j)
                    var shut = 0, open = 0
                    for t in use { if series[t] < left { shut += 1 } else if series[t] > right { open += 1 } }
                    let n = Double(max(use.count, 1))
                    return Unit(unit: j, leftFraction: Double(shut) / n, rightFraction: Double(open) / n)
                }
                return GateSaturation(layer: p.layer, direction: p.direction, gate: gate.name, units: units)
            }
        }
    }
}
