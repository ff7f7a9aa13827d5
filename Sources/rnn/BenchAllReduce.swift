import Foundation
import Recurrent

/// `mpirun -np N rnn bench allreduce`: the median time of a float all-reduce
/// (sum) over the ranks for messages of 1 KB to 64 MB, printed by rank 0.
func allReduceBenchmark(seconds: Double) throws {
    try distributedRun(true) { comm in
        guard let comm else { return }
        print("all-reduce (sum of floats) over \(comm.size) ranks; median of repetitions, about \(String(format: "%.1f", seconds)) s per size")
        print("     bytes    median ms         GB/s")
        for power in stride(from: 10, through: 26, by: 2) {
            let bytes = 1 << power
            var buffer = [Float](repeating: 1, count: bytes / 4)
            try comm.barrier()
            var times: [Double] = []
            let start = Date()
            // Every rank runs the same number of repetitions: rank 0 decides when to stop.
            var go = [1.0]
            while go[0] != 0 {
                let t = Date()
                try comm.allReduceSum(&buffer)
                times.append(Date().timeIntervalSince(t))
                go = [comm.rank == 0 && (times.count < 3 || Date().timeIntervalSince(start) < seconds) && times.count < 10_000 ? 1 : 0]
                try comm.allReduceSum(&go)
            }
            times.sort()
            let median = times[times.count / 2]
            print(String(format: "%10d %12.3f %12.3f", bytes, median * 1000, Double(bytes) / median / 1e9))
        }
    }
}
