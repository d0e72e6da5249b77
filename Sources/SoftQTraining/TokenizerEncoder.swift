import Foundation
import SoftQTokenizers

/// Turns a tokenizer.json into the data loader's encoder, after checking that it fits the model:
/// every id inside the vocabulary, and the tokenizer's EOS (when it names one) equal to the
/// config's `eos_token_id`, since that is the id appended to responses and tested for terminality.
func makeEncoder(tokenizerJSON: String, source: String, config: GPT2TrainingConfig) throws -> TrainingDataLoader.Encode {
    let tokenizer: Tokenizer
    do { tokenizer = try Tokenizer(tokenizerJSON: Data(tokenizerJSON.utf8)) } catch {
        throw TrainingError.option(name: "--tokenizer", message: "\(source): \(error)")
    }
    if tokenizer.vocabularySize > config.vocabSize {
        throw TrainingError.option(name: "--tokenizer", message: "\(source) has \(tokenizer.vocabularySize) ids, the model's vocab_size is \(config.vocabSize)")
    }
    if let eos = tokenizer.eosTokenID, eos != config.eosTokenID {
        throw TrainingError.option(name: "--tokenizer", message: "\(source): EOS is id \(eos), the config's eos_token_id is \(config.eosTokenID); they must agree")
    }
    return { text, special in tokenizer.encode(text, addSpecialTokens: special) }
}
