import CKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// OpenBLAS's `cblas_sgemm`, found at run time with `dlopen`, so nothing is
/// needed at build time and the package works without it.
enum OpenBLAS {
    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float,
        UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
        UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias GetString = @convention(c) () -> UnsafePointer<CChar>?

    /// The loaded library's `cblas_sgemm`, where it came from, and its
    /// `openblas_get_corename()` and `openblas_get_config()`, or nil.
    static let library: (sgemm: SGEMM, path: String, coreName: String?, config: String?)? = {
        #if os(macOS)
        let candidates = ["/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib"]
        #else
        let candidates = ["libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.3.so"]
        #endif
        for name in candidates {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let sym = dlsym(handle, "cblas_sgemm") else { dlclose(handle); continue }
            // One thread per call: the front door shares the cores out itself.
            if let setter = dlsym(handle, "openblas_set_num_threads") {
                unsafeBitCast(setter, to: SetThreads.self)(1)
            }
            func text(_ symbol: String) -> String? {
                guard let f = dlsym(handle, symbol), let p = unsafeBitCast(f, to: GetString.self)() else { return nil }
                return String(cString: p).trimmingCharacters(in: .whitespaces)
            }
            return (unsafeBitCast(sym, to: SGEMM.self), name, text("openblas_get_corename"), text("openblas_get_config"))
        }
        return nil
    }()

    static var isAvailable: Bool { library != nil }

    /// The kernel set OpenBLAS chose for this CPU (`Haswell`, `SkylakeX`, `Prescott`, ...).
    static var coreName: String? { library?.coreName }
    /// OpenBLAS's build description (version, DYNAMIC_ARCH, core, thread limit).
    static var config: String? { library?.config }

    /// OpenBLAS kernel sets that use no AVX2/FMA: on a CPU that has AVX2, a
    /// library reporting one of these did not recognise the CPU and runs its
    /// old SSE or AVX-only kernels.
    static let preAVX2Cores: Set<String> = [
        "generic", "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
        "dunnington", "nehalem", "sandybridge", "opteron", "opteron_sse3", "barcelona", "bobcat", "bulldozer",
        "piledriver", "steamroller", "nano",
    ]

    /// Why OpenBLAS must not be preferred here (its core is below the CPU's
    /// instruction set), or nil.
    static var coreBelowCPU: String? {
        guard let core = coreName else { return nil }
        return coreBelow(core: core, cpuHasAVX2: CPU.supportedISAs.contains(CK_ISA_AVX2))
    }

    /// The rule behind ``coreBelowCPU``, for any core name and CPU.
    static func coreBelow(core: String, cpuHasAVX2: Bool) -> String? {
        guard cpuHasAVX2, preAVX2Cores.contains(core.lowercased()) else { return nil }
        return "OpenBLAS uses its \(core) kernels (no AVX2/FMA) on this CPU, which has \(CPU.name(of: ck_best_isa()))"
    }

    /// `cblas_sgemm` as a row-major single-threaded GEMM kernel.
    static func kernel(_ sgemm: @escaping SGEMM) -> GEMMKernel {
        { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
            sgemm(rowMajor, ta ? trans : noTrans, tb ? trans : noTrans,
                  Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    // CBLAS enumerations.
    static let rowMajor: Int32 = 101
    static let noTrans: Int32 = 111
    static let trans: Int32 = 112
}
