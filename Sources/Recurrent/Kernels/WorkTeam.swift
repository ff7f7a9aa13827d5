import CKernels

/// Two threads for short, repeated parallel work: the caller and a helper that
/// spins for a fifth of a millisecond after each piece of work, then sleeps.
/// Batch-1 generation splits each layer's matrix-vector products over a team,
/// and a recurrent layer's time loop splits each step's units over
/// ``shared``, paying an atomic hand-off (and a spin barrier per step) instead
/// of waking a sleeping thread. On two threads, ``Threads/parallelFor(_:_:)``
/// hands its work to ``shared`` too when it is free.
final class WorkTeam: @unchecked Sendable {
    private let team: OpaquePointer

    /// A team, or nil with fewer than two threads or when the helper cannot start.
    init?() {
        guard Threads.count >= 2, let t = ck_team_create() else { return nil }
        team = t
    }

    deinit { ck_team_destroy(team) }

    /// The process-wide team the recurrent time loops share; nil with one thread.
    static let shared: WorkTeam? = WorkTeam()

    private final class Work {
        let body: (Int) -> Void
        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }

    /// Runs `body(0)` here and `body(1)` on the helper; returns when both are done.
    /// When the helper has not taken `body(1)` by the time `body(0)` is done (it
    /// has no core, or is waking up), this thread runs `body(1)` itself. (Work
    /// that calls ``sync()`` cannot get there: `body(0)` waits at the barrier.)
    /// A second caller waits for the first; never call it from inside `body`.
    func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let work = Work(body)
            let context = Unmanaged.passUnretained(work).toOpaque()
            ck_team_run(team, { context, member in
                Unmanaged<Work>.fromOpaque(context!).takeUnretainedValue().body(Int(member))
            }, context)
            withExtendedLifetime(work) {}
        }
    }

    /// As ``run(_:)`` when no other caller holds the team; returns false,
    /// having run nothing, when one does. With `barriers` (`body` calls
    /// ``sync()``), also false for half a second after barrier waits showed
    /// that the two threads did not both have a core, so the caller runs the
    /// work alone instead of waiting a time slice at every barrier.
    func tryRun(barriers: Bool = false, _ body: (Int) -> Void) -> Bool {
        withoutActuallyEscaping(body) { body in
            let work = Work(body)
            let context = Unmanaged.passUnretained(work).toOpaque()
            let ran = ck_team_try_run(team, { context, member in
                Unmanaged<Work>.fromOpaque(context!).takeUnretainedValue().body(Int(member))
            }, context, barriers ? 1 : 0)
            withExtendedLifetime(work) {}
            return ran != 0
        }
    }

    /// Inside ``run(_:)`` or ``tryRun(barriers:_:)``: returns once both
    /// members have called it. Both members must call it the same number of times.
    func sync() { ck_team_sync(team) }

    /// How many barrier waits so far took a millisecond or more.
    var slowWaits: Int { ck_team_slow_waits(team) }

    /// Whether the helper thread is asleep (idle past its spinning time).
    var helperIsAsleep: Bool { ck_team_helper_sleeping(team) != 0 }

    /// Rows `0..<m` split in two (multiples of 4), as `(member) -> rows`.
    static func half(_ m: Int, _ member: Int) -> Range<Int> {
        let cut = min(m, (m / 2 + 3) / 4 * 4)
        return member == 0 ? 0..<cut : cut..<m
    }

    /// Runs `body(members, member, sync)`: on both threads of ``shared`` as
    /// members 0 and 1 of 2 when `split` is true, the caller is not already
    /// inside parallel work and the team is free; otherwise once, here, as
    /// member 0 of 1 with a `sync` that does nothing. Denormals are flushed
    /// to zero inside (see ``withoutDenormals(_:)``).
    static func splitSteps(_ split: Bool, _ body: (_ members: Int, _ member: Int, _ sync: () -> Void) -> Void) {
        if split, ck_serial() == 0, let team = shared {
            let ran = team.tryRun(barriers: true) { member in
                ck_set_serial(1)
                withoutDenormals { body(2, member, team.sync) }
                ck_set_serial(0)
            }
            if ran { return }
        }
        withoutDenormals { body(1, 0, {}) }
    }
}
