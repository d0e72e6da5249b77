import ArgumentParser
import SoftQBase

@main
struct SoftQCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softq",
        abstract: "Read the implicit rewards of language-model policies through the soft Bellman relation.",
        discussion: """
        softq loads a policy from an HDF5 checkpoint, reads its logits as soft Q-values, derives \
        per-token rewards r = Q(s,a) − γ·V(s′), and evaluates and exports them.
        """,
        version: SoftQVersion.string,
        subcommands: [
            InspectCommand.self,
            TokenizeCommand.self,
            ScoreCommand.self,
            ExtractCommand.self,
            RewardsCommand.self,
            SampleCommand.self,
            ReportCommand.self,
            TrainCommand.self,
            RobustnessCommand.self,
            CorrelateCommand.self,
            AnalyzeCommand.self,
            BenchCommand.self,
            BenchGroupingCommand.self,
            MergeCommand.self,
        ]
    )
}
