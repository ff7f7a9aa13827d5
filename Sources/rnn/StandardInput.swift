import Foundation
import Recurrent

/// Standard input read as a text file is: UTF-8 checked, a byte-order mark
/// dropped and Windows line endings made `\n`, so piped text reads like the same file.
enum StandardInput {
    /// The name standard input goes by in messages; `-` on the command line.
    static let name = "<stdin>"

    /// `argument` resolved as `train` and `evaluate` resolve `--data` (a path, NAME or NAME/FILE), or `<stdin>` for `-`.
    static func resolve(_ argument: String) throws -> String {
        argument == "-" ? name : try DataCatalog.resolve(argument)
    }

    /// The whole of standard input as text.
    static func read() throws -> String {
        guard let data = try? FileHandle.standardInput.readToEnd() ?? Data() else {
            throw UserFacingError(description: "\(name): cannot read standard input (closed, or a folder); give the input as a file")
        }
        // Nothing piped in is no input (each reader says what it needed), not an error of its own.
        return data.isEmpty ? "" : try TextFile.decode(data, path: name)
    }

    /// The text of `path`: the file, or standard input for `<stdin>`.
    static func text(_ path: String) throws -> String {
        path == name ? try read() : try TextFile.read(path)
    }
}
