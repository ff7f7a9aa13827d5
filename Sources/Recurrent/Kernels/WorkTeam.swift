import CKernels

/// Two threads for short, repeated parallel work: the caller and a helper that
/// spins while the team exists. Batch-1 generation splits each layer's
/// matrix-vector products over it, paying an atomic hand-off per layer instead
/// of waking a sleeping thread. Create one per generation run; the helper stops
/// when the team is released.
public final class WorkTeam {
    private let team: OpaquePointer

    /// A team, or nil with fewer than two threads or when the helper cannot start.
    public init?() {
        guard Threads.count >= 2, let t = ck_team_create() else { return nil }
        team = t
    }

    deinit { ck_team_destroy(team) }

    private final class Work {
        let body: (Int) -> Void
        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }

    /// Runs `body(0)` here and `body(1)` on the helper; returns when both are done.
    public func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let work = Work(body)
            let context = Unmanaged.passUnretained(work).toOpaque()
            ck_team_run(team, { context, member in
                Unmanaged<Work>.fromOpaque(context!).takeUnretainedValue().body(Int(member))
            }, context)
            withExtendedLifetime(work) {}
        }
    }

    /// Rows `0..<m` split in two (multiples of 4), as `(member) -> rows`.
    static func half(_ m: Int, _ member: Int) -> Range<Int> {
        let cut = min(m, (m / 2 + 3) / 4 * 4)
        return member == 0 ? 0..<cut : cut..<m
    }
}
