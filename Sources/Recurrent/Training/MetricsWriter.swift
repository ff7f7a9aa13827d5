import Foundation

/// Appends one JSON object per line to a metrics file. A failed write (a full
/// disk) throws ``OutputFileError/writeFailed(path:role:reason:intact:)``.
final class MetricsWriter {
    let path: String
    private let sink: (Data) throws -> Void

    /// Appends to `path` (created when absent; checked by ``OutputFile`` before).
    convenience init(path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw OutputFileError.refused(path: path, role: "the metrics", reason: String(cString: strerror(errno)))
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        self.init(path: path) { data in
            try data.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Foundation.write(handle.fileDescriptor, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw MetricsWriteError(reason: String(cString: strerror(errno))) }
                    done += n
                }
            }
        }
    }

    /// Writes through `sink` (tests inject a failing one).
    init(path: String, sink: @escaping (Data) throws -> Void) {
        self.path = path
        self.sink = sink
    }

    func write(_ values: [String: Double]) throws {
        let body = values.sorted { $0.key < $1.key }.map { "\"\($0.key)\":" + jsonNumber($0.value) }.joined(separator: ",")
        do { try sink(Data("{\(body)}\n".utf8)) } catch {
            throw OutputFileError.writeFailed(path: path, role: "the metrics", reason: (error as? MetricsWriteError)?.reason ?? "\(error)", intact: nil)
        }
    }
}

struct MetricsWriteError: Error { let reason: String }
