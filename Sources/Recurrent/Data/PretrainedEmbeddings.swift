import Foundation

/// Word vectors in the GloVe / word2vec text format: one word per line
/// followed by its numbers, separated by spaces; word2vec files start with a
/// "count dimension" line, which is recognised and skipped.
public enum PretrainedEmbeddings {
    /// Copies the vectors of words in `vocabulary` into `weight` (`[V, E]`).
    /// - Returns: how many vocabulary words were found.
    @discardableResult
    public static func load(_ path: String, into weight: Parameter, vocabulary: Vocabulary, lowercase: Bool) throws -> Int {
        let E = weight.shape[1]
        let text = try TextFile.read(path)
        var found = 0
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
            weight.value.scalars.replaceSubrange((id * E)..<((id + 1) * E), with: values)
            seen.insert(id)
            found += 1
        }
        return found
    }
}
