/// What the kernels run on, as `rnn info` prints it.
public struct SystemReport: Sendable {
    public var version: String
    public var backend: GEMMBackend
    public var availableBackends: [GEMMBackend]
    public var openBLASPath: String?
    public var isa: String
    public var cpuFeatures: String
    public var threads: Int

    /// The report for this process.
    public static var current: SystemReport {
        SystemReport(
            version: Recurrent.version, backend: .current, availableBackends: GEMMBackend.available,
            openBLASPath: OpenBLAS.library?.path, isa: CPU.name(of: CPU.isa), cpuFeatures: CPU.features,
            threads: Threads.count)
    }

    /// Lines of `key: value`.
    public var text: String {
        """
        recurrent \(version)
        gemm backend: \(backend)\(backend == .openblas ? " (\(openBLASPath ?? "?"))" : "")
        gemm backends available: \(availableBackends.map(\.rawValue).joined(separator: ", "))\(OpenBLAS.isAvailable ? "" : " (install libopenblas0-pthread for openblas)")
        builtin kernel: \(isa)
        cpu features: \(cpuFeatures)
        threads: \(threads)
        """
    }
}
