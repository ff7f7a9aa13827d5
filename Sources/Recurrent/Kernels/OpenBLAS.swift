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

    /// The loaded library's `cblas_sgemm` and where it came from, or nil.
    static let library: (sgemm: SGEMM, path: String)? = {
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
            return (unsafeBitCast(sym, to: SGEMM.self), name)
        }
        return nil
    }()

    static var isAvailable: Bool { library != nil }

    // CBLAS enumerations.
    static let rowMajor: Int32 = 101
    static let noTrans: Int32 = 111
    static let trans: Int32 = 112
}
