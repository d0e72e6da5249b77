import Foundation

/// Reads `tokens.h5` (layout in docs/outputs.md) into token records.
///
/// HDF5Kit is not on main yet; until it is, the report says that the HDF5 token file was not
/// read and how to get a JSONL one, rather than failing the whole report.
enum TokenFileHDF5 {
    static func read(_ url: URL) throws -> ([TokenRecord], String?) {
        ([], "tokens.h5 is present but this build reads per-token values only from tokens.jsonl (re-run with --per-token jsonl)")
    }
}
