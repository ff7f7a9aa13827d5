/// Ranks hidden units by how well they track properties of the text: the
/// Pearson correlation between a unit's value and the property over every
/// token, best (largest |r|) first.
public enum UnitRanking {
    /// One unit's match with one property.
    public struct Match: Sendable, Equatable {
        /// The property's name (from ``TextProperties``).
        public var property: String
        /// Which series: an index into the `units` given to ``rank(units:properties:top:)``.
        public var unit: Int
        /// The correlation, in [-1, 1] (negative: the unit is low where the property is high).
        public var correlation: Double
    }

    /// The Pearson correlation of `a` and `b` (equal lengths); 0 when either is constant.
    public static func correlation(_ a: [Float], _ b: [Double]) -> Double {
        let n = Double(min(a.count, b.count))
        guard n > 1 else { return 0 }
        var sa = 0.0, sb = 0.0
        for i in 0..<Int(n) { sa += Double(a[i]); sb += b[i] }
        let ma = sa / n, mb = sb / n
        var cov = 0.0, va = 0.0, vb = 0.0
        for i in 0..<Int(n) {
            let da = Double(a[i]) - ma, db = b[i] - mb
            cov += da * db; va += da * da; vb += db * db
        }
        guard va > 1e-12, vb > 1e-12 else { return 0 }
        return cov / (va * vb).squareRoot()
    }

    /// For each property, the `top` units whose values correlate best with it,
    /// properties ordered by their best unit's |r|.
    ///
    /// - Parameters:
    ///   - units: one series per unit, each with one value per token.
    ///   - properties: from ``TextProperties/of(_:)`` (or your own), one value per token.
    public static func rank(units: [[Float]], properties: [(name: String, values: [Double])], top: Int = 5) -> [[Match]] {
        let ranked = properties.map { property in
            units.indices.map { Match(property: property.name, unit: $0, correlation: correlation(units[$0], property.values)) }
                .sorted { (abs($0.correlation), -$0.unit) > (abs($1.correlation), -$1.unit) }
                .prefix(top).map { $0 }
        }
        return ranked.filter { !$0.isEmpty }.sorted { abs($0[0].correlation) > abs($1[0].correlation) }
    }
}
