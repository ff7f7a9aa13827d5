import Foundation

/// How ``Attention`` scores a query against each memory position.
public enum AttentionScore: String, Codable, CaseIterable, Sendable {
    /// Luong's `dot`: `score(q, h) = q . h` (needs `Q == K`).
    case dot
    /// Luong's `general`: `score(q, h) = q . (W h)`, `W` (`key.weight`) `[Q, K]`.
    case general
    /// Bahdanau's additive score: `score(q, h) = v . tanh(W q + U h + b)`,
    /// `W` (`query.weight`) `[A, Q]`, `U` (`key.weight`) `[A, K]`, `b` (`key.bias`) `[A]`, `v` (`v.weight`) `[1, A]`.
    case additive
}

/// Attention of a batch of queries over a batch of memories (an encoder's
/// outputs), masked by each memory's own length: padding never gets weight.
///
/// Shapes (time-major, as everywhere): queries `q` are `[N, B, Q]` (`N`
/// decoder steps, 1 when decoding step by step), the memory `h` is `[S, B, K]`
/// with `lengths[b]` real positions (`1...S`). For every `(n, b)`:
///
///     e[n, b, s] = score(q[n, b], h[s, b])           s <  lengths[b]
///     a[n, b, :] = softmax(e[n, b, :])               a[n, b, s] = 0 for s >= lengths[b]
///     c[n, b]    = sum_s a[n, b, s] h[s, b]
///
/// The output is the context `c` `[N, B, K]` and the weights `a` `[N, B, S]`.
/// Every product over `s` is one strided GEMM per batch element.
public final class Attention: Layer {
    /// How a query is scored against each memory position.
    public let score: AttentionScore
    /// `Q`, the size of each query.
    public let querySize: Int
    /// `K`, the size of each memory position.
    public let keySize: Int
    /// `A`, the additive score's hidden size (0 for dot and general).
    public let attentionSize: Int
    /// general: `K -> Q` without bias; additive: `K -> A` with bias (`U h + b`).
    public let key: Linear?
    /// additive: `Q -> A` without bias (`W q`).
    public let query: Linear?
    /// additive: `A -> 1` without bias (`v`).
    public let v: Linear?

    /// What ``backward(_:gradContext:gradWeights:)`` needs.
    public struct Trace {
        let N: Int, B: Int, S: Int
        let lengths: [Int]
        let q: Tensor, memory: Tensor
        /// The memory as the score sees it: `h` (dot), `W h` (general) or `U h + b` (additive), `[S, B, Kp]`.
        let keys: Tensor
        let keyTrace: Linear.Trace?
        let queryTrace: Linear.Trace?
        /// additive: `W q`, `[N, B, A]`, and `z = tanh(W q + U h + b)`, `[N, B, S, A]`.
        let projectedQuery: Tensor?
        let z: Tensor?
        /// `a`, `[N, B, S]`.
        public let weights: Tensor
    }

    /// An attention layer; `attentionSize` is used by `.additive` only. Initialised as `nn.Linear` is.
    public init(score: AttentionScore, querySize: Int, keySize: Int, attentionSize: Int = 0, rng: inout SeededRNG) {
        precondition(querySize > 0 && keySize > 0, "Attention(\(score)) needs positive sizes, got \(querySize), \(keySize)")
        precondition(score != .dot || querySize == keySize,
                     "Attention(dot) needs queries and keys of one size, got \(querySize) and \(keySize)")
        precondition(score != .additive || attentionSize > 0, "Attention(additive) needs a positive attention size")
        self.score = score
        self.querySize = querySize
        self.keySize = keySize
        self.attentionSize = score == .additive ? attentionSize : 0
        switch score {
        case .dot:
            key = nil; query = nil; v = nil
        case .general:
            key = Linear(inputSize: keySize, outputSize: querySize, bias: false, rng: &rng)
            query = nil; v = nil
        case .additive:
            query = Linear(inputSize: querySize, outputSize: attentionSize, bias: false, rng: &rng)
            key = Linear(inputSize: keySize, outputSize: attentionSize, rng: &rng)
            v = Linear(inputSize: attentionSize, outputSize: 1, bias: false, rng: &rng)
        }
    }

