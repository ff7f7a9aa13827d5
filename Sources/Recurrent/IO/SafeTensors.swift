import Foundation

/// Why a safetensors file could not be read or written. Each case names the
/// file, the tensor where there is one, and what was expected.
public enum SafeTensorsError: RecurrentError, Equatable {
    /// The file could not be read (`reason` from the system).
    case unreadable(path: String, reason: String)
    /// The file ends before what its header promises.
    case truncated(path: String, expected: String)
    /// The header length is larger than the file or the 100 MB limit.
    case headerTooLarge(path: String, size: UInt64)
    /// The JSON header cannot be parsed: why.
    case malformedHeader(path: String, reason: String)
    /// A tensor's header entry is not valid: why.
    case malformedEntry(path: String, tensor: String, reason: String)
    /// A tensor of an element type other than F32 where F32 is needed.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor's data offsets do not fit its shape or the file.
    case badOffsets(path: String, tensor: String, reason: String)
    /// No tensor of that name.
    case missingTensor(path: String, tensor: String)
    /// The file could not be written: why.
    case unwritable(path: String, reason: String)

    /// The message: the file, the tensor where there is one, what was expected and what was found.
    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .truncated(path, expected):
            return "\(path): file is truncated: expected \(expected)"
        case let .headerTooLarge(path, size):
            return "\(path): header length \(size) is larger than the file or the 100 MB limit; is this a safetensors file?"
        case let .malformedHeader(path, reason):
            return "\(path): malformed safetensors header: \(reason)"
        case let .malformedEntry(path, tensor, reason):
            return "\(path): tensor '\(tensor)': \(reason)"
        case let .unsupportedDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype); expected F32"
        case let .badOffsets(path, tensor, reason):
            return "\(path): tensor '\(tensor)': \(reason)"
        case let .missingTensor(path, tensor):
            return "\(path): no tensor named '\(tensor)'"
        case let .unwritable(path, reason):
            return "\(path): cannot write: \(reason)"
        }
    }
}

