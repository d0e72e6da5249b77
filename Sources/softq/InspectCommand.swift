import ArgumentParser

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a checkpoint's tree, architecture, parameter counts, training metadata and warnings."
    )

    @Argument(help: "Path to a softq HDF5 checkpoint.")
    var checkpoint: String

    func run() throws {
        throw ValidationError("inspect is being built")
    }
}