    /// `key.*`, `query.*` and `v.*` as the score uses them (none for dot).
    public var namedParameters: [(name: String, parameter: Parameter)] {
        (query.map { prefixed("query", $0) } ?? []) + (key.map { prefixed("key", $0) } ?? []) + (v.map { prefixed("v", $0) } ?? [])
    }

    /// The size of each key as the score sees it (`Kp`).
    var projectedKeySize: Int { score == .dot ? keySize : (score == .general ? querySize : attentionSize) }

    /// Projects the memory once (`[S, B, K]` -> `[S, B, Kp]`), so step-by-step decoding
    /// can reuse it through ``forward(_:memory:keys:lengths:)``.
    public func keys(_ memory: Tensor) -> (keys: Tensor, trace: Linear.Trace?) {
        guard let key else { return (memory, nil) }
        let r = key.forward(memory)
        return (r.output, r.trace)
    }

    /// Attends with queries `q` (`[N, B, Q]`) over `memory` (`[S, B, K]`).
    /// - Returns: the context `[N, B, K]` and the trace (holding the weights `[N, B, S]`).
    public func forward(_ q: Tensor, memory: Tensor, lengths: [Int]? = nil) -> (context: Tensor, trace: Trace) {
        let k = keys(memory)
        return forward(q, memory: memory, keys: k, lengths: lengths)
    }

    /// As ``forward(_:memory:lengths:)`` with the memory's keys already computed by ``keys(_:)``.
    public func forward(_ q: Tensor, memory: Tensor, keys k: (keys: Tensor, trace: Linear.Trace?), lengths: [Int]? = nil)
        -> (context: Tensor, trace: Trace)
    {
        precondition(q.rank == 3 && q.shape[2] == querySize && memory.rank == 3 && memory.shape[2] == keySize && q.shape[1] == memory.shape[1],
                     "Attention(\(score), \(querySize), \(keySize)) expects q of [N, B, \(querySize)] and memory of [S, B, \(keySize)], got \(q.shape) and \(memory.shape)")
        let N = q.shape[0], B = q.shape[1], S = memory.shape[0], Q = querySize, K = keySize, Kp = projectedKeySize
        let lengths = lengths ?? Array(repeating: S, count: B)
        precondition(lengths.count == B && lengths.allSatisfy { $0 >= 1 && $0 <= S },
                     "Attention: lengths \(lengths) must be \(B) values in 1...\(S)")
        let keys = k.keys
        var e = Tensor(uninitializedShape: [N, B, S])
        var projectedQuery: Tensor? = nil, queryTrace: Linear.Trace? = nil, z: Tensor? = nil
        switch score {
        case .dot, .general:
            q.withUnsafeBufferPointer { pq in keys.withUnsafeBufferPointer { pk in e.withUnsafeMutableBufferPointer { pe in
                for b in 0..<B {
                    gemm(transB: true, m: N, n: S, k: Q, a: pq.baseAddress! + b * Q, lda: B * Q,
                         b: pk.baseAddress! + b * Kp, ldb: B * Kp, c: pe.baseAddress! + b * S, ldc: B * S)
                }
            }}}
        case .additive:
            let A = attentionSize
            let r = query!.forward(q)
            projectedQuery = r.output
            queryTrace = r.trace
            var zz = Tensor(uninitializedShape: [N, B, S, A])
            r.output.withUnsafeBufferPointer { pw in keys.withUnsafeBufferPointer { pk in zz.withUnsafeMutableBufferPointer { pz in
                for n in 0..<N { for b in 0..<B { for s in 0..<S {
                    let row = pz.baseAddress! + ((n * B + b) * S + s) * A
                    let wq = pw.baseAddress! + (n * B + b) * A, uh = pk.baseAddress! + (s * B + b) * A
                    for j in 0..<A { row[j] = wq[j] + uh[j] }
                } } }
                Pointwise.tanh(pz.baseAddress!, pz.baseAddress!, pz.count)
            }}}
            zz.withUnsafeBufferPointer { pz in v!.weight.value.withUnsafeBufferPointer { pv in e.withUnsafeMutableBufferPointer { pe in
                gemm(transB: true, m: N * B * S, n: 1, k: A, a: pz.baseAddress!, lda: A, b: pv.baseAddress!, ldb: A,
                     c: pe.baseAddress!, ldc: 1)
            }}}
            z = zz
        }
        // Masked softmax over s, in place: a = softmax(e) on 0..<lengths[b], 0 after.
        e.withUnsafeMutableBufferPointer { pe in
            for n in 0..<N { for b in 0..<B {
                let row = pe.baseAddress! + (n * B + b) * S, len = lengths[b]
                var m = row[0]
                for s in 1..<len { m = max(m, row[s]) }
                var sum: Float = 0
                for s in 0..<len { row[s] = Foundation.exp(row[s] - m); sum += row[s] }
                for s in 0..<len { row[s] /= sum }
                for s in len..<S { row[s] = 0 }
            } }
        }
        let a = e
        var context = Tensor.zeros([N, B, K])
        a.withUnsafeBufferPointer { pa in memory.withUnsafeBufferPointer { ph in context.withUnsafeMutableBufferPointer { pc in
            for b in 0..<B {
                gemm(m: N, n: K, k: S, a: pa.baseAddress! + b * S, lda: B * S, b: ph.baseAddress! + b * K, ldb: B * K,
                     c: pc.baseAddress! + b * K, ldc: B * K)
            }
        }}}
        return (context, Trace(N: N, B: B, S: S, lengths: lengths, q: q, memory: memory, keys: keys, keyTrace: k.trace,
                               queryTrace: queryTrace, projectedQuery: projectedQuery, z: z, weights: a))
    }

