/// What a model needs from a checkpoint beyond named tensors and metadata:
/// its parameters filled in, and its vocabulary.
extension Checkpoint {
    /// Copies the tensors into `parameters` after checking that the names match
    /// exactly (none missing, none extra besides those under `ignoringPrefixes`),
    /// shapes agree and values are finite (see ``tensors(matching:ignoringPrefixes:)``).
    public func load(into parameters: [(name: String, parameter: Parameter)], ignoringPrefixes: [String] = []) throws {
        let values = try tensors(matching: parameters.map { ($0.name, $0.parameter.shape) }, ignoringPrefixes: ignoringPrefixes)
        for (name, p) in parameters { if let v = values[name] { p.value = v } }
    }

    /// A vocabulary of `tokens` read from this checkpoint, refusing duplicates.
    public func vocabulary(_ tokens: [String]) throws -> Vocabulary {
        guard Set(tokens).count == tokens.count else {
            throw CheckpointError.badMetadata(path: path, key: "vocabulary", reason: "has duplicate tokens")
        }
        return Vocabulary(tokens: tokens)
    }
}
