import Foundation

/// What is wrong with a feature file or its captions; the message names the file and the row.
public struct FeatureFileError: RecurrentError, Equatable {
    /// The whole message, naming the file and the row.
    public let description: String
}

/// Feature vectors, one row per example (an image's features, say), from
/// `.safetensors` (one F32 tensor, or the one named `features`), `.npy`
/// (little-endian float32 or float64, C order) or CSV/TSV (one row of numbers
/// per line). Every file gives a `[N, F]` tensor; rows count from 0.
public enum FeatureFile {
    /// Reads `path` by its extension and checks that it is 2-D, non-empty and finite.
    public static func read(_ path: String) throws -> Tensor {
        let lower = path.lowercased()
        let t: Tensor
        if lower.hasSuffix(".safetensors") {
            t = try readSafeTensors(path)
        } else if lower.hasSuffix(".npy") {
            t = try readNPY(path)
        } else {
            t = try readDelimited(path)
        }
        guard t.rank == 2, t.shape[0] > 0, t.shape[1] > 0 else {
            throw FeatureFileError(description: "\(path): expected a 2-D array of features [rows, width], found shape \(t.shape)")
        }
        let F = t.shape[1]
        if let bad = t.scalars.firstIndex(where: { !$0.isFinite }) {
            throw FeatureFileError(description: "\(path): row \(bad / F) holds \(t.scalars[bad].isNaN ? "NaN" : "an infinite value") (column \(bad % F), counting from 0); features must be finite numbers")
        }
        return t
    }

    static func readSafeTensors(_ path: String) throws -> Tensor {
        let file = try SafeTensorsFile(contentsOf: path)
        let names = file.names
        if names.count == 1 { return try file.tensor(names[0]) }
        guard names.contains("features") else {
            throw FeatureFileError(description: "\(path): holds \(names.count) tensors (\(names.joined(separator: ", "))); expected one, or one named 'features'")
        }
        return try file.tensor("features")
    }

    static func readNPY(_ path: String) throws -> Tensor {
        let bytes = [UInt8](try TextFile.bytes(path))
        func fail(_ why: String) -> FeatureFileError { FeatureFileError(description: "\(path): not a usable .npy file: \(why)") }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else { throw fail("no \\x93NUMPY magic") }
        let major = bytes[6]
        let headerLength: Int, start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else if major == 2 || major == 3 {
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        } else { throw fail("unknown format version \(major)") }
        guard start + headerLength <= bytes.count else { throw fail("the header runs past the end of the file") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = field("descr") else { throw fail("no 'descr' in the header") }
        let width: Int
        if descr.hasPrefix("'<f4'") || descr.hasPrefix("'|f4'") { width = 4 } else if descr.hasPrefix("'<f8'") { width = 8 } else {
            throw fail("dtype \(descr.prefix { $0 != "," }) is not supported; save little-endian float32 or float64")
        }
        guard let order = field("fortran_order"), order.hasPrefix("False") else { throw fail("Fortran order is not supported; save with C order") }
        guard let shapeText = field("shape"), let open = shapeText.firstIndex(of: "("), let close = shapeText.firstIndex(of: ")") else {
            throw fail("no 'shape' in the header")
        }
        let dims = shapeText[shapeText.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = dims.compactMap { Int($0) }
        guard shape.count == dims.count, shape.allSatisfy({ $0 >= 0 }) else { throw fail("malformed shape \(shapeText.prefix { $0 != ")" }))") }
        guard shape.count == 2 else { throw fail("expected a 2-D array [rows, width], found shape \(shape)") }
        let (count, overflow) = shape[0].multipliedReportingOverflow(by: shape[1])
        let body = start + headerLength
        guard !overflow, count <= (bytes.count - body) / width, bytes.count - body == count * width else {
            throw fail("shape \(shape) needs \(overflow ? "more" : String(count * width)) bytes of data, the file has \(bytes.count - body)")
        }
        var scalars = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let o = body + i * width
            if width == 4 {
                let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                scalars[i] = Float(bitPattern: bits)
            } else {
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(bytes[o + k]) << (8 * k) }
                scalars[i] = Float(Double(bitPattern: bits))
            }
        }
        return Tensor(shape: shape, scalars: scalars)
    }

    static func readDelimited(_ path: String) throws -> Tensor {
        let rows = try DelimitedFile.rows(try TextFile.read(path), separator: DelimitedFile.separator(for: path), path: path)
        guard let first = rows.first else { throw DataError.empty(path: path) }
        let F = first.fields.count
        var scalars: [Float] = []
        scalars.reserveCapacity(rows.count * F)
        for row in rows {
            guard row.fields.count == F else {
                throw DataError.malformed(path: path, line: row.line, expected: "\(F) numbers, as on line \(first.line)", found: "\(row.fields.count)")
            }
            for f in row.fields {
                let text = f.trimmingCharacters(in: .whitespaces)
                guard let v = Float(text) else {
                    throw DataError.malformed(path: path, line: row.line, expected: "a number", found: text.isEmpty ? "an empty field" : "'\(text)'")
                }
                scalars.append(v)
            }
        }
        return Tensor(shape: [rows.count, F], scalars: scalars)
    }

    /// One caption per line of `path` (a trailing newline ends the last one);
    /// an empty line is an error naming it.
    public static func captions(_ path: String) throws -> [LabeledText] {
        var lines = try TextFile.read(path).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return try lines.enumerated().map { i, line in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { throw DataError.malformed(path: path, line: i + 1, expected: "a caption", found: "an empty line") }
            return LabeledText(text: text, label: nil, path: path, line: i + 1)
        }
    }

    /// Row `row` of `rows` (read from `path`), checking the model's `width` and the range.
    public static func row(_ row: Int, of rows: Tensor, path: String, width: Int) throws -> [Float] {
        guard rows.shape[1] == width else {
            throw FeatureFileError(description: "\(path): rows have \(rows.shape[1]) features, but the model was trained on \(width)")
        }
        guard row >= 0 && row < rows.shape[0] else {
            throw FeatureFileError(description: "\(path): has \(rows.shape[0]) rows; --row \(row) is out of range (rows count from 0)")
        }
        return Array(rows.scalars[(row * width)..<((row + 1) * width)])
    }

    /// Checks that `features` has one row per caption.
    public static func checkPaired(features: Tensor, path: String, captions: [LabeledText], captionsPath: String) throws {
        guard features.shape[0] == captions.count else {
            throw FeatureFileError(description: "\(path) has \(features.shape[0]) feature rows but \(captionsPath) has \(captions.count) captions; give one caption per row, in the same order")
        }
    }
}
