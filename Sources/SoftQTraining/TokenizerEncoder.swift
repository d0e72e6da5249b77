import Foundation

/// Turns a tokenizer.json into the data loader's encoder.
/// TEMPORARY until SoftQTokenizers lands on main: text data is refused with a clear message.
func makeEncoder(tokenizerJSON: String, source: String, config: GPT2TrainingConfig) throws -> TrainingDataLoader.Encode {
    return { _, _ in
        throw TrainingError.option(name: "--tokenizer", message: "text data needs SoftQTokenizers, which this build lacks; give prompt_ids/response_ids")
    }
}
