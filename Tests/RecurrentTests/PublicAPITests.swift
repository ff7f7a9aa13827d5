import Foundation
import Testing
@testable import Recurrent

/// The library's public API stays documented and consistent: every public
/// declaration has a `///` comment, no public signature shows a raw pointer,
/// a C type or a capitalised argument label, and every public error conforms
/// to `RecurrentError` (so the CLI catches them all at once).
@Suite struct PublicAPITests {
    /// `Sources/Recurrent`, found from this file's path (the tests run from a checkout).
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/Recurrent").path
    /// The scan, made once for all the tests here.
    static let scanned = Result { try PublicDeclarations.scan(sources) }

    @Test func everyPublicDeclarationHasADocComment() throws {
        let all = try Self.scanned.get()
        #expect(all.count > 1000, "found only \(all.count) public declarations under \(Self.sources): is the scan still finding them?")
        let missing = all.filter { !$0.documented }.map(\.place)
        #expect(missing.isEmpty, "public declarations without a /// comment:\n\(missing.joined(separator: "\n"))")
    }

    @Test func noPublicSignatureShowsARawPointerOrACType() throws {
        let leaks = try Self.scanned.get().filter { d in
            d.text.range(of: #"\bUnsafe\w*Pointer\b|\bOpaquePointer\b|\bck_\w+|\bCK_\w+"#, options: .regularExpression) != nil
        }.map(\.place)
        #expect(leaks.isEmpty, "raw pointers or C types in the public API:\n\(leaks.joined(separator: "\n"))")
    }

    @Test func noPublicFunctionHasACapitalisedArgumentLabel() throws {
        // `T: Int` or `B: Int` as a label (a second name after it, `steps T: Int`, is an internal name and fine).
        let labelled = try Self.scanned.get().filter { d in
            (d.text.hasPrefix("func") || d.text.contains(" func ") || d.text.contains("init("))
                && d.text.range(of: #"[(,]\s*[A-Z][A-Za-z0-9]*\s*:"#, options: .regularExpression) != nil
        }.map(\.place)
        #expect(labelled.isEmpty, "capitalised argument labels:\n\(labelled.joined(separator: "\n"))")
    }

    @Test func everyPublicErrorIsARecurrentError() throws {
        let errors = try Self.scanned.get().filter { d in
            d.text.range(of: #"^public (struct|enum|final class|class) \w+Error\b"#, options: .regularExpression) != nil
        }
        #expect(errors.count >= 8, "found only \(errors.count) public error types: is the scan still finding them?")
        let outside = errors.filter { !$0.text.contains(": RecurrentError") }.map(\.place)
        #expect(outside.isEmpty, "public errors that are not RecurrentErrors:\n\(outside.joined(separator: "\n"))")
        // And the protocol carries the message the CLI prints, unchanged.
        let error: any Error = DataError.empty(path: "x.txt")
        #expect((error as? any RecurrentError)?.description == DataError.empty(path: "x.txt").description)
    }

    @Test func settingsCheckThemselvesOneWay() throws {
        // `validate() throws(ConfigurationError)`, not a `problem: String?` beside it.
        let all = try Self.scanned.get()
        let problems = all.filter { $0.text.range(of: #"\b(var|func) problem\b"#, options: .regularExpression) != nil }.map(\.place)
        #expect(problems.isEmpty, "settings that report a problem string instead of validate() throws:\n\(problems.joined(separator: "\n"))")
        let validators = all.filter { $0.text.contains("func validate(") && $0.text.contains("throws(ConfigurationError)") }
        #expect(validators.count >= 12, "found only \(validators.count) validate() throws(ConfigurationError): is the scan still finding them?")
    }

    @Test func theCatalogueListsEveryPublicType() throws {
        let catalogue = try String(contentsOfFile: Self.sources + "/Recurrent.docc/Recurrent.md", encoding: .utf8)
        let name = try Regex(#"\b(?:struct|class|enum|protocol|typealias)\s+(\w+)"#)
        let types = try Self.scanned.get().filter(\.topLevel).compactMap { d in
            d.text.firstMatch(of: name)?.output[1].substring.map(String.init)
        }
        #expect(types.count > 100, "found only \(types.count) public types")
        let missing = types.filter { !catalogue.contains("``\($0)``") }
        #expect(missing.isEmpty, "public types Recurrent.docc/Recurrent.md does not list: \(missing.joined(separator: ", "))")
    }

    @Test func theScannerFindsWhatItMustFind() {
        let source = """
            /// Documented.
            public struct A {
                public var undocumented: Int
                /// Documented.
                @discardableResult
                public func f(T: Int) -> Int { 0 }
                func helper() { let s = "public var notADeclaration"; _ = s }
                package var notPublic = 0
            }
            public enum E {
                /// Documented.
                case one
                case two, three
                func g() { switch self { case .one: break; default: break } }
            }
            /// Documented.
            public protocol P {
                func requirement()
            }
            enum Internal { case x }
            """
        let found = PublicDeclarations.scan(text: source, path: "A.swift")
        #expect(found.filter { !$0.documented }.map(\.place) == ["A.swift:3", "A.swift:10", "A.swift:13", "A.swift:18"])
        #expect(found.contains { $0.place == "A.swift:6" && $0.documented && $0.text.hasPrefix("public func f(T:") })
    }
}

/// A scan of Swift source for declarations that are part of the public API:
/// those marked `public` or `open` outside function bodies, the cases of a
/// public enum, and the requirements of a public protocol.
enum PublicDeclarations {
    struct Declaration: Sendable {
        /// `file:line`.
        var place: String
        /// The declaration's first line, trimmed.
        var text: String
        /// Whether a `///` comment (or a `/** */` block) comes right before it (attributes may sit between).
        var documented: Bool
        /// Whether it is at file level (a type, a function), not a member.
        var topLevel = false
    }

    /// Every public declaration of the `.swift` files under `folder`.
    static func scan(_ folder: String) throws -> [Declaration] {
        let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted() ?? []
        return try files.flatMap { file in
            scan(text: try String(contentsOfFile: folder + "/" + file, encoding: .utf8), path: file)
        }
    }

    /// What encloses a line: a type (`public`, and whether an enum or protocol) or code (a body, a closure).
    enum Scope { case type(isPublic: Bool, kind: String), code }

    static let modifiers = #"(?:@\w+(?:\([^)]*\))?\s+|(?:nonisolated|final|override|convenience|static|class|mutating|indirect|required|dynamic|lazy|weak)(?:\([^)]*\))?\s+)*"#

    static func scan(text: String, path: String) -> [Declaration] {
        let typeKeyword = try! Regex(#"^"# + modifiers + #"(?:(public|open|package|internal|fileprivate|private)\s+)?"# + modifiers
                                     + #"(struct|class|enum|protocol|extension|actor)\s"#)
        let publicKeyword = try! Regex(#"^"# + modifiers + #"(public|open)(?:\([^)]*\))?\s"#)
        let requirement = try! Regex(#"^"# + modifiers + #"(func|var|let|init|subscript|associatedtype|typealias)\b"#)
        var found: [Declaration] = []
        var scopes: [Scope] = []
        var pendingType: Scope? = nil
        var inMultilineString = false
        var previous = ""          // the last line that is neither blank-of-attributes nor an attribute
        let lines = text.components(separatedBy: "\n")
        for (index, raw) in lines.enumerated() {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if inMultilineString {
                if line.contains("\"\"\"") { inMultilineString = false }
                continue
            }
            if line.components(separatedBy: "\"\"\"").count == 2 { inMultilineString = true }
            let isComment = line.hasPrefix("//") || line.hasPrefix("*") || line.hasPrefix("/*")
            // Strings and trailing comments hold no braces or keywords that count.
            line = line.replacingOccurrences(of: #""(\\.|[^"\\])*""#, with: "\"\"", options: .regularExpression)
            if let comment = line.range(of: "//") { line = String(line[..<comment.lowerBound]) }

            if !isComment && !line.isEmpty {
                let enclosing = scopes.last
                let inCode: Bool = { if case .code = enclosing { return true }; return false }()
                if !inCode {
                    var isAPI = line.firstMatch(of: publicKeyword) != nil && !line.hasPrefix("public import")
                    if case let .type(isPublic, kind)? = enclosing, isPublic {
                        if kind == "enum" && line.hasPrefix("case ") { isAPI = true }
                        if kind == "protocol" && line.firstMatch(of: requirement) != nil { isAPI = true }
                    }
                    if line.range(of: #"^(public|open)\s+extension\b"#, options: .regularExpression) != nil { isAPI = true }
                    if isAPI {
                        let documented = previous.hasPrefix("///") || previous.hasSuffix("*/")
                        found.append(Declaration(place: "\(path):\(index + 1)", text: signature(from: index, of: lines), documented: documented,
                                                 topLevel: scopes.isEmpty))
                    }
                }
                if let m = line.firstMatch(of: typeKeyword), !inCode {
                    let access = m.output[1].substring.map(String.init)
                    let kind = m.output[2].substring.map(String.init) ?? ""
                    pendingType = .type(isPublic: access == "public" || access == "open", kind: kind)
                }
            }
            if !isComment {
                for ch in line {
                    if ch == "{" { scopes.append(pendingType ?? .code); pendingType = nil }
                    if ch == "}" { _ = scopes.popLast() }
                }
            }
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            let attributeOnly = trimmed.range(of: #"^(@\w+(\([^)]*\))?\s*)+$"#, options: .regularExpression) != nil
            if !attributeOnly { previous = trimmed }
        }
        return found
    }

    /// The declaration starting at line `index`, its continuation lines joined while a parenthesis is open.
    static func signature(from index: Int, of lines: [String]) -> String {
        var text = lines[index].trimmingCharacters(in: .whitespaces), next = index + 1
        func open(_ s: String) -> Int { s.filter { $0 == "(" }.count - s.filter { $0 == ")" }.count }
        while open(text) > 0 && next < lines.count && next < index + 12 {
            text += " " + lines[next].trimmingCharacters(in: .whitespaces)
            next += 1
        }
        return text
    }
}
