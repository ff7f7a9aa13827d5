import ArgumentParser
import Recurrent

@main
struct RNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn",
        abstract: "Train, evaluate, sample and benchmark recurrent neural networks.",
        version: Recurrent.version,
        subcommands: [Demo.self, Train.self, Sample.self, Predict.self, Evaluate.self, Inspect.self, DataCommand.self, Bench.self, Info.self]
    )

    static func main() {
        Memory.keepFreedMemory()
        if let problem = GEMMBackend.environmentProblem { exit(withError: ValidationError(problem)) }
        // The GEMM backend per class of product is timed once per machine and kept in the user cache.
        GEMMBackend.calibrationCachePath = DataCatalog.cacheDirectory + "/gemm-calibration.json"
        main(nil)
    }
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
    }
}
