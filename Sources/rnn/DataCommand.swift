import ArgumentParser
import Foundation
import Recurrent

/// `rnn data`: the catalog of named data sets.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "List, locate and fetch the named data sets.",
        subcommands: [List.self, Path.self, Fetch.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the known data sets and whether each is present.")
        func run() {
            for e in DataCatalog.entries {
                let place = DataCatalog.folder(for: e) ?? "not present"
                print("\(e.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(e.task)\n  \(place)")
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the folder holding a data set.")
        @Argument(help: "A data set name.") var name: String
        func run() throws {
            guard let e = DataCatalog.entry(name) else {
                throw ValidationError("unknown data set '\(name)'; known: \(DataCatalog.entries.map(\.name).joined(separator: ", "))")
            }
            guard let dir = DataCatalog.folder(for: e) else { throw UserFacingError(description: DataCatalog.missingMessage(e)) }
            print(dir)
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a data set into the user cache, checking each file's SHA-256.")
        @Argument(help: "A data set name.") var name: String
        func run() throws {
            guard let e = DataCatalog.entry(name) else {
                throw ValidationError("unknown data set '\(name)'; known: \(DataCatalog.entries.map(\.name).joined(separator: ", "))")
            }
            try userFacing { print(try DataCatalog.fetch(e)) }
        }
    }
}
