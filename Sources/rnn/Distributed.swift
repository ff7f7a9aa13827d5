import ArgumentParser
import Foundation
import Recurrent
#if RNN_MPI
import RecurrentMPI
#endif

/// `--distributed`: data-parallel training over the ranks of an MPI launch.
struct DistributedOptions: ParsableArguments {
    @Flag(help: "Train data-parallel over the ranks of an MPI launch (mpirun -np N rnn train lm --distributed ...): --batch is split among the ranks; rank 0 prints progress and writes the checkpoints.")
    var distributed = false
}

/// Whether this `rnn` was built with MPI (RNN_MPI=1), for `rnn info`.
let mpiBuiltIn: Bool = {
    #if RNN_MPI
    return true
    #else
    return false
    #endif
}()

/// Runs `body` as one rank of an MPI launch, or with nil when `enabled` is false.
///
/// On ranks other than 0, standard output is discarded (rank 0 prints the
/// progress); errors still reach standard error, prefixed with the rank. An
/// error every rank knows of (agreed through ``Communicator/agree(_:what:)``)
/// ends each rank with exit 1; any other ends the whole job (MPI_Abort), so
/// no rank waits for one that stopped.
func distributedRun(_ enabled: Bool, _ body: (Communicator?) throws -> Void) throws {
    guard enabled else { return try body(nil) }
    #if RNN_MPI
    guard MPICommunicator.isLaunched else {
        throw UsageError(description: "--distributed needs an MPI launch: run mpirun -np N rnn train lm --distributed ... (this process was started without mpirun)")
    }
    let comm: MPICommunicator
    do { comm = try MPICommunicator() } catch { throw UsageError(description: "\(error)") }
    if comm.rank != 0 {
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { dup2(null, STDOUT_FILENO); close(null) }
    }
    do {
        try body(comm)
        comm.finalize()
    } catch let e as DistributedFailure {
        FileHandle.standardError.write(Data("Error: \(ranked("\(e.error)", comm.rank))\n".utf8))
        comm.finalize()
        Foundation.exit(1)
    } catch let e as ExitCode {
        comm.finalize()
        throw e
    } catch {
        FileHandle.standardError.write(Data("Error: \(ranked("\(error)", comm.rank))\n".utf8))
        comm.abort("\(error)")
        Foundation.exit(1)
    }
    #else
    throw UsageError(description: "--distributed: this rnn was built without MPI; install Open MPI (libopenmpi-dev) and build with RNN_MPI=1 swift build -c release --product rnn")
    #endif
}

/// An error every rank has (so each can end on its own, without MPI_Abort).
struct DistributedFailure: Error { let error: Error }

/// Runs `body` on every rank and stops all of them, with a clear error on
/// each, when it throws on any (`what` says what failed: "read the data").
func collectively<T>(_ comm: Communicator?, _ what: String, _ body: () throws -> T) throws -> T {
    guard let comm else { return try body() }
    do { return try comm.together(what, body) } catch let e as CommunicatorError {
        if case .mpi = e { throw e }
        throw DistributedFailure(error: e)
    } catch {
        throw DistributedFailure(error: error)
    }
}

/// Splits `task` among the ranks, checks that all run the same configuration
/// (the binary's version and parameters, the command's options), and copies
/// rank 0's initial parameters to all.
func startDistributed(_ comm: Communicator?, task: any TrainingTask, training: TrainingArguments) throws -> DistributedTraining? {
    guard let comm else { return nil }
    let d = try collectively(comm, "split the data") { try DistributedTraining(task: task, communicator: comm) }
    let description = Recurrent.version + "\n" + task.checkpointDescription.config + "\n"
        + task.parameters.map { "\($0.name) \($0.parameter.shape)" }.joined(separator: ",") + "\n"
        + CommandLine.arguments.dropFirst().joined(separator: " ")
    do { try d.start(configuration: description) } catch let e as CommunicatorError {
        if case .mpi = e { throw e }
        throw DistributedFailure(error: e)
    }
    return d
}

/// `message` prefixed with `rank N: ` unless it already names its rank.
func ranked(_ message: String, _ rank: Int) -> String {
    message.hasPrefix("rank ") ? message : "rank \(rank): \(message)"
}
