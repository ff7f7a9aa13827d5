import Foundation

/// Why a checkpoint cannot be used. Each case names the file and what was expected.
public enum CheckpointError: RecurrentError, Equatable {
    /// A safetensors file without Recurrent's `kind` metadata.
    case notACheckpoint(path: String)
    /// A checkpoint of another model kind than the one needed.
    case wrongKind(path: String, found: String, expected: String)
    /// A metadata entry (`config`, `vocabulary`, ...) that cannot be used, and why.
    case badMetadata(path: String, key: String, reason: String)
    /// A tensor the configuration expects is not in the file.
    case missingTensor(path: String, name: String)
    /// The file holds a tensor the configured model does not have.
    case unexpectedTensor(path: String, name: String)
    /// A tensor whose shape differs from the configuration's.
    case shapeMismatch(path: String, name: String, expected: [Int], found: [Int])
    /// A tensor holding NaN or infinite values.
    case nonFinite(path: String, name: String)

    /// The message: the file, and what was expected or what went wrong.
    public var description: String {
        switch self {
        case let .notACheckpoint(path):
            return "\(path): not a Recurrent checkpoint (no 'kind' in its metadata); was it written by `rnn train`?"
        case let .wrongKind(path, found, expected):
            return "\(path): holds a \(found.replacingOccurrences(of: "_", with: " ")), but this command needs a \(expected.replacingOccurrences(of: "_", with: " "))"
        case let .badMetadata(path, key, reason):
            return "\(path): metadata '\(key)': \(reason)"
        case let .missingTensor(path, name):
            return "\(path): tensor '\(name)' is missing; the model's configuration expects it"
        case let .unexpectedTensor(path, name):
            return "\(path): tensor '\(name)' does not belong to the model its configuration describes"
        case let .shapeMismatch(path, name, expected, found):
            return "\(path): tensor '\(name)' has shape \(found), but the configuration gives \(expected)"
        case let .nonFinite(path, name):
            return "\(path): tensor '\(name)' holds NaN or infinite values"
        }
    }
}

/// `value` as JSON with sorted keys: the stable form stored in checkpoint metadata.
/// A non-finite number (which option checks keep out) is written as a string
/// ("nan", "inf", "-inf") instead of failing.
func canonicalJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do { return String(decoding: try encoder.encode(value), as: UTF8.self) } catch {
        return "{\"unencodable\":\(SafeTensorsFile.jsonString(String(describing: error)))}"
    }
}

/// Reads what ``canonicalJSON(_:)`` wrote, its non-finite numbers included
/// (a validation loss of inf, a best score of -inf).
func decodeCanonicalJSON<T: Decodable>(_ type: T.Type, from json: String) throws -> T {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try decoder.decode(type, from: Data(json.utf8))
}

/// A model checkpoint: tensors under PyTorch `state_dict` names in a
/// safetensors file, and in `__metadata__` the model `kind`, its `config`
/// (JSON) and `vocabulary` (JSON list of tokens), plus free-form entries.
public struct Checkpoint: Sendable {
    /// The `format` metadata entry every Recurrent checkpoint carries.
    public static let format = "recurrent-checkpoint/1"

    /// The file it was read from.
    public var path: String
    /// The model kind (`language_model`, `sequence_classifier`, ...), as each model's `kind` names it.
    public var kind: String
    /// The model configuration as JSON.
    public var config: String
    /// The vocabulary's tokens in id order, when the model has one.
    public var vocabulary: [String]?
    /// Every metadata entry, including the ones above.
    public var metadata: [String: String]
    /// The tensors by their PyTorch `state_dict` names.
    public var tensors: [String: Tensor]

    /// Reads `path`, checking that it is a safetensors file holding a Recurrent checkpoint.
    public static func read(_ path: String) throws -> Checkpoint {
        let file = try SafeTensorsFile(contentsOf: path)
        guard let kind = file.metadata["kind"] else { throw CheckpointError.notACheckpoint(path: path) }
        guard let config = file.metadata["config"] else {
            throw CheckpointError.badMetadata(path: path, key: "config", reason: "missing")
        }
        var vocabulary: [String]? = nil
        if let v = file.metadata["vocabulary"] {
            guard let tokens = try? JSONDecoder().decode([String].self, from: Data(v.utf8)) else {
                throw CheckpointError.badMetadata(path: path, key: "vocabulary", reason: "expected a JSON list of strings")
            }
            vocabulary = tokens
        }
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        return Checkpoint(path: path, kind: kind, config: config, vocabulary: vocabulary, metadata: file.metadata, tensors: tensors)
    }

