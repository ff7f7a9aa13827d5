import ArgumentParser
import Foundation
import Recurrent

@main
struct RNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn",
        abstract: "Train, evaluate, sample and benchmark recurrent neural networks.",
        version: Recurrent.version,
        subcommands: [Demo.self, Train.self, Sample.self, Predict.self, Translate.self, Forecast.self, Evaluate.self, Inspect.self, Plot.self, Explain.self, DataCommand.self, Bench.self, Info.self]
    )

    static func main() {
        let problems = EnvironmentCheck.problems()
        guard problems.isEmpty else {
            FileHandle.standardError.write(Data("Error: \(problems.joined(separator: "; "))\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        ProcessPolicy.keepFreedMemory()
        // The GEMM backend per class of product is timed once per machine and kept in the user cache.
        GEMMBackend.calibrationCachePath = DataCatalog.cacheDirectory + "/gemm-calibration.json"
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            try command.run()
        } catch let e as UsageError {
            // A usage problem found once the data is read (a model too large for this machine).
            failUsage(e.description, of: type(of: command))
        } catch let e as ValidationError {
            failUsage(e.message, of: type(of: command))
        } catch {
            exit(withError: error)
        }
    }

    /// A usage error found while running: the message and the usage of the subcommand that failed, exit 64.
    static func failUsage(_ message: String, of command: ParsableCommand.Type) -> Never {
        let usage = usageString(for: command)
        let name = usage.split(separator: " ").prefix { !$0.hasPrefix("[") && !$0.hasPrefix("<") && !$0.hasPrefix("-") }.joined(separator: " ")
        FileHandle.standardError.write(Data("Error: \(message)\nUsage: \(usage)\n  See '\(name) --help' for more information.\n".utf8))
        Foundation.exit(ExitCode.validationFailure.rawValue)
    }
}

/// An option value found unusable after `validate()` (it depends on the data): exit 64 without the usage text.
struct UsageError: Error, CustomStringConvertible {
    let description: String
}

/// An error shown as one clear line, exit 1: any of the library's (`RecurrentError`), or the CLI's own.
struct UserFacingError: Error, CustomStringConvertible {
    let description: String
}

/// Runs `body`, turning any error the library throws (each conforms to `RecurrentError`) into a `UserFacingError`.
func userFacing<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as any RecurrentError {
        throw UserFacingError(description: e.description)
    }
}
