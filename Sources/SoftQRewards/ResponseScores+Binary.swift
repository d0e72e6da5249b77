import SoftQBase

/// The exact binary form of a response's scores, for resume progress (RunProgress): every
/// double by its bit pattern, so scores read back are identical and files rebuilt from them
/// are byte-identical to an uninterrupted run's.
extension ResponseScores {
    public func encode(into w: inout BinaryRecordWriter) {
        for a in [logprob, q, valueBefore, valueAfter, reward] { w.append(a) }
        w.append(promptValue)
        w.append(terminal)
        for d in [aggregates.sum, aggregates.mean, aggregates.discounted, aggregates.logprobSum,
                  aggregates.logprobMean, aggregates.logprobNorm] { w.append(d) }
        w.append(aggregates.dpo)
    }

    public init(decoding r: inout BinaryRecordReader) throws {
        let logprob = try r.doubles(), q = try r.doubles(), vb = try r.doubles(), va = try r.doubles(), reward = try r.doubles()
        let promptValue = try r.double()
        let terminal = try r.bool()
        let a = try Aggregates(sum: r.double(), mean: r.double(), discounted: r.double(), logprobSum: r.double(),
                               logprobMean: r.double(), logprobNorm: r.double(), dpo: r.optionalDouble())
        guard [q.count, vb.count, va.count, reward.count].allSatisfy({ $0 == logprob.count }) else {
            throw BinaryRecordReader.Truncated()
        }
        self.init(logprob: logprob, q: q, valueBefore: vb, valueAfter: va, reward: reward, promptValue: promptValue,
                  terminal: terminal, aggregates: a)
    }
}
