/// What is wrong with a user's data file. Each case names the file and, where
/// there is one, the line or byte offset, what was expected and what was found.
public enum DataError: RecurrentError, Equatable {
    case notFound(path: String)
    case isDirectory(path: String)
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case invalidUTF8(path: String, byteOffset: Int, line: Int)
    case tooShort(path: String, tokens: Int, needed: Int)
    case malformed(path: String, line: Int, expected: String, found: String)
    case unknownSymbol(text: String, symbol: String)

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
        case let .malformed(path, line, expected, found):
            return "\(path):\(line): expected \(expected), found \(found)"
        case let .unknownSymbol(text, symbol):
            return "the text \(text.debugDescription) contains \(symbol.debugDescription), which the model's vocabulary does not have"
        }
    }
}
