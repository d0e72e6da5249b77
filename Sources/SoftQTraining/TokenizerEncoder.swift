import Foundation
import SoftQTokenizers

/// Turns a tokenizer.json into the data loader's encoder (the same tokenizer scoring uses).
func makeEncoder(tokenizerJSON: String, source: String, config: GPT2TrainingConfig) throws -> TrainingDataLoader.Encode {
    let tok: Tokenizer
    do { tok = try Tokenizer(tokenizerJSON: Data(tokenizerJSON.utf8)) } catch {
        throw TrainingError.option(name: "--tokenizer", message: "\(source): \(error)")
    }
    return { text, addSpecial in tok.encode(text, addSpecialTokens: addSpecial) }
}
