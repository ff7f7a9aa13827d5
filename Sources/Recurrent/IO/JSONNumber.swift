/// `value` as a JSON number: whole numbers below 10^15 without a fraction,
/// others in Swift's shortest round-tripping form, and NaN or infinity as
/// `null` (JSON has no spelling for them). Every `--json` output and metrics
/// line writes numbers through this.
package func jsonNumber(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

/// A `Float` as a JSON number, in its own shortest round-tripping form (`1.1`, not the
/// `1.100000023841858` its `Double` would print); NaN or infinity as `null`.
package func jsonNumber(_ value: Float) -> String {
    guard value.isFinite else { return "null" }
    return value == value.rounded() && abs(value) < 1e7 ? String(Int(value)) : String(value)
}
