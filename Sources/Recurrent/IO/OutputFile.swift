import Foundation

/// Why a file a command would write was refused. Each case names the file and
/// says what to do.
public enum OutputFileError: RecurrentError, Equatable {
    /// The path may not be written (a folder, another kind of file, one of the inputs): why.
    case refused(path: String, role: String, reason: String)
    /// Another run (process `pid`) holds the output's lock.
    case busy(path: String, role: String, pid: Int32?)
    /// Writing failed (a full disk, say); `intact` names the last good checkpoint when there is one.
    case writeFailed(path: String, role: String, reason: String, intact: String?)

    /// The message: the file, why it is refused, and what to do.
    public var description: String {
        switch self {
        case let .refused(path, role, reason):
            return "\(path): cannot write \(role) here: \(reason)"
        case let .busy(path, role, pid):
            let who = pid.map { "another rnn run (process \($0))" } ?? "another rnn run"
            return "\(path): \(who) is writing \(role) there; wait for it to finish or choose another path"
        case let .writeFailed(path, role, reason, intact):
            return "\(path): writing \(role) failed: \(reason)." + (intact.map { " The last good checkpoint, \($0), is intact." } ?? "")
        }
    }
}

/// The checks every command makes on a file it will write, before any work
/// starts, so that no run destroys a file it did not create or one it reads:
///
/// - the folder exists and is writable;
/// - the path is absent, or a regular file (never a folder, FIFO, device,
///   socket or symbolic link) holding what the command writes there
///   (``Content``), so a user's text is never replaced by a checkpoint;
/// - it is none of the command's inputs (same device and inode, so hard
///   links and symbolic links are caught too), and no other output of the
///   same command;
/// - no other run writes it: ``lock(_:role:)`` takes an advisory `flock` on
///   `.NAME.lock` beside it, held until the returned ``OutputLock`` is released.
///
/// Commands that write files (`rnn train ...`, and new ones) call
/// ``check(_:role:content:inputs:)`` for each output and hold a lock per
/// output for the run.
package enum OutputFile {
    /// What an existing file at the path must already hold to be replaced or appended to.
    package enum Content: Sendable {
        /// A Recurrent checkpoint (safetensors with a `kind`), replaced atomically.
        case checkpoint
        /// JSON lines (each a JSON object), appended to.
        case jsonLines
        /// Anything this command wrote before: only the file type is checked.
        case any
    }

    /// Throws ``OutputFileError/refused(path:role:reason:)`` unless `path` may
    /// be written. `role` names the file in messages ("the checkpoint");
    /// `inputs` maps each input option (`--data`) to its path.
    package static func check(_ path: String, role: String, content: Content, inputs: [(option: String, path: String)] = []) throws {
        func refuse(_ reason: String) -> OutputFileError { .refused(path: path, role: role, reason: reason) }
        guard !path.isEmpty else { throw refuse("the path is empty; give a file name") }
        guard !path.hasSuffix("/") else { throw refuse("the path ends in '/', which names a folder; give a file name") }
        let dir = folder(of: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw refuse("folder \(dir) does not exist")
        }
        guard access(dir, W_OK | X_OK) == 0 else { throw refuse("folder \(dir) is not writable") }
        var st = stat()
        guard lstat(path, &st) == 0 else { return }        // absent: it will be created
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw refuse("it is a directory")
        case S_IFLNK: throw refuse("it is a symbolic link; give the path of a regular file")
        default: throw refuse("it is not a regular file (a FIFO, device or socket); give the path of a regular file")
        }
        for input in inputs where sameFile(path, input.path) {
            throw refuse("it is this command's \(input.option); choose another path")
        }
        guard access(path, W_OK) == 0 else { throw refuse("the file is not writable") }
        guard st.st_size > 0 else { return }
        switch content {
        case .checkpoint:
            if !holdsCheckpoint(path) {
                throw refuse("the file exists and is not a Recurrent checkpoint; refusing to replace it (choose another path, or delete it)")
            }
        case .jsonLines:
            if !holdsMetrics(path) {
                throw refuse("the file exists and is not a JSON-lines metrics file (its first line has no \"step\"); refusing to append to it (choose another path, or delete it)")
            }
        case .any: break
        }
    }

    /// Throws when two outputs of one command are the same file.
    package static func requireDistinct(_ outputs: [(role: String, path: String)]) throws {
        for (i, a) in outputs.enumerated() {
            for b in outputs[(i + 1)...] where identity(a.path) == identity(b.path) || sameFile(a.path, b.path) {
                throw OutputFileError.refused(path: b.path, role: b.role, reason: "it is also \(a.role); give them different paths")
            }
        }
    }

    /// Whether `a` and `b` name one existing file (same device and inode).
    package static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// The absolute path with its folder's symbolic links resolved: equal for two
    /// spellings of one (possibly absent) file.
    static func identity(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let dir = url.deletingLastPathComponent().path
        guard let real = realpath(dir, nil) else { return url.path }
        defer { free(real) }
        return String(cString: real) + "/" + url.lastPathComponent
    }

    static func folder(of path: String) -> String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    /// Whether the file starts with a safetensors header whose metadata has a `kind`.
    static func holdsCheckpoint(_ path: String) -> Bool { checkpointMetadata(path)?["kind"] is String }

    /// The `__metadata__` of the safetensors file at `path`, read from its header
    /// alone; nil when it is not such a file.
    package static func checkpointMetadata(_ path: String) -> [String: Any]? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        guard let lengthBytes = try? h.read(upToCount: 8), lengthBytes.count == 8 else { return nil }
        var length: UInt64 = 0
        for (i, byte) in lengthBytes.enumerated() { length |= UInt64(byte) << (8 * UInt64(i)) }
        guard length <= 100_000_000, let header = try? h.read(upToCount: Int(length)), header.count == Int(length),
              let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else { return nil }
        return json["__metadata__"] as? [String: Any]
    }

    /// Whether the file's first line is a metrics record: a JSON object with a numeric `step`
    /// (every line the trainer writes has one; JSON-lines data, a user's own file, has not).
    static func holdsMetrics(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        guard let head = try? h.read(upToCount: 1 << 16), let first = head.split(separator: UInt8(ascii: "\n")).first,
              let record = (try? JSONSerialization.jsonObject(with: Data(first))) as? [String: Any] else { return false }
        return record["step"] is NSNumber
    }

    /// Takes the advisory lock on `path` (the file `.NAME.lock` beside it,
    /// holding the owner's process id), or throws ``OutputFileError/busy(path:role:pid:)``
    /// naming the process that holds it.
    package static func lock(_ path: String, role: String) throws -> OutputLock {
        let url = URL(fileURLWithPath: path)
        let lockPath = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".lock"
        for _ in 0..<5 {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw OutputFileError.refused(path: path, role: role, reason: "cannot create the lock file \(lockPath): \(String(cString: strerror(errno)))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let holder = readPID(fd)
                close(fd)
                throw OutputFileError.busy(path: path, role: role, pid: holder)
            }
            // The previous owner may have removed the file between our open and flock: then lock the new one.
            var held = stat(), named = stat()
            guard fstat(fd, &held) == 0, stat(lockPath, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev else {
                close(fd)
                continue
            }
            let pid = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = pwrite(fd, pid, pid.count, 0)
            return OutputLock(fd: fd, path: lockPath)
        }
        throw OutputFileError.busy(path: path, role: role, pid: nil)
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Removes the temporary files (`.NAME.tmp-PID`) that a killed run left
    /// beside `path`, but only those whose process is gone: a live run's file
    /// is never touched. Call it while holding the lock on `path`.
    package static func removeStaleTemporaries(of path: String) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path, prefix = "." + url.lastPathComponent + ".tmp-"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where file.hasPrefix(prefix) {
            guard let pid = Int32(file.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(dir + "/" + file) }
        }
    }
}
