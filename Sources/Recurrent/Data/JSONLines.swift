import Foundation

/// JSON Lines (`.jsonl`, `.ndjson`): one JSON object per line, blank lines ignored.
public enum JSONLines {
    /// Whether `text` is JSON Lines: the extension says so, or its first non-blank line is a JSON object.
    public static func isJSONLines(_ text: String, path: String) -> Bool {
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return true }
        guard let first = text.split(separator: "\n").first(where: { !$0.allSatisfy(\.isWhitespace) }) else { return false }
        let t = first.trimmingCharacters(in: .whitespaces)
        return t.hasPrefix("{") && t.hasSuffix("}") && (try? JSONSerialization.jsonObject(with: Data(t.utf8))) is [String: Any]
    }

    /// Each non-blank line's object with its 1-based line number.
    public static func objects(_ text: String, path: String) throws -> [(line: Int, object: [String: Any])] {
        var out: [(line: Int, object: [String: Any])] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw DataError.malformed(path: path, line: i + 1, expected: "one JSON object per line (JSON Lines)",
                                          found: String(line.prefix(40)).debugDescription)
            }
            out.append((i + 1, object))
        }
        return out
    }

    /// A string, number or boolean as the text a label is compared by; nil for arrays and objects.
    static func scalarText(_ value: Any) -> String? {
        if let s = value as? String { return s.trimmingCharacters(in: .whitespaces) }
        if let n = value as? NSNumber {
            // JSON true/false arrive as a boolean NSNumber subclass (__NSCFBoolean on Linux and Darwin).
            if String(describing: type(of: n)).contains("Boolean") { return n.boolValue ? "true" : "false" }
            return n.stringValue
        }
        return nil
    }
}
