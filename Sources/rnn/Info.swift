import ArgumentParser
import Recurrent

extension RNN {
    /// `rnn info`: version, GEMM backend, CPU features and threads.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the version, the GEMM backend in use, CPU features and thread count.")

        func run() throws {
            print(SystemReport.current.text)
        }
    }
}
