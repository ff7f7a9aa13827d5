import Foundation
import Testing
@testable import Recurrent

/// `rnn train classify` on numeric sequences, `rnn train forecast`, `rnn forecast`,
/// and `predict`/`evaluate` on their models, end to end through the built binary.
@Suite struct TimeSeriesCLITests {
    /// A UCR/UEA-style folder of rising and falling series: RF_TRAIN.ts and RF_TEST.ts.
    static func risingFallingFolder() throws -> String {
        let dir = TrainerTests.tempDir() + "/RF"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, count, seed) in [("TRAIN", 256, UInt64(41)), ("TEST", 40, 42)] {
            let cases = TimeSeriesModelTests.risingFalling(count: count, seed: seed)
            let body = cases.map { c in c.values.map { String($0) }.joined(separator: ",") + ":" + c.label! }.joined(separator: "\n")
            try ("# rising or falling\n@problemName RF\n@univariate true\n@equalLength false\n@classLabel true rising falling\n@data\n" + body + "\n")
                .write(toFile: "\(dir)/RF_\(name).ts", atomically: true, encoding: .utf8)
        }
        return dir
    }

    @Test func classifyTrainsOnATsFolderThenPredictsAndEvaluates() throws {
        let data = try Self.risingFallingFolder(), model = TrainerTests.tempDir() + "/rf.safetensors"
        let train = try CLITests.rnn(["train", "classify", "--data", data, "--cell", "gru", "--hidden", "16", "--pooling", "last",
                                      "--lr", "0.02", "--steps", "300", "--valid-split", "0.1", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("1 channels, length 8-24, 2 labels"), "\(train.stdout)")
        #expect(train.stdout.contains("RF_TEST.ts: accuracy 1.0000"), "\(train.stdout)")
        // Resume continues from the resume file beside --out (the scaling comes back with the config).
        let resumed = try CLITests.rnn(["train", "classify", "--data", data, "--cell", "gru", "--hidden", "16", "--pooling", "last",
                                        "--lr", "0.02", "--steps", "310", "--valid-split", "0.1", "--resume", "--out", model])
        #expect(resumed.status == 0 && resumed.stdout.contains("resuming from") && resumed.stdout.contains("at step 300"), "\(resumed.stdout)\(resumed.stderr)")
        let evaluate = try CLITests.rnn(["evaluate", "--model", model, "--data", data])
        #expect(evaluate.status == 0 && evaluate.stdout.contains("accuracy 1.0000") && evaluate.stdout.contains("truth\\pred"), "\(evaluate.stdout)")
        let predict = try CLITests.rnn(["predict", "--model", model, "\(data)/RF_TEST.ts", "--top", "2"])
        let lines = predict.stdout.split(separator: "\n")
        #expect(predict.status == 0 && lines.count == 40, "\(predict.stderr)")
        #expect(lines.first?.hasPrefix("rising\t") == true && lines.first?.hasSuffix("RF_TEST.ts:7") == true, "\(lines.first ?? "")")
        // The same model reads the long CSV form: one row per step, a sequence-id column.
        let csv = TrainerTests.tempDir() + "/long.csv"
        var rows = ["id,value,label"]
        for (i, c) in TimeSeriesModelTests.risingFalling(count: 6, seed: 43).enumerated() { rows += c.values.map { "s\(i),\($0),\(c.label!)" } }
        try (rows.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let long = try CLITests.rnn(["evaluate", "--model", model, "--data", csv, "--id-column", "id", "--json"])
        #expect(long.status == 0 && long.stdout.contains(#""accuracy":1.000000"#) && long.stdout.contains(#""examples":6"#), "\(long.stdout)\(long.stderr)")
        let text = try CLITests.rnn(["predict", "--model", model, csv, "--id-column", "id", "--text-column", "value"])
        #expect(text.status == 64 && text.stderr.contains("--strict, --delimiter and --text-column read text"), "\(text.stderr)")
    }

    static func sineCSV(values: Int = 120) throws -> String {
        let path = TrainerTests.tempDir() + "/sine.csv"
        let rows = (0..<values).map { "\($0),\(10 + sin(2 * Double.pi * Double($0) / 12))" }
        try ("t,value\n" + rows.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aForecasterReadsTheColumnItWasTrainedOnByDefault() throws {
        let dir = TrainerTests.tempDir(), data = dir + "/shop.csv", model = dir + "/units.safetensors"
        let rows = (0..<40).map { "\($0),\(10 + $0 % 4),\(5000 + 100 * ($0 % 3))" }
        try ("t,units,price\n" + rows.joined(separator: "\n") + "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let train = try CLITests.rnn(["train", "forecast", "--data", data, "--column", "units", "--horizon", "2", "--window", "4",
                                      "--hidden", "4", "--steps", "2", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try Forecaster(checkpoint: Checkpoint.read(model)).config.column == "units")
        // Before: without --column both read the last column, price, and forecast it with a model of units.
        let forecast = try CLITests.rnn(["forecast", "--model", model, "--data", data])
        #expect(forecast.status == 0 && forecast.stdout.contains("shop.csv: units, 40 values"), "\(forecast.stdout)\(forecast.stderr)")
        let other = try CLITests.rnn(["forecast", "--model", model, "--data", data, "--column", "price"])
        #expect(other.status == 0 && other.stdout.contains("shop.csv: price, 40 values"), "\(other.stdout)\(other.stderr)")
        let evaluate = try CLITests.rnn(["evaluate", "--model", model, "--data", data, "--json"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        // A series without a header records the column's number.
        #expect(try TimeSeriesCSV.parseSeries("1,2\n3,4\n", path: "p").column == "2")
        #expect(try TimeSeriesCSV.parseSeries("a,7\n1,2\n3,4\n", path: "p", column: "2").column == "2")
    }

    @Test func forecastTrainsEvaluatesAgainstBaselinesAndForecasts() throws {
        let data = try Self.sineCSV(), model = TrainerTests.tempDir() + "/sine.safetensors"
        let train = try CLITests.rnn(["train", "forecast", "--data", data, "--horizon", "6", "--window", "12", "--season", "12",
                                      "--hidden", "16", "--steps", "150", "--lr", "0.01", "--out", model])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("training on the first 114 (the last 6 held out for `rnn evaluate`), 97 windows"), "\(train.stdout)")
        let evaluate = try CLITests.rnn(["evaluate", "--model", model, "--data", data, "--baselines", "--json"])
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["method"] as? String } == ["LSTM forecaster", "seasonal naive (m=12)", "linear trend"])
        #expect((rows[1]["mae"] as? Double ?? 1) < 1e-5, "a period-12 sine repeats exactly")
        #expect((rows[0]["mae"] as? Double ?? 1) < 0.2, "\(rows[0])")
        let table = try CLITests.rnn(["evaluate", "--model", model, "--data", data, "--baselines"])
        #expect(table.stdout.contains("MASE") && table.stdout.contains("linear trend"), "\(table.stdout)")
        let forecast = try CLITests.rnn(["forecast", "--model", model, "--data", data, "--json"])
        let values = try #require(try JSONSerialization.jsonObject(with: Data(forecast.stdout.utf8)) as? [Double])
        #expect(values.count == 6 && values.allSatisfy { abs($0 - 10) < 1.5 }, "\(values)")
        // Each value in its shortest Float form (before: %.6g, so 1234567 printed as 1.23457e+06).
        #expect(forecast.stdout.split(separator: ",").allSatisfy { !$0.contains("e+") } && !forecast.stdout.contains("inf"), "\(forecast.stdout)")
        #expect(jsonNumber(Float(1_234_567)) == "1234567" && jsonNumber(Float(1.1)) == "1.1" && jsonNumber(Float.infinity) == "null")
        let recursive = try CLITests.rnn(["train", "forecast", "--data", data, "--horizon", "6", "--window", "12", "--strategy", "recursive",
                                          "--loss", "mae", "--difference", "1", "--hidden", "8", "--steps", "20", "--out", model, "--force"])
        #expect(recursive.status == 0 && recursive.stdout.contains("6 recursive, mae loss, difference lag 1"), "\(recursive.stdout)\(recursive.stderr)")
    }

    /// Each row: the files to write, the arguments, the exit status, and a phrase of the one-line error.
    @Test func badNumericInputsGiveOneClearLine() throws {
        let dir = TrainerTests.tempDir(), out = dir + "/m.safetensors"
        let header = "@dimensions 2\n@equalLength true\n@missing false\n@classLabel true a b\n@data\n"
        let files = [
            "dims.ts": header + "1,2:3,4:a\n1,2:3,4:5,6:b\n",
            "mixed.ts": header + "1,2,3:3,4:a\n",
            "label.ts": header + "1,2:3,4:c\n",
            "nan.ts": header + "1,2:3,NaN:a\n",
            "split.csv": "id,x,label\na,1,up\nb,2,down\na,3,up\n",
            "gap.csv": "id,x,label\na,1,up\na,?,up\nb,2,down\n",
            "short.csv": "t,v\n1,1\n2,2\n3,3\n4,4\n5,5\n",
        ]
        for (name, text) in files { try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        let cases: [([String], Int32, String)] = [
            (["train", "classify", "--data", "\(dir)/dims.ts"], 1, "dims.ts:7: expected 2 channels separated by ':' (@dimensions 2), found 3"),
            (["train", "classify", "--data", "\(dir)/mixed.ts"], 1, "mixed.ts:6: expected every channel of a case to have 3 values"),
            (["train", "classify", "--data", "\(dir)/label.ts"], 1, "label.ts:6: expected a class label declared in @classLabel (a, b), found 'c'"),
            (["train", "classify", "--data", "\(dir)/nan.ts"], 1, "nan.ts:6: expected a number in channel 2 (missing values are not declared"),
            (["train", "classify", "--data", "\(dir)/split.csv", "--id-column", "id"], 1,
             "split.csv:4: expected the rows of sequence 'a' together (it started at line 2, and other sequences came between), found 'a' again"),
            (["train", "classify", "--data", "\(dir)/gap.csv", "--id-column", "id"], 1,
             "gap.csv:2: expected a value at step 2 of channel 1 (use --missing carry or mask to accept missing values), found a missing value"),
            (["train", "classify", "--data", "\(dir)/gap.csv", "--id-column", "id", "--tokenizer", "char"], 64, "--tokenizer, --lowercase"),
            (["train", "forecast", "--data", "\(dir)/short.csv", "--horizon", "9", "--window", "2"], 1,
             "short.csv:6: expected a series longer than --horizon 9, found 5 values"),
            (["train", "forecast", "--data", "\(dir)/short.csv", "--horizon", "1", "--window", "7"], 1,
             "short.csv:6: expected a series longer than --window 7, found 5 values"),
            (["train", "forecast", "--data", "\(dir)/short.csv", "--horizon", "2", "--window", "3"], 1,
             "short.csv:6: expected at least 7 values for one training window (--window 3 + --difference 0 + 2 targets + 2 held out), found 5 values"),
            (["train", "forecast", "--data", "\(dir)/short.csv", "--horizon", "1", "--window", "2", "--missing", "mask"], 64, "--missing mask is for classifiers"),
            (["train", "forecast", "--data", "\(dir)/short.csv", "--horizon", "0", "--window", "2"], 64, "--horizon must be at least 1 and at most 10000000, got 0"),
        ]
        for (args, status, message) in cases {
            let r = try CLITests.rnn(args + ["--steps", "1", "--out", out])
            #expect(r.status == status, "\(args): status \(r.status), \(r.stderr)")
            #expect(r.stderr.contains(message) && !r.stderr.contains("Fatal error") && r.stderr.split(separator: "\n").count <= 3,
                    "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
