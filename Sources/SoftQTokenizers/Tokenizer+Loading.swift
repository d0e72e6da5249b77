import Foundation

extension Tokenizer {
    /// Loads a tokenizer from a `tokenizer.json` file, or from a directory holding
    /// `tokenizer.json` (with `tokenizer_config.json` for BOS/EOS when present) or GPT-2's
    /// `vocab.json` + `merges.txt`.
    public init(contentsOf path: String) throws {
        do { try self.init(loading: path) } catch TokenizerError.emptyVocabulary {
            throw TokenizerError.emptyVocabulary(source: path)  // name the file, not the field
        }
    }

    private init(loading path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TokenizerError.unreadableFile(path: path, reason: "no such file or directory")
        }
        func read(_ p: String) throws -> Data {
            do { return try Data(contentsOf: URL(fileURLWithPath: p)) } catch {
                throw TokenizerError.unreadableFile(path: p, reason: "\(error.localizedDescription)")
            }
        }
        guard isDirectory.boolValue else {
            try self.init(tokenizerJSON: try read(path))
            return
        }
        let dir = URL(fileURLWithPath: path)
        let json = dir.appendingPathComponent("tokenizer.json").path
        let config = dir.appendingPathComponent("tokenizer_config.json").path
        if FileManager.default.fileExists(atPath: json) {
            let c = FileManager.default.fileExists(atPath: config) ? try read(config) : nil
            try self.init(tokenizerJSON: try read(json), configJSON: c)
            return
        }
        let vocab = dir.appendingPathComponent("vocab.json").path, merges = dir.appendingPathComponent("merges.txt").path
        guard FileManager.default.fileExists(atPath: vocab), FileManager.default.fileExists(atPath: merges) else {
            throw TokenizerError.unreadableFile(path: path, reason: "the directory has neither tokenizer.json nor vocab.json + merges.txt")
        }
        try self.init(vocabJSON: try read(vocab), merges: String(decoding: try read(merges), as: UTF8.self))
    }
}
