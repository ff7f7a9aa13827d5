import ArgumentParser
import Foundation
import Recurrent

extension RNN {
    /// `rnn inspect`: what a checkpoint (or any safetensors file) holds.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a checkpoint's kind, configuration, metadata and tensors (or the tensors of any safetensors file).",
            discussion: """
            A file written by PyTorch's safetensors (no Recurrent metadata) lists its tensors with their dtype and shape.
            Examples:
              rnn inspect --model shakespeare.safetensors
              rnn inspect --model model.safetensors --json
            """)

        @OptionGroup var modelFile: ModelFileOption
        @OptionGroup var output: JSONOption

        func run() throws {
            try userFacing {
                let path = modelFile.path
                let file = try SafeTensorsFile(contentsOf: path)
                let names = file.entries.keys.sorted()
                let total = names.reduce(0) { sum, name in
                    let count = file.entries[name]!.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
                    return sum.addingReportingOverflow(count).partialValue
                }
                // Shown apart: the vocabulary as a count, the resume state not at all.
                let shown = file.metadata.keys.sorted().filter { !["vocabulary", "training_state"].contains($0) }
                let vocabularySize = file.metadata["vocabulary"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }?.count
                if output.json {
                    var object: [String: Any] = [
                        "path": path,
                        "kind": file.metadata["kind"] ?? NSNull(),
                        "values": total,
                        "tensors": names.map { ["name": $0, "dtype": file.entries[$0]!.dtype, "shape": file.entries[$0]!.shape] as [String: Any] },
                    ]
                    var metadata: [String: Any] = [:]
                    for key in shown {
                        let value = file.metadata[key]!
                        // A JSON value (the config, the recorded options) is embedded as JSON, anything else as a string.
                        metadata[key] = (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed])) ?? value
                    }
                    object["metadata"] = metadata
                    if let vocabularySize { object["vocabulary_size"] = vocabularySize }
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                    return
                }
                if let kind = file.metadata["kind"] {
                    print("kind: \(kind)")
                } else {
                    print("\(path): a safetensors file without Recurrent metadata (not written by `rnn train`); its tensors:")
                }
                for key in shown where key != "kind" { print("\(key): \(file.metadata[key]!)") }
                if let vocabularySize { print("vocabulary: \(vocabularySize) tokens") }
                for name in names {
                    let e = file.entries[name]!
                    print("  \(name) \(e.dtype) \(e.shape)")
                }
                print("\(total) values in \(names.count) tensors")
            }
        }
    }
}
