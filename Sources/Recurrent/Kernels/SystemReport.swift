/// What the kernels run on, as `rnn info` prints it.
package struct SystemReport: Sendable {
    package var version: String
    /// Which backend serves which products, and why.
    package var backendChoice: [String]
    /// OpenBLAS's kernel set and build, when it is loaded.
    package var openBLASCore: String?
    package var openBLASConfig: String?
    package var cpuModel: String
    package var availableBackends: [GEMMBackend]
    package var openBLASPath: String?
    package var isa: String
    package var cpuFeatures: String
    package var threads: Int

    /// The report for this process.
    package static var current: SystemReport {
        SystemReport(
            version: Recurrent.version, backendChoice: GEMMBackend.explanation, openBLASCore: OpenBLAS.coreName,
            openBLASConfig: OpenBLAS.config, cpuModel: CPU.modelName, availableBackends: GEMMBackend.available,
            openBLASPath: OpenBLAS.library?.path, isa: CPU.name(of: CPU.isa), cpuFeatures: CPU.features,
            threads: Threads.count)
    }

    /// Lines of `key: value`.
    package var text: String {
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