/// A safetensors file held in memory: 8 bytes of little-endian header length,
/// a JSON header mapping each tensor name to `dtype`, `shape` and
/// `data_offsets` (plus an optional `__metadata__` of strings), then the raw
/// little-endian data. Every offset is checked when the file is opened, so
/// reading a tensor never reads outside the file.
public struct SafeTensorsFile: Sendable {
    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        /// The element type as safetensors names it (`F32`, `F64`, `I64`, ...).
        public var dtype: String
        /// The dimensions, outermost first.
        public var shape: [Int]
        /// Byte range within the data section.
        public var range: Range<Int>
    }

    /// Where the bytes came from (for messages).
    public let path: String
    /// The `__metadata__` strings.
    public let metadata: [String: String]
    /// Every tensor's entry by name.
    public let entries: [String: Entry]
    /// The data section.
    private let data: Data

    /// Tensor names in data order.
    public var names: [String] { entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }.map(\.key) }

    /// Reads and validates the file at `path`.
    public init(contentsOf path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SafeTensorsError.unreadable(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw SafeTensorsError.unreadable(path: path, reason: "is a directory, expected a .safetensors file") }
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SafeTensorsError.unreadable(path: path, reason: error.localizedDescription)
        }
        try self.init(bytes: bytes, path: path)
    }

    /// Validates `bytes` as a safetensors file; `path` is used in messages.
    public init(bytes: Data, path: String) throws {
        self.path = path
        let bytes = Data(bytes)   // rebase indices at 0
        guard bytes.count >= 8 else {
            throw SafeTensorsError.truncated(path: path, expected: "an 8-byte header length, found \(bytes.count) bytes")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= 100_000_000 else { throw SafeTensorsError.headerTooLarge(path: path, size: headerLength) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafeTensorsError.truncated(path: path, expected: "a \(headerLength)-byte header, found \(bytes.count - 8) bytes after the length")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<headerEnd), options: [])
        } catch {
            throw SafeTensorsError.malformedHeader(path: path, reason: "not valid JSON")
        }
        guard let header = json as? [String: Any] else {
            throw SafeTensorsError.malformedHeader(path: path, reason: "expected a JSON object")
        }
        // JSONSerialization keeps the last of two equal keys; the format (and Python's reader) refuses them.
        if let name = Self.duplicateKey(in: bytes.subdata(in: 8..<headerEnd)) {
            throw SafeTensorsError.malformedHeader(path: path, reason: "the name '\(name)' appears twice")
        }
        let dataCount = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw SafeTensorsError.malformedHeader(path: path, reason: "__metadata__ must be an object of strings")
                }
                for (k, v) in m {
                    guard let s = v as? String else {
                        throw SafeTensorsError.malformedHeader(path: path, reason: "__metadata__ value for '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries[name] = try Self.entry(name, value, path: path, dataCount: dataCount)
        }
        // Offsets must not overlap (the format also asks for no holes; we only refuse overlaps).
        let sorted = entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.value.range.upperBound > b.value.range.lowerBound {
            throw SafeTensorsError.badOffsets(path: path, tensor: b.key, reason: "data overlaps tensor '\(a.key)'")
        }
        self.metadata = metadata
        self.entries = entries
        self.data = bytes.subdata(in: headerEnd..<bytes.count)
    }

    private static func entry(_ name: String, _ value: Any, path: String, dataCount: Int) throws -> Entry {
        guard let e = value as? [String: Any] else {
            throw SafeTensorsError.malformedEntry(path: path, tensor: name, reason: "expected an object with dtype, shape and data_offsets")
        }
        guard let dtype = e["dtype"] as? String else {
            throw SafeTensorsError.malformedEntry(path: path, tensor: name, reason: "missing dtype")
        }
        guard let shapeAny = e["shape"] as? [Any], let shape = Self.integers(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
            throw SafeTensorsError.malformedEntry(path: path, tensor: name, reason: "shape must be a list of non-negative integers")
        }
        guard let offAny = e["data_offsets"] as? [Any], let off = Self.integers(offAny), off.count == 2 else {
            throw SafeTensorsError.malformedEntry(path: path, tensor: name, reason: "data_offsets must be two integers")
        }
        guard off[0] >= 0, off[0] <= off[1], off[1] <= dataCount else {
            throw SafeTensorsError.badOffsets(path: path, tensor: name,
                                              reason: "data_offsets [\(off[0]), \(off[1])] outside the \(dataCount) data bytes")
        }
        let width: Int
        switch dtype {
        case "F64", "I64", "U64": width = 8
        case "F32", "I32", "U32": width = 4
        case "F16", "BF16", "I16", "U16": width = 2
        case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": width = 1
        default: throw SafeTensorsError.unsupportedDType(path: path, tensor: name, dtype: dtype)
        }
        var elements = 1
        for d in shape {
            let (p, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, p <= Int(Int32.max) else {
                throw SafeTensorsError.malformedEntry(path: path, tensor: name, reason: "shape \(shape) is too large")
            }
            elements = p
        }
        guard elements * width == off[1] - off[0] else {
            throw SafeTensorsError.badOffsets(path: path, tensor: name,
                                              reason: "shape \(shape) of \(dtype) needs \(elements * width) bytes, data_offsets give \(off[1] - off[0])")
        }
        return Entry(dtype: dtype, shape: shape, range: off[0]..<off[1])
    }

    /// The first top-level key of the (already validated) JSON object `json`
    /// that occurs twice, or nil.
    static func duplicateKey(in json: Data) -> String? {
        let b = [UInt8](json)
        var i = 0, depth = 0, seen = Set<String>()
        var expectKey = false
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectKey = depth == 1
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                i += 1
            case UInt8(ascii: ","):
                expectKey = depth == 1
                i += 1
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < b.count && b[i] != UInt8(ascii: "\"") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
                if expectKey {
                    expectKey = false
                    let token = Data(b[start..<min(i, b.count)])
                    // Decode escapes so that "a" and "\u0061" count as the same name.
                    guard let wrapped = try? JSONSerialization.jsonObject(with: Data("[".utf8) + token + Data("]".utf8)),
                          let key = (wrapped as? [Any])?.first as? String else { return nil }
                    if !seen.insert(key).inserted { return key }
                }
            default:
                i += 1
            }
        }
        return nil
    }

    /// The values as integers, or nil if any is not a whole number.
    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? Int else { return nil }
            out.append(n)
        }
        return out
    }

    /// The F32 tensor named `name`.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw SafeTensorsError.missingTensor(path: path, tensor: name) }
        guard e.dtype == "F32" else { throw SafeTensorsError.unsupportedDType(path: path, tensor: name, dtype: e.dtype) }
        let count = e.range.count / 4
        var scalars = [Float](repeating: 0, count: count)
        scalars.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[e.range]))
            }
        }
        #if _endian(big)
        for i in scalars.indices { scalars[i] = Float(bitPattern: UInt32(littleEndian: scalars[i].bitPattern)) }
        #endif
        return Tensor(shape: e.shape, scalars: scalars)
    }

    /// Writes `tensors` (in the given order) and `metadata` to `path`, through a
    /// temporary file in the same folder renamed into place, so a crash never
    /// leaves half a file where the old one was.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws {
        try atomicWrite(encode(tensors, metadata: metadata), to: path)
    }

    /// The bytes of a safetensors file holding `tensors` and `metadata`.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) -> Data {
        var parts: [String] = []
        if !metadata.isEmpty {
            let m = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            parts.append("\"__metadata__\":{\(m.joined(separator: ","))}")
        }
        var offset = 0
        for (name, t) in tensors {
            let bytes = t.count * 4
            parts.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(parts.joined(separator: ","))}".utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }     // pad with spaces to align the data
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for (_, t) in tensors {
            t.withUnsafeBufferPointer { p in
                #if _endian(big)
                for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                #else
                out.append(UnsafeBufferPointer(start: p.baseAddress, count: p.count))
                #endif
            }
        }
        return out
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// Writes `data` to a temporary file beside `path`, flushes it, and renames it
/// over `path`: readers see the old file or the new one, never half of either.
package func atomicWrite(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw SafeTensorsError.unwritable(path: path, reason: "folder \(dir) does not exist")
    }
    let temp = dir + "/." + url.lastPathComponent + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw SafeTensorsError.unwritable(path: path, reason: String(cString: strerror(errno))) }
    var ok = true
    var reason = ""
    data.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                ok = false
                reason = String(cString: strerror(errno))
                return
            }
            done += n
        }
    }
    if ok && fsync(fd) != 0 { ok = false; reason = String(cString: strerror(errno)) }
    close(fd)
    guard ok else {
        unlink(temp)
        throw SafeTensorsError.unwritable(path: path, reason: reason)
    }
    guard rename(temp, path) == 0 else {
        let why = String(cString: strerror(errno))
        unlink(temp)
        throw SafeTensorsError.unwritable(path: path, reason: why)
    }
}
