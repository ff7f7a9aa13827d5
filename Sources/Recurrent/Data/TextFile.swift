import Foundation

/// Reading user text files: existence, folders, emptiness and UTF-8 are
/// checked, and each problem is a ``DataError`` naming the file.
public enum TextFile {
    /// The file's contents as a string. A leading byte-order mark is dropped
    /// and Windows line endings become `\n`.
    public static func read(_ path: String) throws -> String {
        try decode(try bytes(path), path: path)
    }

    /// The file's bytes, after checking that it exists and is not a folder.
    public static func bytes(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw DataError.notFound(path: path) }
        if isDirectory.boolValue { throw DataError.isDirectory(path: path) }
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    /// Decodes `data` as UTF-8 text (see ``read(_:)``); `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> String {
        if data.isEmpty { throw DataError.empty(path: path) }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let offset = firstInvalidUTF8(bytes) {
            let line = bytes[..<offset].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw DataError.invalidUTF8(path: path, byteOffset: offset + (data.count - bytes.count), line: line)
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.utf8.contains(0x0D) { text = text.replacingOccurrences(of: "\r\n", with: "\n") }
        if text.isEmpty { throw DataError.empty(path: path) }
        return text
    }

    /// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): offset += UTF8.width(s)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
