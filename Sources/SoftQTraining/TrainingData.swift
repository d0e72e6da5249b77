import Foundation
import SoftQBase
import SoftQScoring

/// Demonstrations for training, read and tokenized exactly as `softq extract` reads and
/// tokenizes responses: the same JSONL reader (text `prompt`/`response`, token ids
/// `prompt_ids`/`response_ids`, conversations) and the same TokenizationPolicy (BOS once, the
/// model's EOS appended unless turned off, terminality from the end-of-episode set). Rewards
/// are read from the policy on the tokens it was trained on only if both sides agree here.
public enum TrainingData {
    public static func load(path: String, tokenization: TokenizationPolicy) throws -> [TrainingExample] {
        let (records, _) = try InputReader.readResponses(path: path, skipInvalid: false)
        var examples: [TrainingExample] = []
        examples.reserveCapacity(records.count)
        for r in records {
            let p = try tokenization.prepare(r)
            examples.append(TrainingExample(prompt: p.prompt, response: p.response.ids, endsWithEOS: p.response.endsWithEOS))
        }
        if examples.isEmpty { throw TrainingError.emptyData(file: path) }
        return examples
    }
}
