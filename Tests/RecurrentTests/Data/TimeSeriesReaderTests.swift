import Foundation
import Testing
@testable import Recurrent

/// The `.ts` and CSV readers of numeric sequences, scaling and missing values.
@Suite struct TimeSeriesReaderTests {
    static var dataDirectory: String? {
        DataCatalog.dataDirectory.flatMap { FileManager.default.fileExists(atPath: "\($0)/timeseries/SOURCE.md") ? "\($0)/timeseries" : nil }
    }
    static var hasData: Bool { dataDirectory != nil }

    static let small = """
    # a comment
    @problemName Toy
    @timeStamps false
    @missing true
    @univariate false
    @dimensions 2
    @equalLength false
    @classLabel true up down
    @data
    1,2,3:10,20,30:up
    3,?,1:30,20,10:down

    5,6:7,8:up
    """

    @Test func tsReaderReadsHeaderChannelsMissingValuesAndLengths() throws {
        let set = try TSFile.parse(Self.small, path: "toy.ts")
        #expect(set.problemName == "Toy")
        #expect(set.channels == 2)
        #expect(set.classLabels == ["up", "down"])
        #expect(set.cases.map(\.length) == [3, 3, 2])
        #expect(set.cases.map(\.label) == ["up", "down", "up"])
        #expect(set.cases.map(\.line) == [10, 11, 13])
        // [T, F] row-major: step 1 of case 1 is (2, 20).
        #expect(set.cases[0][1, 0] == 2 && set.cases[0][1, 1] == 20)
        #expect(set.cases[1][1, 0].isNaN)
    }

    static let header = "@dimensions 2\n@equalLength true\n@missing false\n@classLabel true a b\n@data\n"

    /// Each bad file and the message it must give.
    @Test("bad .ts files are refused with file, line and what was expected", arguments: [
        (header + "1,2:3,4:a\n1,2:3,4:5,6:a\n", "x.ts:7: expected 2 channels separated by ':' (@dimensions 2), found 3"),
        (header + "1,2,3:3,4:a\n", "x.ts:6: expected every channel of a case to have 3 values (as channel 1 has), found 2 in channel 2"),
        (header + "1,2:3,4:a\n1,2,3:3,4,5:b\n", "x.ts:7: expected series of 2 values (@equalLength true), found 3"),
        (header + "1,2:3,4:c\n", "x.ts:6: expected a class label declared in @classLabel (a, b), found 'c'"),
        (header + "1,x:3,4:a\n", "x.ts:6: expected a number in channel 1, found 'x'"),
        (header + "1,2:3,?:a\n", "x.ts:6: expected a number in channel 2 (missing values are not declared; use @missing true or ?), found '?'"),
        (header + "1,NaN:3,4:a\n", "x.ts:6: expected a number in channel 1 (missing values are not declared"),
        (header + "1,inf:3,4:a\n", "x.ts:6: expected a number in channel 1, found 'inf'"),
        ("@dimensions two\n@data\n", "x.ts:1: expected @dimensions and a whole number from 1, found '@dimensions two'"),
        ("@colour red\n@data\n", "x.ts:1: expected a known tag"),
        ("@dimensions 2\n1,2:3,4\n", "x.ts:2: expected a header tag starting with @"),
        ("@dimensions 2\n", "x.ts:1: expected an @data line, found the end of the file"),
        ("@timeStamps true\n@data\n", "x.ts:1: expected @timeStamps false"),
        ("@classLabel true a b\n@data\n1,2\n", "x.ts:3: expected channels then ':' and a class label, found no ':'"),
    ])
    func tsReaderRefusesBadFiles(text: String, message: String) {
        do {
            _ = try TSFile.parse(text, path: "x.ts")
            Issue.record("accepted: \(message)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func tsReaderAcceptsNaNWhereMissingIsDeclared() throws {
        let set = try TSFile.parse("@missing true\n@univariate true\n@classLabel false\n@data\n1,NaN,3\n", path: "m.ts")
        #expect(set.channels == 1 && set.classLabels == nil && set.cases[0].label == nil)
        #expect(set.cases[0].values[1].isNaN && set.cases[0].values[2] == 3)
    }

    static func write(_ text: String, _ name: String) throws -> String {
        let path = TrainerTests.tempDir() + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func csvLongFormGroupsRowsBySequenceId() throws {
        let path = try Self.write("series,time,x,y,label\na,0,1,2,up\na,1,3,4,up\nb,0,5,,down\n", "long.csv")
        let set = try TimeSeriesCSV.readLong(path, idColumn: "series")
        #expect(set.channels == 2)
        #expect(set.cases.map(\.length) == [2, 1])
        #expect(set.cases.map(\.label) == ["up", "down"])
        #expect(set.cases[0].values == [1, 2, 3, 4])
        #expect(set.cases[1].values[1].isNaN)
        #expect(set.cases.map(\.line) == [2, 4])
    }

    @Test func csvLongFormRefusesSplitSequencesAndChangingLabels() throws {
        let split = try Self.write("id,x\na,1\nb,2\na,3\n", "split.csv")
        #expect(throws: DataError.malformed(path: split, line: 4,
                                            expected: "the rows of sequence 'a' together (it started at line 2, and other sequences came between)", found: "'a' again")) {
            try TimeSeriesCSV.readLong(split, idColumn: "id")
        }
        let relabel = try Self.write("id,x,label\na,1,up\na,2,down\n", "relabel.csv")
        #expect(throws: DataError.malformed(path: relabel, line: 3, expected: "one label per sequence ('up' for 'a')", found: "'down'")) {
            try TimeSeriesCSV.readLong(relabel, idColumn: "id")
        }
        #expect(throws: DataError.self) { try TimeSeriesCSV.readLong(relabel, idColumn: "nosuch") }
    }

