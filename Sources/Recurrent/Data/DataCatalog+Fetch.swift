import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension DataCatalog {
    /// Downloads every file of `entry` into the user cache, checking each
    /// against its SHA-256; a file that is already there and matches is kept.
    /// Each file is written to a temporary name and renamed once verified.
    /// - Returns: the folder holding the set.
    @discardableResult
    public static func fetch(_ entry: Entry, log: (String) -> Void = { print($0) }) throws -> String {
        guard entry.files.allSatisfy({ $0.url != nil }) else {
            throw DataError.unreadable(path: entry.name, reason: "cannot be downloaded file by file: \(entry.manual ?? "copy the files by hand"), into \(cacheDirectory)/\(entry.name)/")
        }
        let dir = "\(cacheDirectory)/\(entry.name)"
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw DataError.unreadable(path: dir, reason: "cannot create the cache folder: \(error.localizedDescription)")
        }
        for file in entry.files {
            let path = "\(dir)/\(file.name)"
            if let existing = FileManager.default.contents(atPath: path), file.sha256 == nil || SHA256.hex(existing) == file.sha256 {
                log("\(path): present")
                continue
            }
            log("downloading \(file.url!)")
            let data = try download(file.url!)
            if let expected = file.sha256 {
                let actual = SHA256.hex(data)
                guard actual == expected else {
                    throw DataError.unreadable(path: file.url!, reason: "SHA-256 is \(actual), expected \(expected); the download is not the published file")
                }
            }
            do { try atomicWrite(data, to: path) } catch { throw DataError.unreadable(path: path, reason: "\(error)") }
            log("\(path): \(data.count) bytes, SHA-256 verified")
        }
        return dir
    }

    static func download(_ address: String) throws -> Data {
        guard let url = URL(string: address) else { throw DataError.unreadable(path: address, reason: "not a URL") }
        final class Box: @unchecked Sendable { var data: Data?; var error: String? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = 60
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { box.error = error.localizedDescription }
            else if let http = response as? HTTPURLResponse, http.statusCode != 200 { box.error = "HTTP status \(http.statusCode)" }
            else { box.data = data }
            done.signal()
        }.resume()
        done.wait()
        guard let data = box.data else {
            throw DataError.unreadable(path: address, reason: "download failed (\(box.error ?? "no data")); without network, copy the files into \(cacheDirectory) or set RNN_DATA_DIR")
        }
        return data
    }
}
