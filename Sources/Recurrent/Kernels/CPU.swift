import CKernels
import Foundation

/// What the processor offers, read once at start-up.
package enum CPU {
    /// The instruction-set level the built-in kernels use: the best the CPU
    /// supports, capped by `RNN_CPU=portable|avx2|avx512` when set.
    static let isa: ck_isa = {
        let best = ck_best_isa()
        guard let cap = ProcessInfo.processInfo.environment["RNN_CPU"]?.lowercased() else { return best }
        let wanted: ck_isa
        switch cap {
        case "portable": wanted = CK_ISA_PORTABLE
        case "avx2": wanted = CK_ISA_AVX2
        case "avx512": wanted = CK_ISA_AVX512
        default: return best
        }
        return wanted.rawValue < best.rawValue ? wanted : best
    }()

    /// Every level this CPU can run, portable first (for tests that check each one).
    static let supportedISAs: [ck_isa] = {
        let best = ck_best_isa()
        return [CK_ISA_PORTABLE, CK_ISA_AVX2, CK_ISA_AVX512].filter { $0.rawValue <= best.rawValue }
    }()

    /// The name of an instruction-set level, as `rnn info` prints it.
    static func name(of isa: ck_isa) -> String {
        switch isa {
        case CK_ISA_AVX512: return "avx512"
        case CK_ISA_AVX2: return "avx2+fma"
        default: return "portable"
        }
    }

    /// The processor's model as /proc/cpuinfo names it (with family, model and
    /// stepping), or "unknown". Read at run time: the machine can change between runs.
    package static let modelName: String = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        var fields: [String: String] = [:]
        for line in info.split(separator: "\n") {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { break }  // the first processor is enough
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let name = fields["model name"] else { return "unknown" }
        return "\(name) (family \(fields["cpu family"] ?? "?"), model \(fields["model"] ?? "?"), stepping \(fields["stepping"] ?? "?"))"
    }()

    /// Whether the bfloat16 kernels can run: AVX512-BF16, with the built-in kernel at AVX-512.
    /// The name of the instruction set the kernels run with (`avx512`, `avx2`, `portable`).
    package static var isaName: String { name(of: isa) }

    package static let hasBF16: Bool = ck_has_bf16() != 0 && isa == CK_ISA_AVX512

    /// The features seen ("sse4.2 avx avx2 fma avx512f ...").
    package static var features: String { String(cString: ck_cpu_features()) }
}
