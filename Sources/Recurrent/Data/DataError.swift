/// What is wrong with a user's data file. Each case names the file and, where
/// there is one, the line or byte offset, what was expected and what was found.
public enum DataError: RecurrentError, Equatable {
    /// No file at the path.
    case notFound(path: String)
    /// The path is a folder where a file was expected.
    case isDirectory(path: String)
    /// The file exists but could not be read (`reason` from the system).
    case unreadable(path: String, reason: String)
    /// The file holds nothing to read.
    case empty(path: String)
    /// Bytes that are not UTF-8, at `byteOffset` on `line`.
    case invalidUTF8(path: String, byteOffset: Int, line: Int)
    /// Fewer tokens than one training batch needs.
    case tooShort(path: String, tokens: Int, needed: Int)
    /// A validation file with fewer than the two tokens one prediction needs (an input and its target).
    case tooShortToValidate(path: String, tokens: Int)
    /// A line that is not what the format expects: what was expected and what was found.
    case malformed(path: String, line: Int, expected: String, found: String)
    /// Text for a model holding a symbol its vocabulary lacks.
    case unknownSymbol(text: String, symbol: String)

    /// The message: the file, the line or offset, what was expected and what was found.
    public var description: String {
        switch self {
        case let .notFound(path): return "\(path): no such file"
        case let .isDirectory(path): return "\(path): is a directory; expected a file"
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .empty(path): return "\(path): the file is empty"
        case let .invalidUTF8(path, offset, line):
            return "\(path):\(line): invalid UTF-8 at byte offset \(offset); expected UTF-8 text (convert with iconv)"
        case let .tooShort(path, tokens, needed):
            return "\(path): has \(tokens) tokens, fewer than the \(needed) one training batch needs; use a longer file or a smaller --seq/--batch"
        case let .tooShortToValidate(path, tokens):
            return "\(path): has \(tokens) token\(tokens == 1 ? "" : "s"), fewer than the 2 validation needs (an input and its target); give a longer --valid file"
        case let .malformed(path, line, expected, found):
            return "\(path):\(line): expected \(expected), found \(found)"
        case let .unknownSymbol(text, symbol):
            return "the text \(text.debugDescription) contains \(symbol.debugDescription), which the model's vocabulary does not have"
        }
    }
}
