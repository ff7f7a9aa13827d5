import Foundation

/// Word vectors in the GloVe / word2vec text format: one word per line
/// followed by its numbers, separated by spaces; word2vec files start with a
/// "count dimension" line, which is recognised and skipped.
public enum PretrainedEmbeddings {
    /// The vectors of the words of `vocabulary` found in `path`, `E` numbers each.
    /// - Returns: `vectors` `[V, E]` (row `id` holds the word's vector, zeros
    ///   for words not found) and the ids `found`, in the order they appear in the file;
    ///   the model copies those rows into its embedding.
    public static func load(_ path: String, vocabulary: Vocabulary, dimension E: Int, lowercase: Bool) throws -> (vectors: Tensor, found: [Int]) {
        let text = try TextFile.read(path)
        var vectors = Tensor.zeros([vocabulary.count, E])
        var found: [Int] = []
        var seen = Set<Int>()
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = i + 1
            let parts = raw.split(separator: " ", omittingEmptySubsequences: true)
            if parts.isEmpty { continue }
            if line == 1 && parts.count == 2 && Int(parts[0]) != nil && Int(parts[1]) != nil {
                guard Int(parts[1]) == E else {
                    throw DataError.malformed(path: path, line: 1, expected: "vectors of dimension \(E) (the embedding size)", found: "dimension \(parts[1])")
                }
                continue
            }
            guard parts.count == E + 1 else {
                throw DataError.malformed(path: path, line: line, expected: "a word and \(E) numbers", found: "\(parts.count - 1) numbers")
            }
            let word = lowercase ? parts[0].lowercased() : String(parts[0])
            guard let id = vocabulary.id(word), !seen.contains(id) else { continue }
            var values = [Float]()
            values.reserveCapacity(E)
            for p in parts.dropFirst() {
                guard let v = Float(p), v.isFinite else {
                    throw DataError.malformed(path: path, line: line, expected: "a number", found: "'\(p)'")
                }
                values.append(v)
            }
            vectors.scalars.replaceSubrange((id * E)..<((id + 1) * E), with: values)
            seen.insert(id)
            found.append(id)
        }
        return (vectors, found)
    }
}
