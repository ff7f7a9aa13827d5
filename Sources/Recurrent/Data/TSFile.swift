/// The UCR/UEA archive's `.ts` format, as sktime and aeon read and write it:
/// `#` comments, a header of `@` tags (`@problemName`, `@timeStamps`,
/// `@missing`, `@univariate`, `@dimensions`, `@equalLength`, `@seriesLength`,
/// `@classLabel true L1 L2 ...`), then `@data` and one case per line: each
/// channel's values comma-separated, channels separated by `:`, the class label
/// last. `?` marks a missing value. Every problem is a ``DataError`` naming the
/// file, the line and what was expected.
public enum TSFile {
    /// Reads and parses `path`.
    public static func read(_ path: String) throws -> TimeSeriesSet {
        try parse(try TextFile.read(path), path: path)
    }

    struct Header {
        var problemName: String?
        var missing = true
        var univariate: Bool?
        var dimensions: Int?
        var equalLength: Bool?
        var seriesLength: Int?
        var classLabels: [String]?
        var hasLabels = false
    }

    /// Parses the text of a `.ts` file; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> TimeSeriesSet {
        var header = Header()
        var inData = false
        var cases: [TimeSeriesCase] = []
        var channels: Int? = nil
        var firstLength: Int? = nil
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = i + 1
            let content = raw.trimmingCharacters(in: .whitespaces)
            if content.isEmpty || content.hasPrefix("#") { continue }
            if !inData {
                guard content.hasPrefix("@") else {
                    throw DataError.malformed(path: path, line: line, expected: "a header tag starting with @ (or @data before the cases)",
                                              found: "'\(content.prefix(40))'")
                }
                inData = try readTag(content, into: &header, path: path, line: line)
                if inData { channels = header.univariate == true ? 1 : header.dimensions }
                continue
            }
            let c = try readCase(Substring(content), header: header, channels: &channels, path: path, line: line)
            if header.equalLength == true {
                let expected = header.seriesLength ?? firstLength ?? c.length
                guard c.length == expected else {
                    throw DataError.malformed(path: path, line: line, expected: "series of \(expected) values (@equalLength true)", found: "\(c.length)")
                }
                firstLength = expected
            }
            cases.append(c)
        }
        guard inData else { throw DataError.malformed(path: path, line: text.split(separator: "\n").count, expected: "an @data line", found: "the end of the file") }
        guard !cases.isEmpty, let channels else { throw DataError.empty(path: path + " (no cases after @data)") }
        return TimeSeriesSet(path: path, problemName: header.problemName, channels: channels,
                             classLabels: header.hasLabels ? header.classLabels : nil, cases: cases)
    }

    /// Reads one header tag; returns true at `@data`.
    static func readTag(_ content: String, into h: inout Header, path: String, line: Int) throws -> Bool {
        let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let tag = words[0].lowercased()
        func flag() throws -> Bool {
            guard words.count == 2, let v = Bool(words[1].lowercased()) else {
                throw DataError.malformed(path: path, line: line, expected: "\(words[0]) true or \(words[0]) false", found: "'\(content.prefix(60))'")
            }
            return v
        }
        func count() throws -> Int {
            guard words.count == 2, let v = Int(words[1]), v >= 1 else {
                throw DataError.malformed(path: path, line: line, expected: "\(words[0]) and a whole number from 1", found: "'\(content.prefix(60))'")
            }
            return v
        }
        switch tag {
        case "@problemname": h.problemName = words.dropFirst().joined(separator: " ")
        case "@timestamps":
            if try flag() {
                throw DataError.malformed(path: path, line: line, expected: "@timeStamps false (series with time stamps are not read)", found: "@timeStamps true")
            }
        case "@missing": h.missing = try flag()
        case "@univariate": h.univariate = try flag()
        case "@dimensions": h.dimensions = try count()
        case "@equallength": h.equalLength = try flag()
        case "@serieslength": h.seriesLength = try count()
        case "@classlabel":
            guard words.count >= 2, let has = Bool(words[1].lowercased()) else {
                throw DataError.malformed(path: path, line: line, expected: "@classLabel true LABEL LABEL ... or @classLabel false", found: "'\(content.prefix(60))'")
            }
            h.hasLabels = has
            if has {
                let labels = Array(words.dropFirst(2))
                guard !labels.isEmpty, Set(labels).count == labels.count else {
                    throw DataError.malformed(path: path, line: line, expected: "@classLabel true followed by distinct labels", found: "'\(content.prefix(60))'")
                }
                h.classLabels = labels
            }
        case "@targetlabel":
            if try flag() {
                throw DataError.malformed(path: path, line: line, expected: "class labels (@targetLabel true marks a regression set, which is not read)", found: "@targetLabel true")
            }
        case "@data":
            if h.univariate == true, let d = h.dimensions, d != 1 {
                throw DataError.malformed(path: path, line: line, expected: "@dimensions 1 for @univariate true", found: "@dimensions \(d)")
            }
            return true
        default:
            throw DataError.malformed(path: path, line: line, expected: "a known tag (@problemName, @timeStamps, @missing, @univariate, @dimensions, @equalLength, @seriesLength, @classLabel, @data)",
                                      found: "'\(words[0].prefix(40))'")
        }
        return false
    }

    /// Reads one case: channels separated by `:`, the label last when the header declares labels.
    static func readCase(_ content: Substring, header: Header, channels: inout Int?, path: String, line: Int) throws -> TimeSeriesCase {
        var parts = content.split(separator: ":", omittingEmptySubsequences: false)
        var label: String? = nil
        if header.hasLabels {
            guard parts.count >= 2 else {
                throw DataError.malformed(path: path, line: line, expected: "channels then ':' and a class label", found: "no ':'")
            }
            let l = parts.removeLast().trimmingCharacters(in: .whitespaces)
            if let declared = header.classLabels, !declared.contains(l) {
                throw DataError.malformed(path: path, line: line, expected: "a class label declared in @classLabel (\(declared.joined(separator: ", ")))",
                                          found: "'\(l.prefix(40))'")
            }
            label = l
        }
        if let F = channels, parts.count != F {
            throw DataError.malformed(path: path, line: line, expected: "\(F) channel\(F == 1 ? "" : "s") separated by ':' (@dimensions \(F))", found: "\(parts.count)")
        }
        channels = parts.count
        var series: [[Float]] = []
        for (f, part) in parts.enumerated() {
            let values = try part.split(separator: ",", omittingEmptySubsequences: false).map {
                try parseValue($0, missingAllowed: header.missing, path: path, line: line, what: "a number in channel \(f + 1)")
            }
            if let first = series.first, values.count != first.count {
                throw DataError.malformed(path: path, line: line, expected: "every channel of a case to have \(first.count) values (as channel 1 has)",
                                          found: "\(values.count) in channel \(f + 1)")
            }
            series.append(values)
        }
        let T = series[0].count, F = series.count
        if T == 1 && series.allSatisfy({ $0[0].isNaN }) {
            throw DataError.malformed(path: path, line: line, expected: "at least one value", found: "an empty case")
        }
        var values = [Float](repeating: 0, count: T * F)
        for f in 0..<F { for t in 0..<T { values[t * F + f] = series[f][t] } }
        return TimeSeriesCase(values: values, length: T, channels: F, label: label, path: path, line: line)
    }
}
