import ArgumentParser
import TraceMalloc

/// `swift-tracemalloc compare`: what grew and what shrank between two snapshots.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print how memory changed between two snapshots, biggest change first.",
        discussion: """
            Each line is exactly Python's str(StatisticDiff) for \
            new.compare_to(old, key_type).

            Example: what grew between the first and the third second of a run:
              swift-tracemalloc run --output app.tm --interval 1 -- ./app
              swift-tracemalloc compare app.tm.1 app.tm.3
            prints lines such as
              /app/Db.swift:41: size=9.8 KiB (+4.9 KiB), count=100 (+50), average=100 B
            """
    )

    @Argument(help: ArgumentHelp("The earlier snapshot.", valueName: "old"))
    var old: String

    @Argument(help: ArgumentHelp("The later snapshot.", valueName: "new"))
    var new: String

    @OptionGroup var statistics: StatisticOptions
    @OptionGroup var filters: FilterOptions

    func run() throws {
        let oldSnapshot = filters.apply(to: try SnapshotFiles.load([old]))
        let newSnapshot = filters.apply(to: try SnapshotFiles.load([new]))
        let lines = try newSnapshot.compare(to: oldSnapshot, statistics.keyType, cumulative: statistics.cumulative)
        for line in statistics.limited(lines) {
            print(line)
        }
    }
}
