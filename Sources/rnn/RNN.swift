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
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let e as UsageError {
            // A usage problem found once the data is read (a model too large for this machine): one line, exit 64.
            FileHandle.standardError.write(Data("Error: \(e.description)\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}

/// An option value found unusable after `validate()` (it depends on the data): exit 64 without the usage text.
struct UsageError: Error, CustomStringConvertible {
    let description: String
}

/// Turns the library's typed errors into one clear line and exit code 1.
struct UserFacingError: Error, CustomStringConvertible {
    let description: String
}

func userFacing<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as DataError {
        throw UserFacingError(description: e.description)
    } catch let e as CheckpointError {
        throw UserFacingError(description: e.description)
    } catch let e as SafeTensorsError {
        throw UserFacingError(description: e.description)
    } catch let e as TrainingError {
        throw UserFacingError(description: e.description)
    } catch let e as LabelError {
        throw UserFacingError(description: e.description)
    } catch let e as OptimizerStateError {
        throw UserFacingError(description: e.description)
    } catch let e as OutputFileError {
        throw UserFacingError(description: e.description)
    } catch let e as FeatureFileError {
        throw UserFacingError(description: e.description)
    }
}
