import Foundation

/// Everything that can go wrong while preparing or running training, with the context a user
/// needs to fix it (file, line, key, expected and actual values).
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case config(key: String, message: String, source: String)
    case missingWeight(names: [String], source: String)
    case weightShape(name: String, expected: [Int], actual: [Int], source: String)
    case unusedWeights(names: [String], source: String)
    case data(file: String, line: Int, message: String)
    case sequenceTooLong(file: String, line: Int, length: Int, limit: Int)
    case tokenOutOfRange(file: String, line: Int, token: Int, vocabSize: Int)
    case emptyData(file: String)
    case option(name: String, message: String)
    case state(file: String, message: String)
    case nonFiniteLoss(step: Int, loss: Double)

    public var description: String {
        switch self {
        case let .config(key, message, source):
            return "\(source): config key '\(key)': \(message)"
        case let .missingWeight(names, source):
            return "\(source): missing GPT-2 tensors: \(names.joined(separator: ", "))"
        case let .weightShape(name, expected, actual, source):
            return "\(source): tensor '\(name)' has shape \(actual), expected \(expected) (HF Conv1D orientation: [in, out])"
        case let .unusedWeights(names, source):
            return "\(source): tensors not used by GPT-2: \(names.joined(separator: ", "))"
        case let .data(file, line, message):
            return "\(file):\(line): \(message)"
        case let .sequenceTooLong(file, line, length, limit):
            return "\(file):\(line): prompt + response is \(length) tokens, the model's n_positions is \(limit); shorten the example or drop it from the data"
        case let .tokenOutOfRange(file, line, token, vocabSize):
            return "\(file):\(line): token id \(token) is outside the vocabulary (vocab_size \(vocabSize)); was the data tokenized for another model?"
        case let .emptyData(file):
            return "\(file): no training examples (every example needs at least one response token)"
        case let .option(name, message):
            return "option \(name): \(message)"
        case let .state(file, message):
            return "\(file): \(message)"
        case let .nonFiniteLoss(step, loss):
            return "step \(step): the loss is \(loss) (diverged); try a lower --lr or a smaller --grad-clip"
        }
    }
}
