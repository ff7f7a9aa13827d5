/// What the kernels run on, as `rnn info` prints it.
public struct SystemReport: Sendable {
    public var version: String
    /// Which backend serves which products, and why.
    public var backendChoice: [String]
    /// OpenBLAS's kernel set and build, when it is loaded.
    public var openBLASCore: String?
    public var openBLASConfig: String?
    public var cpuModel: String
    public var availableBackends: [GEMMBackend]
    public var openBLASPath: String?
    public var isa: String
    public var cpuFeatures: String
    public var threads: Int

    /// The report for this process.
    public static var current: SystemReport {
        SystemReport(
            version: Recurrent.version, backendChoice: GEMMBackend.explanation, openBLASCore: OpenBLAS.coreName,
            openBLASConfig: OpenBLAS.config, cpuModel: CPU.modelName, availableBackends: GEMMBackend.available,
            openBLASPath: OpenBLAS.library?.path, isa: CPU.name(of: CPU.isa), cpuFeatures: CPU.features,
            threads: Threads.count)
    }

    /// Lines of `key: value`.
    public var text: String {
        """
        recurrent \(version)
        gemm backends available: \(availableBackends.map(\.rawValue).joined(separator: ", "))\(OpenBLAS.isAvailable ? "" : " (install libopenblas0-pthread for openblas)")
        \(openBLASPath.map { "openblas: \($0), core \(openBLASCore ?? "?"), \(openBLASConfig ?? "?")\n" } ?? "")gemm backend per product (layout and size; timed on this machine, cached):
        \(backendChoice.map { "  " + $0 }.joined(separator: "\n"))
        cpu: \(cpuModel)
        builtin kernel: \(isa)
        cpu features: \(cpuFeatures)
        threads: \(threads)
        """
    }
}