    @Test func csvWideFormReadsOneSequencePerRow() throws {
        let path = try Self.write("label,v1,v2,v3\nup,1,2,3\ndown,3,2,\n", "wide.csv")
        let set = try TimeSeriesCSV.readWide(path)
        #expect(set.cases.map(\.length) == [3, 2])          // a trailing empty field pads a shorter row
        #expect(set.cases.map(\.label) == ["up", "down"])
        let bare = try Self.write("1,2,3\n4,5,6\n", "bare.csv")
        #expect(try TimeSeriesCSV.readWide(bare).cases.count == 2)
        #expect(try TimeSeriesCSV.readWide(bare, labelColumn: "1").cases.map(\.label) == ["1", "4"])
    }

    @Test func csvSeriesReadsTheLastColumnUnderEitherHeaderStyle() throws {
        let airline = try Self.write("Date,Passengers\n1949-01,112\n1949-02,118\n", "a.csv")
        let a = try TimeSeriesCSV.readSeries(airline)
        #expect(a.values == [112, 118] && a.name == "Passengers" && a.firstLine == 2)
        let lynx = try Self.write(",0\n1821,269\n1822,321\n", "l.csv")        // pandas' header: an empty first cell
        #expect(try TimeSeriesCSV.readSeries(lynx).values == [269, 321])
        let bad = try Self.write("Date,Passengers\n1949-01,112\n1949-02,lots\n", "b.csv")
        #expect(throws: DataError.malformed(path: bad, line: 3, expected: "a number in Passengers", found: "'lots'")) {
            try TimeSeriesCSV.readSeries(bad)
        }
    }

    @Test func scalingIsFittedPerChannelAndStoredMissingValuesFollowTheOption() throws {
        let c = TimeSeriesCase(values: [1, 10, .nan, 30, 3, .nan], length: 3, channels: 2, label: nil, path: "s.ts", line: 4)
        let s = ChannelScaling.fit([c], channels: 2)
        #expect(s.mean == [2, 20])
        #expect(abs(s.std[0] - 1) < 1e-6 && abs(s.std[1] - 10) < 1e-5)
        // carry: channel 0 step 1 takes step 0's value; channel 1 step 2 takes step 1's.
        let carried = try s.encode(c, missing: .carry)
        #expect(carried.values == [-1, -1, -1, 1, 1, 1])
        // mask: zero (the mean) plus a mask channel per channel.
        let masked = try s.encode(c, missing: .mask)
        #expect(masked.values == [-1, -1, 1, 1,  0, 1, 0, 1,  1, 0, 1, 0])
        #expect(throws: DataError.malformed(path: "s.ts", line: 4, expected: "a value at step 2 of channel 1 (use --missing carry or mask to accept missing values)",
                                            found: "a missing value")) { try s.encode(c, missing: .refuse) }
        // patches of 2 steps: ceil(3 / 2) = 2 steps of 4 values, the last padded with zeros.
        let patched = try s.encode(c, missing: .carry, patch: 2)
        #expect(patched.length == 2 && patched.values == [-1, -1, -1, 1, 1, 1, 0, 0])
        let round = try JSONDecoder().decode(ChannelScaling.self, from: JSONEncoder().encode(s))
        #expect(round == s)
    }

    @Test(.enabled(if: hasData, "needs RNN_DATA_DIR with timeseries/"))
    func archiveFilesReadAsTheirSourceDescribes() throws {
        let dir = Self.dataDirectory!
        let vowels = try TSFile.read("\(dir)/JapaneseVowels/JapaneseVowels_TRAIN.ts")
        #expect(vowels.cases.count == 270 && vowels.channels == 12)
        #expect(vowels.cases.allSatisfy { (7...29).contains($0.length) } && Set(vowels.cases.map(\.length)).count > 10)
        #expect(vowels.classLabels == (1...9).map(String.init))
        let motions = try TSFile.read("\(dir)/BasicMotions/BasicMotions_TEST.ts")
        #expect(motions.cases.count == 40 && motions.channels == 6 && Set(motions.cases.map(\.length)) == [100])
        let gun = try TSFile.read("\(dir)/GunPoint/GunPoint_TRAIN.ts")
        #expect(gun.cases.count == 50 && gun.channels == 1 && Set(gun.cases.map(\.length)) == [150])
        #expect(try TimeSeriesCSV.readSeries("\(dir)/Airline.csv").values.count == 144)
        #expect(try TimeSeriesCSV.readSeries("\(dir)/Lynx.csv").values.count == 114)
        for file in DataCatalog.entry("timeseries")!.files {
            let data = try #require(FileManager.default.contents(atPath: "\(dir)/\(file.name)"))
            #expect(SHA256.hex(data) == file.sha256, "\(file.name)")
        }
        #expect(try DataCatalog.resolve("timeseries/GunPoint") == "\(dir)/GunPoint")
    }
}
