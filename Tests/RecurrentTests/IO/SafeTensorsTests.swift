import Foundation
import Testing
@testable import Recurrent

/// The safetensors reader round-trips what the writer writes, and refuses every
/// malformed file with a typed error that names the file and the tensor.
@Suite struct SafeTensorsTests {
    static func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    @Test func roundTripKeepsTensorsOrderAndMetadata() throws {
        let a = randomTensor([3, 4], seed: 1), b = randomTensor([5], seed: 2), empty = Tensor.zeros([0, 3])
        let path = Self.tempPath("round.safetensors")
        try SafeTensorsFile.write([("z.first", a), ("a.second", b), ("empty", empty)],
                                  metadata: ["kind": "test", "quote": "a \"b\"\n\\c"], to: path)
        let file = try SafeTensorsFile(contentsOf: path)
        #expect(try file.tensor("z.first") == a)
        #expect(try file.tensor("a.second") == b)
        #expect(try file.tensor("empty") == empty)
        #expect(file.names == ["z.first", "a.second", "empty"] || file.names == ["z.first", "a.second"] + ["empty"])
        #expect(file.metadata == ["kind": "test", "quote": "a \"b\"\n\\c"])
        // The temporary file was renamed away.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            .filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func readsWhatPyTorchWrote() throws {
        let file = try fixture("layers")
        #expect(file.metadata["generator"] == "Scripts/make_torch_fixtures.py")
        #expect(try file.tensor("linear.weight").shape == [4, 5])
    }

    /// A header followed by `data` bytes of payload.
    static func file(header: String, data: Int = 0, declaredLength: UInt64? = nil) -> Data {
        var out = Data()
        let h = Array(header.utf8)
        withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: h)
        out.append(Data(count: data))
        return out
    }

    static let malformed: [(String, Data, String)] = [
        ("empty file", Data(), "truncated"),
        ("short length", Data([1, 2, 3]), "truncated"),
        ("length past the end", file(header: "{}", declaredLength: 500), "truncated"),
        ("huge header", file(header: "{}", declaredLength: 1 << 40), "larger than the file"),
        ("not JSON", file(header: "{not json"), "not valid JSON"),
        ("not an object", file(header: "[1,2]"), "expected a JSON object"),
        ("entry not an object", file(header: #"{"w":3}"#), "tensor 'w'"),
        ("no dtype", file(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: 4), "missing dtype"),
        ("unknown dtype", file(header: #"{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, data: 4), "dtype Q7"),
        ("negative shape", file(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: 4), "shape"),
        ("fractional shape", file(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: 4), "shape"),
        ("one offset", file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, data: 4), "data_offsets"),
        ("offsets past the data", file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 4), "outside"),
        ("offsets reversed", file(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, data: 4), "outside"),
        ("size mismatch", file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8), "needs 12 bytes"),
        ("overlap", file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8), "overlaps"),
        ("overflowing shape", file(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: 4), "too large"),
        ("metadata not strings", file(header: #"{"__metadata__":{"a":1}}"#), "__metadata__"),
    ]

    @Test("malformed files get a typed error naming the problem", arguments: malformed.indices)
    func malformedFilesAreRefused(index: Int) {
        let (name, bytes, expected) = Self.malformed[index]
        do {
            _ = try SafeTensorsFile(bytes: bytes, path: "bad.safetensors")
            Issue.record("\(name): accepted")
        } catch let error as SafeTensorsError {
            #expect(error.description.hasPrefix("bad.safetensors: "), "\(name): \(error)")
            #expect(error.description.contains(expected), "\(name): \(error)")
        } catch {
            Issue.record("\(name): untyped error \(error)")
        }
    }

    @Test func lookupErrorsNameTheTensor() throws {
        let bytes = Self.file(header: #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: 4)
        let file = try SafeTensorsFile(bytes: bytes, path: "m.safetensors")
        #expect(throws: SafeTensorsError.unsupportedDType(path: "m.safetensors", tensor: "h", dtype: "F16")) { try file.tensor("h") }
        #expect(throws: SafeTensorsError.missingTensor(path: "m.safetensors", tensor: "w")) { try file.tensor("w") }
    }

    @Test func missingFilesAndFoldersAreRefused() {
        #expect(throws: SafeTensorsError.unreadable(path: "/nonexistent/x.safetensors", reason: "no such file")) {
            try SafeTensorsFile(contentsOf: "/nonexistent/x.safetensors")
        }
        let dir = FileManager.default.temporaryDirectory.path
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(contentsOf: dir) }
        #expect(throws: SafeTensorsError.self) {
            try SafeTensorsFile.write([("a", .zeros([1]))], to: "/nonexistent-folder/x.safetensors")
        }
    }
}