    /// Backward for the gradient of the context `dc` (`[N, B, K]`) and, when the
    /// loss uses them, of the weights (`[N, B, S]`). Adds the parameter gradients.
    /// - Returns: `dq` (`[N, B, Q]`) and the gradient for the memory (`[S, B, K]`).
    public func backward(_ trace: Trace, gradContext dc: Tensor, gradWeights: Tensor? = nil) -> (gradQuery: Tensor, gradMemory: Tensor) {
        let N = trace.N, B = trace.B, S = trace.S, Q = querySize, K = keySize, Kp = projectedKeySize
        precondition(dc.shape == [N, B, K], "Attention backward expects dc of [\(N), \(B), \(K)], got \(dc.shape)")
        let a = trace.weights
        // da[n, b, s] = dc[n, b] . h[s, b] (+ the caller's gradient of a); dh[s, b] = sum_n a[n, b, s] dc[n, b].
        var da = gradWeights ?? Tensor.zeros([N, B, S])
        precondition(da.shape == [N, B, S], "Attention backward expects gradWeights of [\(N), \(B), \(S)], got \(da.shape)")
        var dMemory = Tensor.zeros([S, B, K])
        dc.withUnsafeBufferPointer { pdc in trace.memory.withUnsafeBufferPointer { ph in a.withUnsafeBufferPointer { pa in
            da.withUnsafeMutableBufferPointer { pda in dMemory.withUnsafeMutableBufferPointer { pdh in
                for b in 0..<B {
                    gemm(transB: true, m: N, n: S, k: K, a: pdc.baseAddress! + b * K, lda: B * K, b: ph.baseAddress! + b * K, ldb: B * K,
                         beta: 1, c: pda.baseAddress! + b * S, ldc: B * S)
                    gemm(transA: true, m: S, n: K, k: N, a: pa.baseAddress! + b * S, lda: B * S, b: pdc.baseAddress! + b * K, ldb: B * K,
                         c: pdh.baseAddress! + b * K, ldc: B * K)
                }
            }}
        }}}
        // Through the softmax: de = a * (da - sum_s a da); masked positions have a = 0.
        var de = da
        a.withUnsafeBufferPointer { pa in de.withUnsafeMutableBufferPointer { pe in
            for r in 0..<(N * B) {
                let ar = pa.baseAddress! + r * S, er = pe.baseAddress! + r * S
                var dot: Float = 0
                for s in 0..<S { dot += ar[s] * er[s] }
                for s in 0..<S { er[s] = ar[s] * (er[s] - dot) }
            }
        }}
        var dq: Tensor
        switch score {
        case .dot, .general:
            // e = q . keys: dq[n, b] = sum_s de keys[s, b]; dkeys[s, b] = sum_n de q[n, b].
            dq = Tensor.zeros([N, B, Q])
            var dKeys = Tensor.zeros([S, B, Kp])
            de.withUnsafeBufferPointer { pe in trace.keys.withUnsafeBufferPointer { pk in trace.q.withUnsafeBufferPointer { pq in
                dq.withUnsafeMutableBufferPointer { pdq in dKeys.withUnsafeMutableBufferPointer { pdk in
                    for b in 0..<B {
                        gemm(m: N, n: Q, k: S, a: pe.baseAddress! + b * S, lda: B * S, b: pk.baseAddress! + b * Kp, ldb: B * Kp,
                             c: pdq.baseAddress! + b * Q, ldc: B * Q)
                        gemm(transA: true, m: S, n: Q, k: N, a: pe.baseAddress! + b * S, lda: B * S, b: pq.baseAddress! + b * Q, ldb: B * Q,
                             c: pdk.baseAddress! + b * Kp, ldc: B * Kp)
                    }
                }}
            }}}
            addInPlace(&dMemory, score == .dot ? dKeys : key!.backward(trace.keyTrace!, gradOutput: dKeys))
        case .additive:
            // e = v . z, z = tanh(W q + U h + b): dv += sum de z; dpre = de v (1 - z^2);
            // d(W q)[n, b] = sum_s dpre; d(U h + b)[s, b] = sum_n dpre.
            let A = attentionSize, z = trace.z!
            de.withUnsafeBufferPointer { pe in z.withUnsafeBufferPointer { pz in v!.weight.grad.withUnsafeMutableBufferPointer { pdv in
                gemm(transA: true, m: 1, n: A, k: N * B * S, a: pe.baseAddress!, lda: 1, b: pz.baseAddress!, ldb: A,
                     beta: 1, c: pdv.baseAddress!, ldc: A)
            }}}
            var dWq = Tensor.zeros([N, B, A]), dUh = Tensor.zeros([S, B, A])
            de.withUnsafeBufferPointer { pe in z.withUnsafeBufferPointer { pz in v!.weight.value.withUnsafeBufferPointer { pv in
                dWq.withUnsafeMutableBufferPointer { pw in dUh.withUnsafeMutableBufferPointer { pu in
                    for n in 0..<N { for b in 0..<B { for s in 0..<S {
                        let g = pe[(n * B + b) * S + s]
                        if g == 0 { continue }
                        let zr = pz.baseAddress! + ((n * B + b) * S + s) * A
                        let wr = pw.baseAddress! + (n * B + b) * A, ur = pu.baseAddress! + (s * B + b) * A
                        for j in 0..<A {
                            let dpre = g * pv[j] * (1 - zr[j] * zr[j])
                            wr[j] += dpre
                            ur[j] += dpre
                        }
                    } } }
                }}
            }}}
            dq = query!.backward(trace.queryTrace!, gradOutput: dWq)
            addInPlace(&dMemory, key!.backward(trace.keyTrace!, gradOutput: dUh))
        }
        return (dq, dMemory)
    }
}