    /// Writes a checkpoint atomically (temporary file, then rename).
    public static func write(kind: String, config: String, vocabulary: [String]?, extra: [String: String] = [:],
                             tensors: [(name: String, tensor: Tensor)], to path: String) throws {
        var metadata = extra
        metadata["format"] = format
        metadata["kind"] = kind
        metadata["config"] = config
        if let vocabulary {
            metadata["vocabulary"] = String(decoding: try JSONEncoder().encode(vocabulary), as: UTF8.self)
        }
        try SafeTensorsFile.write(tensors, metadata: metadata, to: path)
    }

    /// Decodes the configuration JSON.
    public func decodeConfig<C: Decodable>(_ type: C.Type) throws -> C {
        do { return try JSONDecoder().decode(C.self, from: Data(config.utf8)) } catch {
            throw CheckpointError.badMetadata(path: path, key: "config", reason: "cannot be read as \(C.self): \(error)")
        }
    }

    /// Checks the kind is `expected`, decodes the configuration and checks it.
    /// and that the model it describes is no larger than the file's tensors allow.
    public func checkedConfig<C: CheckedConfig>(kind expected: String, _ type: C.Type) throws -> C {
        try require(kind: expected)
        let config = try decodeConfig(C.self)
        try validate(config)
        try requireParameterCount(config.parameterCount)
        return config
    }

    /// Checks `config`, read from this file: its ``ConfigurationError`` becomes a
    /// ``CheckpointError/badMetadata(path:key:reason:)`` naming the file's `config`.
    public func validate(_ config: some CheckedConfig) throws(CheckpointError) {
        do { try config.validate() } catch { throw CheckpointError.badMetadata(path: path, key: "config", reason: error.description) }
    }

    /// Checks the kind is `expected`.
    public func require(kind expected: String) throws {
        guard kind == expected else { throw CheckpointError.wrongKind(path: path, found: kind, expected: expected) }
    }

    /// Throws unless `parameterCount` (computed from the configuration; nil when
    /// it overflows) is at most twice the number of values in the file's model
    /// tensors plus 2^20. Called before the model is allocated, so a
    /// configuration can never ask for much more memory than the file itself
    /// holds; a smaller mismatch (a missing tensor, a wrong shape) is left to
    /// ``load(into:ignoringPrefixes:)``, which names the tensor.
    public func requireParameterCount(_ parameterCount: Int?, ignoringPrefixes: [String] = []) throws {
        let skipped = ignoringPrefixes + (metadata["training_state"] != nil ? ["optimizer.", "carried."] : [])
        let held = tensors.filter { name, _ in !skipped.contains { name.hasPrefix($0) } }.values.reduce(0) { $0 + $1.count }
        guard let parameterCount, parameterCount <= 2 * held + (1 << 20) else {
            throw CheckpointError.badMetadata(path: path, key: "config", reason: "describes a model of \(parameterCount.map(String.init) ?? "too many to count") parameters, but the file's tensors hold \(held) values")
        }
    }

    /// The tensors named in `expected`, after checking that the names match
    /// exactly (none missing, none extra besides those under `ignoringPrefixes`),
    /// shapes agree and values are finite.
    /// A resume file (it has `training_state`) is a model checkpoint too: its
    /// `optimizer.` and `carried.` tensors are skipped.
    public func tensors(matching expected: [(name: String, shape: [Int])], ignoringPrefixes: [String] = []) throws -> [String: Tensor] {
        let ignoringPrefixes = ignoringPrefixes + (metadata["training_state"] != nil ? ["optimizer.", "carried."] : [])
        let names = Set(expected.map(\.name))
        for name in tensors.keys.sorted() where !names.contains(name) && !ignoringPrefixes.contains(where: { name.hasPrefix($0) }) {
            throw CheckpointError.unexpectedTensor(path: path, name: name)
        }
        var found: [String: Tensor] = [:]
        for (name, shape) in expected {
            guard let t = tensors[name] else { throw CheckpointError.missingTensor(path: path, name: name) }
            guard t.shape == shape else { throw CheckpointError.shapeMismatch(path: path, name: name, expected: shape, found: t.shape) }
            guard t.scalars.allSatisfy({ $0.isFinite }) else { throw CheckpointError.nonFinite(path: path, name: name) }
            found[name] = t
        }
        return found
    }
}

/// A model configuration that can say what is wrong with it (``validate()``
/// throws a ``ConfigurationError``) and how many parameters it describes (nil
/// when that overflows).
public protocol CheckedConfig: Decodable {
    /// Throws a ``ConfigurationError`` naming the first setting that cannot build a model.
    func validate() throws(ConfigurationError)
    /// The number of parameters the configuration describes; nil when that overflows `Int`.
    var parameterCount: Int? { get }
}

extension CheckedConfig {
    /// Traps with `owner`'s name and the error when the configuration is invalid:
    /// for initialisers whose callers have validated it already.
    func preconditionValid(_ owner: String) {
        do { try validate() } catch { preconditionFailure("\(owner): \(error)") }
    }
}
