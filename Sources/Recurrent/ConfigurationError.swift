/// A setting that cannot work: a model configuration, an optimizer's or a
/// schedule's settings, a training budget, a precision. Each case names the
/// setting, what was expected and, where there is one, the value found.
///
/// Every settings type of the library checks itself the same way, with
/// `validate()`:
///
/// ```swift
/// let config = LanguageModelConfig(level: .char, cell: .lstm, vocabularySize: 65,
///                                  embeddingSize: 64, hiddenSize: 128, layers: 2, dropout: 1)
/// do { try config.validate() }
/// catch { print(error) }        // dropout must lie in [0, 1), got 1.0
/// ```
///
/// A checkpoint whose configuration fails its check is refused with a
/// ``CheckpointError/badMetadata(path:key:reason:)`` that quotes this message.
public enum ConfigurationError: RecurrentError, Equatable {
    /// `setting` holds `value`, which is not what `expected` says:
    /// "dropout must lie in [0, 1), got 1.0".
    case invalidValue(setting: String, value: String, expected: String)
    /// `setting` breaks the rule `expected` (no one value to show):
    /// "vocabulary size must be at least 1", "labels must be distinct".
    case unmetRule(setting: String, expected: String)
    /// No part of `setting` was given; `expected` lists the choices:
    /// "give a training budget: minutes, epochs or steps".
    case missing(setting: String, expected: String)

    /// The setting at fault, as the message names it (`dropout`, `--epochs`, `adaptive softmax cutoffs`).
    public var setting: String {
        switch self {
        case let .invalidValue(setting, _, _), let .unmetRule(setting, _), let .missing(setting, _): return setting
        }
    }

    /// The message: the setting, what was expected and the value found.
    public var description: String {
        switch self {
        case let .invalidValue(setting, value, expected): return "\(setting) \(expected), got \(value)"
        case let .unmetRule(setting, expected): return "\(setting) \(expected)"
        case let .missing(setting, expected): return "give \(setting): \(expected)"
        }
    }
}
