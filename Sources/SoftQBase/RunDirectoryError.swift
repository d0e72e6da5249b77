/// Why a run directory cannot be written, resumed or read (outputs.md, "A run directory is one unit").
public enum RunDirectoryError: Error, CustomStringConvertible, Equatable {
    case emptyOutPath(option: String)
    case notADirectory(path: String)
    /// The output directory is an input's directory (or one above it).
    case holdsInput(directory: String, input: String)
    /// An output file would replace an input (same path, or the same file by device and inode).
    case outputIsInput(output: String, input: String)
    case notARunDirectory(directory: String, entry: String)
    case existingRun(directory: String, resumable: Bool)
    case unfinishedRun(directory: String, resumable: Bool)
    case locked(directory: String, pid: Int32?)
    case nothingToResume(directory: String)
    case resumeMismatch(directory: String, differences: [String])
    case corruptProgress(path: String, reason: String)
    case invalidManifest(path: String, reason: String)
    case fileMissing(directory: String, file: String)
    case fileChanged(directory: String, file: String, expected: String, actual: String)
    case fileUnlisted(directory: String, file: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .emptyOutPath(let o):
            return "\(o) is empty: give the output path"
        case .notADirectory(let p):
            return "\(p) exists and is not a directory"
        case let .holdsInput(d, i):
            return "refusing to write into \(d): it holds the input \(i); choose a new directory for the outputs"
        case let .outputIsInput(o, i):
            return "refusing to write \(o): it is the input \(i)"
        case let .notARunDirectory(d, e):
            return "refusing to write into \(d): it is not empty (it holds \(e)) and is not a softq run directory; choose a new or empty directory"
        case let .existingRun(d, r):
            return "\(d) already holds a softq run: add --force to replace it" + (r ? " or --resume to continue it" : "")
        case let .unfinishedRun(d, r):
            return "\(d) holds an unfinished softq run: " + (r ? "add --resume to continue it or --force to start over" : "add --force to start over")
        case let .locked(d, pid):
            return "\(d) is being written by another softq process" + (pid.map { " (pid \($0))" } ?? "") + "; wait for it or use another --out"
        case .nothingToResume(let d):
            return "\(d) holds a complete run: there is nothing to resume (add --force to run it again)"
        case let .resumeMismatch(d, diffs):
            return "cannot resume the run in \(d): it was started with different inputs or options:\n  " + diffs.joined(separator: "\n  ")
                + "\nrerun with the original inputs and options, or use --force to start over"
        case let .corruptProgress(p, r):
            return "\(p): the saved progress is unreadable (\(r)); use --force to start over"
        case let .invalidManifest(p, r):
            return "\(p): not a valid run manifest: \(r)"
        case let .fileMissing(d, f):
            return "\(d)/\(f) is listed in manifest.json but missing: the run directory is incomplete"
        case let .fileChanged(d, f, e, a):
            return "\(d)/\(f) does not match manifest.json (sha256 \(a), expected \(e)): the file was changed after the run"
        case let .fileUnlisted(d, f):
            return "\(d)/\(f) is not part of the run (not in manifest.json): remove it, or rerun with --force"
        case let .io(p, r):
            return "\(p): \(r)"
        }
    }
}
