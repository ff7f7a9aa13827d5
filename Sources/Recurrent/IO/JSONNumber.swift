/// `value` as a JSON number: whole numbers below 10^15 without a fraction,
/// others in Swift's shortest round-tripping form, and NaN or infinity as
/// `null` (JSON has no spelling for them). Every `--json` output and metrics
/// line writes numbers through this.
package func jsonNumber(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
